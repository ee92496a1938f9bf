import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WasmgateError } from '../errors.js';
import { readBundleFiles } from '../engine/bundle.js';
import { builtinTable } from '../engine/builtins/index.js';
import { memoryPagesNeeded } from '../engine/wasm-binary.js';
import { packageRoot } from '../paths.js';
import { generateCapabilities } from '../toolchain/capabilities.js';
import { runOpa, type OpaTool } from '../toolchain/opa.js';
import { optimiseWasm, resolveWasmOpt, wasmOptFingerprint, type WasmOptTool } from '../toolchain/wasm-opt.js';
import type { ConstraintTemplate } from './objects.js';

/** Compiled templates by content hash, so that a second run (or a reload) compiles only what changed. */
export const defaultCacheDir = join(packageRoot, '.cache', 'gatekeeper');

/** A template compiled to its own WASM module: its package stays apart from every other template's. */
export interface CompiledTemplate {
  readonly template: ConstraintTemplate;
  readonly module: WebAssembly.Module;
  readonly memoryMinPages: number;
  /** `<package path>/violation`, e.g. `k8srequiredlabels/violation`. */
  readonly entrypoint: string;
  /** Content hash of the compiled module. */
  readonly hash: string;
}

export interface CompileOptions {
  readonly opa: OpaTool;
  /** Binaryen's wasm-opt, which optimises OPA's module (default: the `binaryen` package's). */
  readonly wasmOpt?: WasmOptTool;
  readonly cacheDir?: string;
  readonly log?: (line: string) => void;
}

function sha256(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(`${part.length}:${part}`);
  return hash.digest('hex');
}

/** Writes a file by renaming over it, so that concurrent runs never read half of one. */
function writeAtomically(path: string, content: string | Uint8Array): void {
  const partial = `${path}.partial-${process.pid}`;
  writeFileSync(partial, content);
  renameSync(partial, path);
}

/** The package a module declares, as a dotted path; only plain identifiers, as Gatekeeper's templates use. */
export function packageOf(rego: string, where: string): string {
  for (const line of rego.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = /^package\s+([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)\s*(?:#.*)?$/.exec(trimmed);
    if (!m) throw new WasmgateError('INPUT_INVALID', `${where}: the Rego must start with a package declaration of plain names (package a.b), found: ${trimmed}`);
    return m[1]!;
  }
  throw new WasmgateError('INPUT_INVALID', `${where}: the Rego is empty`);
}

const capabilitiesByKey = new Map<string, Promise<string>>();

/** The capabilities file of what wasmgate's engine can run, generated once per OPA version and host. */
function capabilitiesFile(opa: OpaTool, cacheDir: string): Promise<string> {
  const key = sha256(opa.version, [...builtinTable().keys()].sort().join(','));
  const file = join(cacheDir, `capabilities-${key.slice(0, 16)}.json`);
  let pending = capabilitiesByKey.get(file);
  if (!pending) {
    pending = (async () => {
      if (existsSync(file)) return file;
      const partial = `${file}.partial-${process.pid}`;
      await generateCapabilities(opa, partial);
      renameSync(partial, file);
      return file;
    })();
    capabilitiesByKey.set(file, pending);
  }
  return pending;
}

function templateWhere(template: ConstraintTemplate): string {
  return `${template.origin}: template ${template.name}`;
}

/** Checks Gatekeeper's rules on the modules: a `violation` rule, libs under `data.lib`. */
function checkModules(template: ConstraintTemplate): string {
  const where = templateWhere(template);
  const pkg = packageOf(template.rego, where);
  if (!/^\s*violation\b/m.test(template.rego)) throw new WasmgateError('INPUT_INVALID', `${where}: invalid rego: missing required rules: [violation]`);
  template.libs.forEach((lib, i) => {
    const libPackage = packageOf(lib, `${where}: libs[${i}]`);
    if (libPackage !== 'lib' && !libPackage.startsWith('lib.')) {
      throw new WasmgateError('INPUT_INVALID', `${where}: libs[${i}] declares package ${libPackage}; a library's package must be under lib (data.lib.*)`);
    }
  });
  return `${pkg.replace(/\./g, '/')}/violation`;
}

/**
 * Compiles one template's Rego and libs to WASM with the pinned OPA (`--v0-compatible` unless the
 * template declares v1), against wasmgate's capabilities, optimised by wasm-opt, or takes it from the cache.
 */
export async function compileTemplate(template: ConstraintTemplate, options: CompileOptions): Promise<CompiledTemplate> {
  const cacheDir = options.cacheDir ?? defaultCacheDir;
  mkdirSync(cacheDir, { recursive: true });
  const entrypoint = checkModules(template);
  const capabilities = await capabilitiesFile(options.opa, cacheDir);
  const wasmOpt = options.wasmOpt ?? resolveWasmOpt();
  const key = sha256(options.opa.version, wasmOptFingerprint(wasmOpt), readFileSync(capabilities, 'utf8'), template.regoVersion, entrypoint, template.rego, ...template.libs);
  const cached = join(cacheDir, `${key}.wasm`);
  let wasm: Uint8Array<ArrayBuffer>;
  if (existsSync(cached)) {
    wasm = new Uint8Array(readFileSync(cached));
  } else {
    const compiled = await build(template, entrypoint, capabilities, options.opa);
    // Optimised as the policy build's module is; this cache keeps the result, so wasm-opt's need not.
    wasm = new Uint8Array(await optimiseWasm(compiled, `the WASM of ${templateWhere(template)}`, { tool: wasmOpt, cache: false }));
    writeAtomically(cached, wasm);
    options.log?.(`compiled template ${template.name} (${template.regoVersion}) with OPA ${options.opa.version}`);
  }
  return {
    template,
    module: new WebAssembly.Module(wasm),
    memoryMinPages: memoryPagesNeeded(wasm),
    entrypoint,
    hash: createHash('sha256').update(wasm).digest('hex'),
  };
}

async function build(template: ConstraintTemplate, entrypoint: string, capabilities: string, opa: OpaTool): Promise<Uint8Array<ArrayBuffer>> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-gatekeeper-'));
  try {
    // Run in the temp dir with relative paths: the module's error locations read `<template>/template.rego:7`.
    mkdirSync(join(dir, template.name));
    writeFileSync(join(dir, template.name, 'template.rego'), template.rego);
    template.libs.forEach((lib, i) => writeFileSync(join(dir, template.name, `lib_${i}.rego`), lib));
    const run = await runOpa(opa, [
      'build',
      '-t',
      'wasm',
      '--capabilities',
      capabilities,
      ...(template.regoVersion === 'v0' ? ['--v0-compatible'] : []),
      '-e',
      entrypoint,
      '-o',
      'bundle.tar.gz',
      template.name,
    ], dir);
    if (run.exitCode !== 0) {
      throw new WasmgateError(
        'OPA_FAILED',
        `${templateWhere(template)}: its Rego (${template.regoVersion}) does not compile:\n${(run.stderr.trim() || run.stdout.trim())}`,
      );
    }
    const wasm = (await readBundleFiles(join(dir, 'bundle.tar.gz'), ['policy.wasm'])).get('policy.wasm');
    if (!wasm) throw new WasmgateError('OPA_FAILED', `opa build wrote no policy.wasm for template ${template.name}`);
    return new Uint8Array(wasm);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
