import type { OracleResult, Verdict } from './run.js';
import type { WasmgateAnswer } from './wasmgate-side.js';

/**
 * Disagreements with Kubernetes' PSP plugin that are deliberate (wasmgate stricter than PSP on a known
 * PSP flaw), each with its reason; README "Differential test against Kubernetes' PSP plugin" lists
 * them too. A disagreement that matches none of these is a bug in one of the two sides.
 */
export interface KnownDeviation {
  readonly id: string;
  readonly reason: string;
  readonly matches: (result: OracleResult, wasmgate: WasmgateAnswer, verdict: Extract<Verdict, { kind: 'compared' }>) => boolean;
}

export const knownDeviations: readonly KnownDeviation[] = [];
