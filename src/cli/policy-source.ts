import { createHash } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { defaultBundleDir } from '../engine/index.js';
import { WasmgateError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { buildPolicies } from '../toolchain/build.js';
import { resolveOpa, type OpaTool } from '../toolchain/opa.js';

/** The project's own policy sources, which `npm run build` compiles into wasm/. */
export const defaultPoliciesDir = join(packageRoot, 'policies');

function holdsRego(dir: string): boolean {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.isFile() && entry.name.endsWith('.rego')) return true;
    if (entry.isDirectory() && holdsRego(join(dir, entry.name))) return true;
  }
  return false;
}

/** Where compiled Rego from `dir` goes: wasm/ for the project's policies, else a per-directory temp dir. */
export function compiledDirFor(policiesDir: string): string {
  const dir = resolve(policiesDir);
  if (dir === resolve(defaultPoliciesDir)) return defaultBundleDir;
  return join(tmpdir(), `wasmgate-policy-${createHash('sha256').update(dir).digest('hex').slice(0, 16)}`);
}

/**
 * Compiles a directory of Rego with the pinned OPA, as `npm run build` does (fmt, check --strict,
 * build -t wasm). Unchanged sources are not compiled again. Returns the directory of policy.wasm.
 */
export async function compileRego(policiesDir: string, log: (line: string) => void = () => {}, opa?: OpaTool): Promise<string> {
  const outDir = compiledDirFor(policiesDir);
  await buildPolicies({ opa: opa ?? resolveOpa(log), policiesDir, outDir, log });
  return outDir;
}

/**
 * What `--policy` names, as something Engine.load reads: a compiled bundle directory (policy.wasm),
 * an OPA bundle .tar.gz, or a directory of Rego, compiled first.
 */
export async function resolvePolicy(location: string | undefined, log: (line: string) => void = () => {}): Promise<string> {
  if (location === undefined) return defaultBundleDir;
  const path = resolve(location);
  if (!existsSync(path)) throw new WasmgateError('INPUT_INVALID', `--policy ${location}: no such file or directory`);
  if (statSync(path).isFile()) return path;
  if (existsSync(join(path, 'policy.wasm'))) return path;
  if (holdsRego(path)) return compileRego(path, log);
  throw new WasmgateError('INPUT_INVALID', `--policy ${location} holds neither policy.wasm nor .rego files`);
}
