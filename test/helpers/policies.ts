import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectFixtureDirs as checkoutFixtureDirs } from '../../dist/harness/fixtures.js';
import { buildPolicies } from '../../dist/toolchain/build.js';
import { policyDirIgnores, resolveOpa, runOpa, type OpaTool } from '../../dist/toolchain/opa.js';

export const repoRoot = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** Every fixture directory of the project: those beside the shipped policies (or `policiesDir`'s), and test/fixtures. */
export function projectFixtureDirs(policiesDir = join(repoRoot, 'policies')): string[] {
  return checkoutFixtureDirs(repoRoot, policiesDir);
}

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

/**
 * The folders of the default policy set as it ships. Tests that describe the default set's exact answers
 * copy only these (with lib/ and the top-level files), so a policy an author adds to policies/ fails none
 * of them; tests of the repository as it is use policies/ itself.
 */
export const shippedFolders: ReadonlySet<string> = new Set(['lib', 'bounds', 'calico', 'limits', 'namespaces', 'podsecurity', 'registries']);

/** Copies the default policy set of policies/ into `dest` (created); returns `dest`. */
export function copyShippedPolicies(dest: string): string {
  const from = join(repoRoot, 'policies');
  cpSync(from, dest, {
    recursive: true,
    filter: (src) => {
      const rel = relative(from, src);
      if (rel === '') return true;
      const [top] = rel.split(sep);
      return shippedFolders.has(top!) || (!rel.includes(sep) && !statSync(src).isDirectory());
    },
  });
  return dest;
}

const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();

/**
 * The default policy set copied to a directory named by its content. OPA writes the source paths into
 * the module, so every test process compiling this copy makes the same module, which wasm-opt's cache
 * then has (a copy of its own per process would cost each ~3 s of wasm-opt).
 */
function shippedCopy(): string {
  const staging = copyShippedPolicies(mkdtempSync(join(tmpdir(), 'wasmgate-shipped-')));
  const hash = createHash('sha256');
  for (const file of filesUnder(staging)) hash.update(`${relative(staging, file)}\n`).update(readFileSync(file));
  const copy = join(tmpdir(), `wasmgate-shipped-${hash.digest('hex').slice(0, 16)}`);
  try {
    renameSync(staging, copy);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // another process made it first
  }
  return copy;
}

let shipped: Promise<string> | undefined;
/** The default policy set compiled once per test process: the directory holding its policy.wasm. */
export function shippedBundle(): Promise<string> {
  shipped ??= compilePolicies(shippedCopy());
  return shipped;
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

/**
 * `policiesDir` compiled by OPA alone into a bundle .tar.gz, with these entrypoints and without the
 * module every `wasmgate build` adds (src/toolchain/envelope.rego): a bundle whose reviews are parsed in JavaScript.
 */
export async function opaBundleWithoutEnvelope(policiesDir: string, targets: readonly string[]): Promise<string> {
  const tarball = join(mkdtempSync(join(tmpdir(), 'wasmgate-no-envelope-')), 'bundle.tar.gz');
  const built = await runOpa(opaTool(), ['build', '-t', 'wasm', '--ignore', '*_test.rego', ...policyDirIgnores, ...targets.flatMap((e) => ['-e', e]), '-o', tarball, policiesDir]);
  if (built.exitCode !== 0) throw new Error(`opa build failed: ${built.stderr}`);
  return tarball;
}

export { runOpa };
