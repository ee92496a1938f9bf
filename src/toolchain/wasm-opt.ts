import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { WasmgateError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { pruneOldest } from './cache-dir.js';

const execFileAsync = promisify(execFile);

/**
 * How every compiled policy is optimised. -O3: 8–9 % less time per decision than OPA's own module
 * (-O4 gains nothing more). --mvp-features: OPA's module uses no instruction past WebAssembly 1.0, so
 * the optimised one asks no more of the engine than OPA's does. --debuginfo keeps the name section,
 * so CPU profiles name Rego rules instead of wasm-function[N]; neither costs a measurable microsecond.
 */
export const wasmOptArgs: readonly string[] = ['-O3', '--mvp-features', '--debuginfo'];

/** Binaryen's wasm-opt, from the `binaryen` package: a Node script, run with this process's Node. */
export interface WasmOptTool {
  readonly path: string;
  /** The `binaryen` package's version, e.g. "132.0.0". */
  readonly version: string;
}

export function resolveWasmOpt(): WasmOptTool {
  let manifest: string;
  try {
    manifest = createRequire(import.meta.url).resolve('binaryen/package.json');
  } catch (err) {
    throw new WasmgateError('WASM_OPT_FAILED', 'the binaryen package is not installed (it is one of wasmgate\'s dependencies: run "npm ci")', { cause: err });
  }
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const path = join(dirname(manifest), 'bin', 'wasm-opt');
  if (!existsSync(path)) throw new WasmgateError('WASM_OPT_FAILED', `binaryen ${version} has no ${path}`);
  return { path, version };
}

/** What the optimised module depends on besides OPA's output: the tool's version and its arguments. */
export function wasmOptFingerprint(tool: WasmOptTool): string {
  return `binaryen ${tool.version} ${wasmOptArgs.join(' ')}`;
}

/**
 * Optimised modules by content hash of OPA's module and the tool: the harness compiles its Rego tests
 * on every run, and tests compile the same directories again and again.
 */
const defaultCacheDir = join(packageRoot, '.cache', 'wasm-opt');

/** The cache keeps the modules used last (a tap run makes ~35 new ones); each is 100–650 KiB. */
const cacheEntries = 128;

export interface OptimiseOptions {
  readonly tool?: WasmOptTool;
  readonly cacheDir?: string;
  /** False for a caller with a cache of its own (Gatekeeper's templates). */
  readonly cache?: boolean;
}

/**
 * Runs wasm-opt over a module OPA compiled, or takes the result from the cache; `what` names the
 * module in the error if it fails. A child process rather than Binaryen's JS API: as fast, it leaves
 * this thread free, and its output is the command-line tool's, the one measured.
 */
export async function optimiseWasm(wasm: Uint8Array, what: string, options: OptimiseOptions = {}): Promise<Buffer> {
  const tool = options.tool ?? resolveWasmOpt();
  if (options.cache === false) return runWasmOpt(wasm, what, tool);
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  const key = createHash('sha256').update(`${wasmOptFingerprint(tool)}\n`).update(wasm).digest('hex');
  const cached = join(cacheDir, `${key}.wasm`);
  try {
    const hit = readFileSync(cached);
    const now = new Date();
    utimesSync(cached, now, now);
    return hit;
  } catch {
    // Not cached, or pruned just now by a run at the same time: optimise.
  }
  const optimised = await runWasmOpt(wasm, what, tool);
  try {
    mkdirSync(cacheDir, { recursive: true });
    // Renamed into place, so that runs at the same time never read half of one.
    const partial = `${cached}.partial-${process.pid}`;
    writeFileSync(partial, optimised);
    renameSync(partial, cached);
    pruneOldest(cacheDir, cacheEntries, (name) => name.endsWith('.wasm'));
  } catch {
    // A cache that cannot be written (a read-only install) costs the next run time, not this one its result.
  }
  return optimised;
}

async function runWasmOpt(wasm: Uint8Array, what: string, tool: WasmOptTool): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-wasm-opt-'));
  try {
    const input = join(dir, 'opa.wasm');
    const output = join(dir, 'optimised.wasm');
    writeFileSync(input, wasm);
    try {
      await execFileAsync(process.execPath, [tool.path, ...wasmOptArgs, input, '-o', output], { maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
      const failed = err as { stdout?: string; stderr?: string; code?: number | string };
      const said = [failed.stderr, failed.stdout].map((text) => text?.trim()).filter(Boolean).join('\n');
      throw new WasmgateError(
        'WASM_OPT_FAILED',
        `wasm-opt (binaryen ${tool.version}) could not optimise ${what}: ${said || `exit ${String(failed.code ?? err)}`}`,
        { cause: err },
      );
    }
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
