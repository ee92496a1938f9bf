import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { defaultBundleDir } from '../engine/index.js';
import type { EngineOptions } from '../engine/index.js';
import { WasmgateError } from '../errors.js';
import { inventoryOf } from '../gatekeeper/inventory.js';
import { loadGatekeeperDir } from '../gatekeeper/source.js';
import { readManifests } from '../manifests/index.js';
import { packageRoot } from '../paths.js';
import { catalogueFileName, loadCatalogue, readCatalogue, type PolicyEntry } from '../policies/catalogue.js';
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

/** A place for compiled policy files, and how to remove it once the engine has loaded them. */
export interface OutputDir {
  readonly dir: string;
  dispose(): void;
}

/**
 * Where compiled Rego from `policiesDir` goes: wasm/ for the project's own policies (what
 * `npm run build` keeps up to date), else a fresh temporary directory of this run's own, so that
 * runs at the same time never write into each other's files.
 */
export function outputDirFor(policiesDir: string): OutputDir {
  if (resolve(policiesDir) === resolve(defaultPoliciesDir)) return { dir: defaultBundleDir, dispose: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-policy-'));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A compiled policy to load, and what to clean up after loading it. */
export interface ResolvedPolicy {
  /** A directory with policy.wasm, or a bundle .tar.gz: what Engine.load reads. */
  readonly bundle: string;
  dispose(): void;
}

/**
 * What `--policy` names, as something Engine.load reads: a compiled bundle directory (policy.wasm),
 * an OPA bundle .tar.gz, or a directory of Rego, compiled first with the pinned OPA, as
 * `npm run build` does (fmt, check --strict, build -t wasm).
 */
export async function resolvePolicy(location: string | undefined, log: (line: string) => void = () => {}, opa?: OpaTool): Promise<ResolvedPolicy> {
  const kept = (bundle: string): ResolvedPolicy => ({ bundle, dispose: () => {} });
  if (location === undefined) return kept(defaultBundleDir);
  const path = resolve(location);
  if (!existsSync(path)) throw new WasmgateError('INPUT_INVALID', `--policy ${location}: no such file or directory`);
  if (statSync(path).isFile()) return kept(path);
  if (existsSync(join(path, 'policy.wasm'))) return kept(path);
  if (!holdsRego(path)) throw new WasmgateError('INPUT_INVALID', `--policy ${location} holds neither policy.wasm nor .rego files`);
  const out = outputDirFor(path);
  try {
    const tool = opa ?? resolveOpa(log);
    const built = await buildPolicies({ opa: tool, policiesDir: path, outDir: out.dir });
    log(built.fromCache ? `${location} compiled before with the same files: taken from .cache/builds/` : `compiled ${location} with OPA ${tool.version}`);
  } catch (err) {
    out.dispose();
    throw err;
  }
  return { bundle: out.dir, dispose: () => out.dispose() };
}

/** The Gatekeeper part of a run's engine: `--gatekeeper DIR` compiled, and whether it decides alone. */
export interface ResolvedGatekeeper {
  readonly only: boolean;
  readonly engineOptions: Pick<EngineOptions, 'gatekeeper' | 'gatekeeperOnly'>;
}

export interface GatekeeperFlags {
  readonly gatekeeper?: string;
  readonly gatekeeperOnly?: boolean;
  /** Files or directories of objects for `data.inventory` (a cluster dump, Namespaces). */
  readonly inventory?: readonly string[];
}

/** Reads and compiles `--gatekeeper DIR` (templates by content hash from .cache/gatekeeper/), and `--inventory`. */
export async function resolveGatekeeper(flags: GatekeeperFlags, log: (line: string) => void = () => {}, opa?: OpaTool): Promise<ResolvedGatekeeper> {
  const inventoryPaths = flags.inventory ?? [];
  if (flags.gatekeeper === undefined) {
    if (flags.gatekeeperOnly) throw new WasmgateError('INPUT_INVALID', '--gatekeeper-only needs --gatekeeper DIR');
    if (inventoryPaths.length > 0) throw new WasmgateError('INPUT_INVALID', '--inventory is for Gatekeeper templates: give --gatekeeper DIR');
    return { only: false, engineOptions: {} };
  }
  const gatekeeper = await loadGatekeeperDir(flags.gatekeeper, { opa: opa ?? resolveOpa(log), log });
  const read = inventoryPaths.length > 0 ? await readManifests(inventoryPaths) : undefined;
  const problem = read?.problems[0];
  if (problem) throw new WasmgateError('INPUT_INVALID', `--inventory ${problem.file}${problem.line !== undefined ? `:${problem.line}` : ''}: ${problem.message}`);
  const inventory = read && inventoryOf(read.manifests.map((m) => m.object), (i) => `--inventory ${read.manifests[i]!.source.file}:${read.manifests[i]!.source.line}`);
  return {
    only: Boolean(flags.gatekeeperOnly),
    engineOptions: { gatekeeper: inventory ? { ...gatekeeper, inventory } : gatekeeper, gatekeeperOnly: Boolean(flags.gatekeeperOnly) },
  };
}

/** A catalogue to show, and where its policies and default data are. */
export interface ResolvedCatalogue {
  readonly entries: readonly PolicyEntry[];
  /** The Rego sources, when known (for links to each policy's file). */
  readonly policyDir?: string;
  /** The data the policy runs with unless told otherwise: data.yaml beside the Rego, or a build's data.json. */
  readonly defaultData?: string;
}

/**
 * The catalogue of what `--policy` names: a directory of Rego, read with the pinned OPA (always
 * current); a compiled directory, from the catalogue.json its build wrote. Without `--policy`,
 * policies/ of the working directory (as `wasmgate test` and `wasmgate new policy` default to), else
 * wasmgate's own.
 */
export async function resolveCatalogue(location: string | undefined, log: (line: string) => void = () => {}, opa?: OpaTool): Promise<ResolvedCatalogue> {
  const path = resolve(location ?? (existsSync('policies') ? 'policies' : defaultPoliciesDir));
  const named = location ?? relative(process.cwd(), path);
  if (!existsSync(path)) throw new WasmgateError('INPUT_INVALID', `--policy ${named}: no such file or directory`);
  if (statSync(path).isFile()) throw new WasmgateError('INPUT_INVALID', `--policy ${named} is a bundle: its policies are listed from the directory of Rego it was built from, or from a directory the build wrote (catalogue.json)`);
  if (existsSync(join(path, 'policy.wasm'))) {
    const file = join(path, catalogueFileName);
    if (!existsSync(file)) throw new WasmgateError('INPUT_INVALID', `--policy ${named} has no ${catalogueFileName}: it was compiled by an older wasmgate; build it again`);
    const data = join(path, 'data.json');
    return { entries: loadCatalogue(file), ...(existsSync(data) ? { defaultData: data } : {}) };
  }
  if (!holdsRego(path)) throw new WasmgateError('INPUT_INVALID', `--policy ${named} holds neither policy.wasm nor .rego files`);
  const entries = await readCatalogue(path, opa ?? resolveOpa(log));
  const data = join(path, 'data.yaml');
  return { entries, policyDir: path, ...(existsSync(data) ? { defaultData: data } : {}) };
}

/**
 * The catalogue of the policy `wasmgate eval --policy` decides with, for describing its findings:
 * wasm/catalogue.json of the project's own build (its sources in policies/), else as
 * resolveCatalogue finds it; a bundle .tar.gz carries none.
 */
export async function catalogueOfPolicy(location: string | undefined, log: (line: string) => void = () => {}, opa?: OpaTool): Promise<ResolvedCatalogue | undefined> {
  if (location === undefined) {
    const file = join(defaultBundleDir, catalogueFileName);
    return existsSync(file) ? { entries: loadCatalogue(file), policyDir: defaultPoliciesDir } : undefined;
  }
  if (statSync(resolve(location)).isFile()) return undefined;
  return resolveCatalogue(location, log, opa);
}
