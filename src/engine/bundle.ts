import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ReadEntry } from 'tar';
import { WasmgateError } from '../errors.js';
import { packageRoot } from '../paths.js';
import { memoryPagesNeeded } from './wasm-binary.js';

/** Where `npm run build` puts the compiled policy. */
export const defaultBundleDir = join(packageRoot, 'wasm');

export const entrypoints = {
  decision: 'wasmgate/main/decision',
  configErrors: 'wasmgate/main/config_errors',
  mutation: 'wasmgate/main/mutation',
} as const;

/**
 * Optional: the data-only work of the policy, evaluated once per data load (see PolicyEvaluator);
 * a policy directory without it is served as it is.
 */
export const prepareEntrypoint = 'wasmgate/main/prepare';

/**
 * What the host reads of a review besides the decision (src/toolchain/envelope.rego, which every build
 * compiles in); a bundle built without it has its reviews parsed in JavaScript as well.
 */
export const envelopeEntrypoint = 'wasmgate/host/envelope';

/** A compiled policy as it sits on disk: the WASM module, compiled once, and its default data. */
export interface PolicyBundle {
  readonly module: WebAssembly.Module;
  /** The module's bytes, for the engine that evaluates in the calling thread (it rewrites them: interruptible.ts). */
  readonly wasm: Uint8Array;
  readonly data: unknown;
  /** The least memory, in WASM pages, the module accepts: its import's minimum, or more if its data segments reach further. */
  readonly memoryMinPages: number;
  /** Short content hash of the WASM and its data: what metrics and logs call the policy revision. */
  readonly revision: string;
  readonly source: string;
}

/**
 * Reads files out of an OPA bundle (.tar.gz) in one pass; entries may be named "/policy.wasm" or
 * "policy.wasm". Names the bundle lacks are absent from the result.
 */
export async function readBundleFiles(tarball: string, names: readonly string[]): Promise<Map<string, Buffer>> {
  // Loaded here, not with the module: a webhook serving a bundle directory never needs it (~4 MiB).
  const { Parser } = await import('tar');
  const chunks = new Map<string, Buffer[]>();
  await new Promise<void>((done, fail) => {
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        const name = entry.path.replace(/^\/+/, '');
        if (!names.includes(name)) {
          entry.resume();
          return;
        }
        const parts: Buffer[] = [];
        chunks.set(name, parts);
        entry.on('data', (chunk: Buffer) => parts.push(chunk));
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
  return new Map([...chunks].map(([name, parts]) => [name, Buffer.concat(parts)]));
}

/** Reads one file out of an OPA bundle; its absence is an error. */
export async function readBundleFile(tarball: string, name: string): Promise<Buffer> {
  const file = (await readBundleFiles(tarball, [name])).get(name);
  if (!file) throw new WasmgateError('BUNDLE_INVALID', `${tarball} has no ${name}`);
  return file;
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
 * The module compiled when first asked for (~4 MiB of code): an engine evaluating in its own thread
 * runs a rewrite of it instead (interruptible.ts) and never needs it. Validated now, so a bad file
 * still fails the load.
 */
function lazilyCompiled(bytes: Buffer, where: string): () => WebAssembly.Module {
  if (!WebAssembly.validate(new Uint8Array(bytes))) compile(bytes, where);
  let module: WebAssembly.Module | undefined;
  return () => (module ??= compile(bytes, where));
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
    const files = await readBundleFiles(source, ['policy.wasm', 'data.json']);
    const wasmFile = files.get('policy.wasm');
    if (!wasmFile) throw new WasmgateError('BUNDLE_INVALID', `${source} has no policy.wasm`);
    wasm = wasmFile;
    dataBytes = files.get('data.json');
  }
  const data = dataBytes ? parseJsonFile(dataBytes, `${source} data.json`) : {};
  const revision = createHash('sha256')
    .update(wasm)
    .update(dataBytes ?? '')
    .digest('hex')
    .slice(0, 12);
  const module = lazilyCompiled(wasm, source);
  return {
    get module() {
      return module();
    },
    wasm,
    memoryMinPages: memoryPagesNeeded(wasm),
    data,
    revision,
    source,
  };
}
