import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import { WasmgateError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { memoryImportMinimum } from './wasm-binary.js';

/** Where `npm run build` puts the compiled policy. */
export const defaultBundleDir = join(packageRoot, 'wasm');

export const entrypoints = {
  decision: 'wasmgate/main/decision',
  configErrors: 'wasmgate/main/config_errors',
} as const;

/** A compiled policy as it sits on disk: the WASM module, compiled once, and its default data. */
export interface PolicyBundle {
  readonly module: WebAssembly.Module;
  readonly data: unknown;
  /** The least memory, in WASM pages, the module accepts. */
  readonly memoryMinPages: number;
  /** Short content hash of the WASM and its data: what metrics and logs call the policy revision. */
  readonly revision: string;
  readonly source: string;
}

/** Reads one file out of an OPA bundle (.tar.gz); entries may be named "/policy.wasm" or "policy.wasm". */
export async function readBundleFile(tarball: string, name: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let found = false;
  await new Promise<void>((done, fail) => {
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        if (entry.path.replace(/^\/+/, '') === name) {
          found = true;
          entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        } else entry.resume();
      },
    });
    parser.on('end', () => done());
    parser.on('error', fail);
    try {
      parser.end(readFileSync(tarball));
    } catch (err) {
      fail(err);
    }
  });
  if (!found) throw new WasmgateError('BUNDLE_INVALID', `${tarball} has no ${name}`);
  return Buffer.concat(chunks);
}

function parseJsonFile(bytes: Buffer, where: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new WasmgateError('BUNDLE_INVALID', `${where} is not valid JSON: ${(err as Error).message}`);
  }
}

function compile(bytes: Buffer, where: string): WebAssembly.Module {
  try {
    return new WebAssembly.Module(new Uint8Array(bytes));
  } catch (err) {
    throw new WasmgateError('BUNDLE_INVALID', `${where} is not a valid WebAssembly module: ${(err as Error).message}`);
  }
}

/**
 * Loads a compiled policy from a directory holding policy.wasm and data.json (what the build writes
 * to wasm/) or from an OPA bundle .tar.gz built with `opa build -t wasm`.
 */
export async function loadBundle(location: string = defaultBundleDir): Promise<PolicyBundle> {
  const source = resolve(location);
  if (!existsSync(source)) {
    throw new WasmgateError(
      'BUNDLE_INVALID',
      location === defaultBundleDir
        ? `no compiled policy in ${source}: run "npm run build" first`
        : `no compiled policy at ${source}`,
    );
  }
  let wasm: Buffer;
  let dataBytes: Buffer | undefined;
  if (statSync(source).isDirectory()) {
    const wasmPath = join(source, 'policy.wasm');
    if (!existsSync(wasmPath)) throw new WasmgateError('BUNDLE_INVALID', `${source} has no policy.wasm: run "npm run build" first`);
    wasm = readFileSync(wasmPath);
    const dataPath = join(source, 'data.json');
    if (existsSync(dataPath)) dataBytes = readFileSync(dataPath);
  } else {
    wasm = await readBundleFile(source, 'policy.wasm');
    dataBytes = await readBundleFile(source, 'data.json').catch(() => undefined);
  }
  const data = dataBytes ? parseJsonFile(dataBytes, `${source} data.json`) : {};
  const revision = createHash('sha256')
    .update(wasm)
    .update(dataBytes ?? '')
    .digest('hex')
    .slice(0, 12);
  return { module: compile(wasm, source), memoryMinPages: memoryImportMinimum(wasm), data, revision, source };
}
