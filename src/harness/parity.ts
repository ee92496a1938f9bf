import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entrypoints, parseDecision, parseMutation, type Decision, type Mutation } from '../engine/index.js';
import { describeThrown, WasmgateError } from '../errors.js';
import { policyDirIgnores, runOpa, type OpaTool } from '../toolchain/opa.js';

/** `wasmgate/main/decision` as a Rego reference: `data.wasmgate.main.decision`. */
export function entrypointRef(entrypoint: string): string {
  return `data.${entrypoint.split('/').join('.')}`;
}

/**
 * Decides many inputs with `opa eval` on the Rego source, in one OPA process: the inputs go in as
 * one array and the query evaluates the entrypoint `with input as` each of them. Returns the raw
 * value per input (undefined where the rule is undefined).
 */
export async function opaEvaluateMany(
  opa: OpaTool,
  policiesDir: string,
  inputs: readonly unknown[],
  entrypoint: string = entrypoints.decision,
): Promise<unknown[]> {
  if (inputs.length === 0) return [];
  const query = `values := {i: v | some i, r in input.inputs; v := ${entrypointRef(entrypoint)} with input as r}`;
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-parity-'));
  try {
    const inputFile = join(dir, 'input.json');
    writeFileSync(inputFile, JSON.stringify({ inputs }));
    const run = await runOpa(opa, ['eval', '--format', 'json', '--ignore', '*_test.rego', ...policyDirIgnores, '--data', policiesDir, '--input', inputFile, query]);
    if (run.exitCode !== 0) throw new WasmgateError('OPA_FAILED', `opa eval failed:\n${run.stderr.trim() || run.stdout.trim()}`);
    const out = JSON.parse(run.stdout) as { result?: { bindings?: { values?: Record<string, unknown> } }[] };
    const values = out.result?.[0]?.bindings?.values ?? {};
    return inputs.map((_, i) => values[String(i)]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A decision as text in which equal decisions print equal (keys in one order; violation order kept, it is part of the answer). */
export function canonicalDecision(decision: Decision): string {
  return JSON.stringify({
    allowed: decision.allowed,
    violations: decision.violations.map((v) => ({ policy: v.policy, action: v.action, ...(v.path !== undefined ? { path: v.path } : {}), message: v.message })),
  });
}

export type OpaDecision = { readonly decision: Decision } | { readonly error: string };

/** OPA's raw value checked like the engine checks its own (undefined or misshapen is an error). */
export function readOpaDecision(raw: unknown): OpaDecision {
  try {
    return { decision: parseDecision(raw) };
  } catch (err) {
    return { error: describeThrown(err) };
  }
}

/** Identical decisions: the same allowed, the same violations in the same order. */
export function sameDecision(a: Decision, b: Decision): boolean {
  return canonicalDecision(a) === canonicalDecision(b);
}

/** JSON with every object's keys sorted: two values print equal exactly when they are equal. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * A mutation as text in which equal mutations print equal: operations in their order (it is part of
 * the patch), the keys of the values they carry sorted (an object's key order means nothing in JSON,
 * and OPA sorts them where the WebAssembly build keeps the order they were built in).
 */
export function canonicalMutation(mutation: Mutation): string {
  return sortedJson({ profile: mutation.profile, patch: mutation.patch });
}

export type OpaMutation = { readonly mutation: Mutation } | { readonly error: string };

/** OPA's raw mutation checked like the engine checks its own. */
export function readOpaMutation(raw: unknown): OpaMutation {
  try {
    return { mutation: parseMutation(raw) };
  } catch (err) {
    return { error: describeThrown(err) };
  }
}
