import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildPolicies } from '../../dist/toolchain/build.js';
import { policyDirIgnores, resolveOpa, runOpa, type OpaTool } from '../../dist/toolchain/opa.js';

export const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');

let opa: OpaTool | undefined;
export function opaTool(): OpaTool {
  opa ??= resolveOpa();
  return opa;
}

/** Compiles a directory of Rego (as `npm run build` does) into a fresh temp dir; returns that dir. */
export async function compilePolicies(policiesDir: string, entrypoints?: string[]): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'wasmgate-test-'));
  await buildPolicies({ opa: opaTool(), policiesDir, outDir, ...(entrypoints ? { entrypoints } : {}) });
  return outDir;
}

/** `opa eval` of one query on Rego source, returning the value of its single expression. */
export async function opaEval(policiesDir: string, query: string, input?: unknown): Promise<unknown> {
  const args = ['eval', '--format', 'json', ...policyDirIgnores, '--data', policiesDir];
  if (input !== undefined) args.push('--stdin-input');
  const { spawnSync } = await import('node:child_process');
  const run = spawnSync(opaTool().path, [...args, query], {
    input: input === undefined ? '' : JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`opa eval failed: ${run.stderr}`);
  const out = JSON.parse(run.stdout) as { result?: { expressions: { value: unknown }[] }[] };
  return out.result?.[0]?.expressions[0]?.value;
}

export { runOpa };
