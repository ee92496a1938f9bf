import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { anyPrefixMatch, anySuffixMatch } from './affix-match.js';
import { opaSprintf } from './sprintf.js';
import type { RegoValue } from './rego-value.js';

/** What a builtin implementation can read of its operands: JSON (sets become arrays) or exact Rego values. */
export interface BuiltinOperands {
  readonly count: number;
  json(index: number): unknown;
  rego(index: number): RegoValue;
}

/** A builtin the host runs when the WASM module calls out; returning undefined makes the call undefined. */
export type BuiltinImplementation = (operands: BuiltinOperands) => unknown;

/** Builtins implemented here, in TypeScript, because the SDK lacks them or gets them wrong. */
export const hostBuiltins: Readonly<Record<string, BuiltinImplementation>> = {
  // The SDK formats with sprintf-js, which prints arrays as `a,b`, objects as `[object Object]`
  // and throws on null; OPA prints through Go's fmt. It also needs sets, which JSON cannot carry.
  sprintf: (operands) => opaSprintf(operands.rego(0), operands.rego(1)),
  // Not compiled into OPA's WASM, and the SDK has neither; Gatekeeper's library calls both.
  'strings.any_prefix_match': anyPrefixMatch,
  'strings.any_suffix_match': anySuffixMatch,
};

type SdkFunction = (...args: unknown[]) => unknown;

/**
 * The SDK's JavaScript builtins. The package exports only its loader, so the table is read by file
 * path next to the package's entry point (the version is pinned exactly in package.json).
 */
function loadSdkBuiltins(): Record<string, SdkFunction> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('@open-policy-agent/opa-wasm');
  return require(join(dirname(entry), 'builtins', 'index.js')) as Record<string, SdkFunction>;
}

let table: ReadonlyMap<string, BuiltinImplementation> | undefined;

/** Every non-native builtin the host can run: the SDK's, overridden by ours where both exist. */
export function builtinTable(): ReadonlyMap<string, BuiltinImplementation> {
  if (table) return table;
  const entries = new Map<string, BuiltinImplementation>();
  for (const [name, fn] of Object.entries(loadSdkBuiltins())) {
    entries.set(name, (operands) => fn(...Array.from({ length: operands.count }, (_, i) => operands.json(i))));
  }
  for (const [name, fn] of Object.entries(hostBuiltins)) entries.set(name, fn);
  table = entries;
  return table;
}

/** The builtins a module needs that nothing here implements, sorted. */
export function missingBuiltins(needed: Iterable<string>): string[] {
  const available = builtinTable();
  return [...needed].filter((name) => !available.has(name)).sort();
}
