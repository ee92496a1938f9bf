import type { ErrorCode } from '../errors.js';
import type { GatekeeperPolicySet } from '../gatekeeper/evaluator.js';
import type { PolicyBundle } from './bundle.js';
import type { MemoryLimits } from './wasm-policy.js';

/** What a pool worker starts with (passed as workerData; a WebAssembly.Module crosses threads as it is). */
export interface WorkerInit {
  /** The compiled policy, unless Gatekeeper's templates decide alone. */
  readonly bundle?: Omit<PolicyBundle, 'data'>;
  /** Gatekeeper templates and constraints, decided beside the bundle (or alone). */
  readonly gatekeeper?: GatekeeperPolicySet;
  readonly data: unknown;
  readonly limits: MemoryLimits;
}

export type WorkerRequest =
  | { readonly id: number; readonly kind: 'decide' | 'mutate'; readonly input: object | ArrayBuffer }
  | { readonly id: number; readonly kind: 'setData'; readonly data: unknown };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown; readonly memoryBytes: number; readonly evaluationMs: number }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string }
  | { readonly kind: 'print'; readonly line: string }
  | { readonly kind: 'ready' };
