import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WasmgateError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { envelopeEntrypoint, readBundleFiles } from '../engine/bundle.js';
import { catalogueFileName, readCatalogue, writeCatalogue } from '../policies/catalogue.js';
import { builtinTable } from '../engine/builtins/index.js';
import { generateCapabilities } from './capabilities.js';
import { explainCompileErrors } from './compile-errors.js';
import { describeRules, envelopeModule, optionalEntrypoints, requiredEntrypoints, ruleOf } from './entrypoints.js';
import { unformattedFiles } from './fmt.js';
import { inDirectory, opaMessage, policyDirIgnores, runOpa, type OpaRun, type OpaTool } from './opa.js';
import { replaceBundleFile } from './bundle-archive.js';
import { buildCache } from './build-cache.js';
import { optimiseWasm, resolveWasmOpt, wasmOptArgs, wasmOptFingerprint, type WasmOptTool } from './wasm-opt.js';

export interface BuildOptions {
  readonly opa: OpaTool;
  /** Binaryen's wasm-opt, which optimises OPA's module (default: the `binaryen` package's). */
  readonly wasmOpt?: WasmOptTool;
  readonly policiesDir: string;
  readonly outDir: string;
  readonly entrypoints?: readonly string[];
  /** Rebuild even if nothing changed. */
  readonly force?: boolean;
  readonly log?: (line: string) => void;
}

export interface BuildResult {
  /** outDir held this build already: nothing was done. */
  readonly skipped: boolean;
  /** The build was copied from .cache/builds/, made before from the same files. */
  readonly fromCache: boolean;
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

/** The code that makes the build's output (this directory's and the catalogue's), hashed once a process. */
let buildCode: string | undefined;

function buildCodeHash(): string {
  if (buildCode === undefined) {
    const hash = createHash('sha256');
    for (const dir of [here, join(here, '..', 'policies')]) {
      for (const file of listFiles(dir).filter((f) => f.endsWith('.js') || f.endsWith('.ts') || f.endsWith('.rego'))) hash.update(readFileSync(file));
    }
    buildCode = hash.digest('hex');
  }
  return buildCode;
}

/**
 * What the compiled output depends on: every file under the policies but the fixtures beside them
 * (OPA ignores those: policyDirIgnores), OPA's version, wasm-opt's version and arguments, the host's
 * builtins, and the code of the build itself.
 */
function fingerprint(options: BuildOptions, wasmOpt: WasmOptTool, entrypoints: readonly string[]): string {
  const hash = createHash('sha256');
  hash.update(`opa ${options.opa.version}\n`);
  hash.update(`build ${buildCodeHash()}\n`);
  hash.update(`${wasmOptFingerprint(wasmOpt)}\n`);
  hash.update(`entrypoints ${entrypoints.join(',')}\n`);
  hash.update(`host ${[...builtinTable().keys()].sort().join(',')}\n`);
  hash.update(readFileSync(envelopeModule));
  for (const file of listFiles(options.policiesDir).filter((f) => !relative(options.policiesDir, f).split(sep).includes('fixtures'))) {
    hash.update(`${relative(options.policiesDir, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

const here = dirname(fileURLToPath(import.meta.url));

/** What a build writes, and what the build cache keeps of it. */
const outputs = ['policy.wasm', 'data.json', 'bundle.tar.gz', catalogueFileName, 'capabilities.json'];

const cache = buildCache(join(packageRoot, '.cache', 'builds'), outputs);

const kib = (bytes: number) => `${Math.round(bytes / 1024)} KiB`;

const missingEntrypointError = /entrypoint "([^"]+)" does not refer to a rule/;

/**
 * The entrypoints the policies do not define. OPA names only the first one it misses, so the build
 * is tried again without each one named until OPA names no more.
 */
async function missingEntrypoints(
  firstError: string,
  entrypoints: readonly string[],
  compile: (targets: readonly string[]) => Promise<OpaRun>,
): Promise<string[]> {
  const missing: string[] = [];
  let error = firstError;
  for (;;) {
    const name = missingEntrypointError.exec(error)?.[1];
    if (name === undefined || missing.includes(name)) return missing;
    missing.push(name);
    const rest = entrypoints.filter((e) => !missing.includes(e));
    if (rest.length === 0) return missing;
    error = opaMessage(await compile(rest));
  }
}

/**
 * The policy build: `opa fmt` (fails on unformatted files), `opa check --strict`, then
 * `opa build -t wasm` against a capabilities file of what the engine can run, then wasm-opt over
 * OPA's module (in the bundle too), extracting policy.wasm and data.json next to the bundle, and the
 * policies' catalogue (catalogue.json, from their METADATA). Skipped when nothing it depends on changed.
 */
export async function buildPolicies(options: BuildOptions): Promise<BuildResult> {
  const log = options.log ?? (() => {});
  const policiesDir = resolve(options.policiesDir);
  const outDir = resolve(options.outDir);
  const entrypoints = options.entrypoints ?? requiredEntrypoints;
  if (!existsSync(policiesDir) || !statSync(policiesDir).isDirectory()) {
    throw new WasmgateError('INPUT_INVALID', `policy directory ${policiesDir} does not exist`);
  }
  const wasmOpt = options.wasmOpt ?? resolveWasmOpt();
  const stampFile = join(outDir, '.fingerprint');
  // The optional entrypoints the directory lacks are left out; a missing required one is an error.
  const optional = options.entrypoints ? [] : optionalEntrypoints;
  const stamp = fingerprint({ ...options, policiesDir }, wasmOpt, [...entrypoints, ...optional, envelopeEntrypoint]);
  if (
    !options.force &&
    existsSync(join(outDir, 'policy.wasm')) &&
    existsSync(join(outDir, catalogueFileName)) &&
    existsSync(stampFile) &&
    readFileSync(stampFile, 'utf8') === stamp
  ) {
    log(`policies unchanged since the last build (OPA ${options.opa.version}, binaryen ${wasmOpt.version}): OPA and wasm-opt steps skipped`);
    return { skipped: true, fromCache: false, outDir };
  }
  rmSync(stampFile, { force: true });
  if (!options.force && cache.restore(stamp, outDir)) {
    writeFileSync(stampFile, stamp);
    log(`${relative(process.cwd(), policiesDir) || '.'} compiled before with the same files (.cache/builds/): OPA and wasm-opt steps skipped`);
    return { skipped: false, fromCache: true, outDir };
  }
  mkdirSync(outDir, { recursive: true });

  const unformatted = await unformattedFiles(options.opa, [policiesDir]);
  if (unformatted.length > 0) {
    // npm runs scripts in the package root: name the directory from there.
    const fromRoot = relative(packageRoot, policiesDir);
    const npmArgs = fromRoot === 'policies' ? '' : ` -- ${fromRoot.startsWith('..') || isAbsolute(fromRoot) ? policiesDir : fromRoot}`;
    throw new WasmgateError(
      'OPA_FAILED',
      `these policy files are not formatted as opa fmt writes them:\n  ${unformatted.join('\n  ')}\n` +
        `Format them with "wasmgate fmt ${relative(process.cwd(), policiesDir) || '.'}" (in a wasmgate checkout: "npm run fmt${npmArgs}").`,
    );
  }

  const capabilitiesFile = join(outDir, 'capabilities.json');
  const builtins = await generateCapabilities(options.opa, capabilitiesFile);
  log(`capabilities: ${builtins.excluded.length} OPA builtins left out (the engine cannot run them)`);

  const check = await runOpa(options.opa, ['check', '--strict', '--capabilities', capabilitiesFile, ...policyDirIgnores, policiesDir, envelopeModule]);
  if (check.exitCode !== 0) throw new WasmgateError('OPA_FAILED', `opa check failed:\n${explainCompileErrors(opaMessage(check), builtins)}`);

  const catalogue = await readCatalogue(policiesDir, options.opa);
  writeCatalogue(join(outDir, catalogueFileName), catalogue);
  log(`catalogue: ${catalogue.length} ${catalogue.length === 1 ? 'policy' : 'policies'} described by their METADATA`);

  const bundle = join(outDir, 'bundle.tar.gz');
  // Run in the policy directory on `.`: OPA writes each file's path into the module, and relative
  // paths make it depend on the policies alone, so a copy of them elsewhere hits wasm-opt's cache.
  const compile = async (targets: readonly string[]): Promise<OpaRun> => {
    const run = await runOpa(options.opa, [
      'build',
      '-t',
      'wasm',
      '--capabilities',
      capabilitiesFile,
      '--ignore',
      '*_test.rego',
      ...policyDirIgnores,
      ...targets.flatMap((e) => ['-e', e]),
      '-o',
      bundle,
      '.',
      envelopeModule,
    ], policiesDir);
    return { ...run, stdout: inDirectory(run.stdout, policiesDir), stderr: inDirectory(run.stderr, policiesDir) };
  };
  let targets = [...entrypoints, ...optional, envelopeEntrypoint];
  let build = await compile(targets);
  if (build.exitCode !== 0 && optional.length > 0) {
    const absent = (await missingEntrypoints(opaMessage(build), targets, compile)).filter((e) => optional.includes(e));
    if (absent.length > 0) {
      targets = targets.filter((e) => !absent.includes(e));
      build = await compile(targets);
    }
  }
  if (build.exitCode !== 0) {
    const missing = await missingEntrypoints(opaMessage(build), entrypoints, compile);
    if (missing.length > 0) {
      throw new WasmgateError(
        'INPUT_INVALID',
        `${relative(process.cwd(), policiesDir) || '.'} does not define ${missing.map(ruleOf).join(' and ')}. ` +
          `A policy directory must define ${describeRules(entrypoints)}: the rules wasmgate evaluates ` +
          `(OPA entrypoints ${entrypoints.join(', ')}).\n${opaMessage(build)}`,
      );
    }
    throw new WasmgateError('OPA_FAILED', `opa build failed:\n${explainCompileErrors(opaMessage(build), builtins)}`);
  }
  const files = await readBundleFiles(bundle, ['policy.wasm', 'data.json']);
  const compiled = files.get('policy.wasm');
  const data = files.get('data.json');
  if (!compiled) throw new WasmgateError('OPA_FAILED', `opa build wrote no policy.wasm into ${bundle}`);
  if (!data) throw new WasmgateError('OPA_FAILED', `opa build wrote no data.json into ${bundle}`);
  const optimised = await optimiseWasm(compiled, `the policy.wasm OPA compiled from ${relative(process.cwd(), policiesDir) || '.'}`, { tool: wasmOpt });
  // The bundle is what `serve --bundle` loads: it carries the optimised module too.
  await replaceBundleFile(bundle, 'policy.wasm', optimised);
  writeFileSync(join(outDir, 'policy.wasm'), optimised);
  writeFileSync(join(outDir, 'data.json'), data);
  writeFileSync(stampFile, stamp);
  cache.store(stamp, outDir);
  log(
    `compiled ${relative(process.cwd(), policiesDir) || '.'} to ${relative(process.cwd(), outDir) || '.'}/policy.wasm with OPA ${options.opa.version}, ` +
      `optimised by wasm-opt ${wasmOptArgs.join(' ')} (binaryen ${wasmOpt.version}): ${kib(compiled.length)} → ${kib(optimised.length)}`,
  );
  return { skipped: false, fromCache: false, outDir };
}
