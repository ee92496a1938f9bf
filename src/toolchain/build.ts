import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { WasmgateError } from '../errors.js';
import { entrypoints as defaultEntrypoints, readBundleFiles } from '../engine/bundle.js';
import { builtinTable } from '../engine/builtins/index.js';
import { generateCapabilities } from './capabilities.js';
import { explainCompileErrors } from './compile-errors.js';
import { opaMessage, runOpa, type OpaTool } from './opa.js';

export interface BuildOptions {
  readonly opa: OpaTool;
  readonly policiesDir: string;
  readonly outDir: string;
  readonly entrypoints?: readonly string[];
  /** Rebuild even if nothing changed. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

export interface BuildResult {
  readonly skipped: boolean;
  readonly outDir: string;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? listFiles(path) : [path];
    })
    .sort();
}

/** What the compiled output depends on: every file under the policies, OPA's version, the host's builtins. */
function fingerprint(options: BuildOptions, entrypoints: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(`opa ${options.opa.version}\n`);
  hash.update(`entrypoints ${entrypoints.join(',')}\n`);
  hash.update(`host ${[...builtinTable().keys()].sort().join(',')}\n`);
  for (const file of listFiles(options.policiesDir)) {
    hash.update(`${relative(options.policiesDir, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

/**
 * The policy build: `opa fmt` (fails on unformatted files), `opa check --strict`, then
 * `opa build -t wasm` against a capabilities file of what the engine can run, extracting
 * policy.wasm and data.json next to the bundle. Skipped when nothing it depends on changed.
 */
export async function buildPolicies(options: BuildOptions): Promise<BuildResult> {
  const log = options.log ?? (() => {});
  const policiesDir = resolve(options.policiesDir);
  const outDir = resolve(options.outDir);
  const entrypoints = options.entrypoints ?? Object.values(defaultEntrypoints);
  if (!existsSync(policiesDir) || !statSync(policiesDir).isDirectory()) {
    throw new WasmgateError('INPUT_INVALID', `policy directory ${policiesDir} does not exist`);
  }
  const stampFile = join(outDir, '.fingerprint');
  const stamp = fingerprint({ ...options, policiesDir }, entrypoints);
  if (
    !options.force &&
    existsSync(join(outDir, 'policy.wasm')) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp
  ) {
    log(`policies unchanged since the last build (OPA ${options.opa.version}): OPA steps skipped`);
    return { skipped: true, outDir };
  }
  mkdirSync(outDir, { recursive: true });
  rmSync(stampFile, { force: true });

  const fmt = await runOpa(options.opa, ['fmt', '--list', policiesDir]);
  if (fmt.exitCode !== 0) throw new WasmgateError('OPA_FAILED', `opa fmt failed:\n${opaMessage(fmt)}`);
  const unformatted = fmt.stdout.split('\n').filter(Boolean);
  if (unformatted.length > 0) {
    throw new WasmgateError(
      'OPA_FAILED',
      `these policy files are not formatted (run "opa fmt -w ${relative(process.cwd(), policiesDir) || '.'}"):\n  ${unformatted.join('\n  ')}`,
    );
  }

  const capabilitiesFile = join(outDir, 'capabilities.json');
  const builtins = await generateCapabilities(options.opa, capabilitiesFile);
  log(`capabilities: ${builtins.excluded.length} OPA builtins left out (the engine cannot run them)`);

  const check = await runOpa(options.opa, ['check', '--strict', '--capabilities', capabilitiesFile, policiesDir]);
  if (check.exitCode !== 0) throw new WasmgateError('OPA_FAILED', `opa check failed:\n${explainCompileErrors(opaMessage(check), builtins)}`);

  const bundle = join(outDir, 'bundle.tar.gz');
  const build = await runOpa(options.opa, [
    'build',
    '-t',
    'wasm',
    '--capabilities',
    capabilitiesFile,
    '--ignore',
    '*_test.rego',
    ...entrypoints.flatMap((e) => ['-e', e]),
    '-o',
    bundle,
    policiesDir,
  ]);
  if (build.exitCode !== 0) throw new WasmgateError('OPA_FAILED', `opa build failed:\n${explainCompileErrors(opaMessage(build), builtins)}`);
  const files = await readBundleFiles(bundle, ['policy.wasm', 'data.json']);
  for (const name of ['policy.wasm', 'data.json']) {
    const file = files.get(name);
    if (!file) throw new WasmgateError('OPA_FAILED', `opa build wrote no ${name} into ${bundle}`);
    writeFileSync(join(outDir, name), file);
  }
  writeFileSync(stampFile, stamp);
  log(`compiled ${relative(process.cwd(), policiesDir) || '.'} to ${relative(process.cwd(), outDir) || '.'}/policy.wasm with OPA ${options.opa.version}`);
  return { skipped: false, outDir };
}
