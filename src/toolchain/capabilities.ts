import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WasmgateError } from '../errors.js';
import { builtinTable } from '../engine/builtins/index.js';
import { requiredBuiltins } from '../engine/wasm-policy.js';
import { memoryPagesNeeded } from '../engine/wasm-binary.js';
import { readBundleFile } from '../engine/bundle.js';
import { opaMessage, runOpa, type OpaTool } from './opa.js';

interface BuiltinDecl {
  name: string;
  infix?: string;
  deprecated?: boolean;
  decl?: { args?: unknown[]; result?: unknown; variadic?: unknown };
}

interface Capabilities {
  builtins: BuiltinDecl[];
  [key: string]: unknown;
}

/** Builtins that are part of the language itself (operators, print, internals): the compiler inlines them. */
function isLanguageLevel(b: BuiltinDecl): boolean {
  return Boolean(b.infix) || b.name === 'print' || b.name.startsWith('internal.') || Boolean(b.decl?.variadic);
}

/**
 * Which builtins OPA compiles to native WASM code, found by compiling a probe policy that calls every
 * builtin and reading which ones the module still imports from its host.
 */
async function hostCalledBuiltins(opa: OpaTool, all: BuiltinDecl[], workdir: string): Promise<Set<string>> {
  const lines = ['package probe', ''];
  all
    .filter((b) => !b.deprecated && !isLanguageLevel(b))
    .forEach((b, i) => {
      const args = (b.decl?.args ?? []).map((_, j) => `input.a${j}`).join(', ');
      lines.push(b.decl?.result !== undefined ? `r${i} := ${b.name}(${args})` : `r${i} if ${b.name}(${args})`);
    });
  const source = join(workdir, 'probe.rego');
  const bundle = join(workdir, 'probe.tar.gz');
  writeFileSync(source, `${lines.join('\n')}\n`);
  const run = await runOpa(opa, ['build', '-t', 'wasm', '-e', 'probe', source, '-o', bundle]);
  if (run.exitCode !== 0) throw new WasmgateError('OPA_FAILED', `probing OPA's WASM builtins failed:\n${opaMessage(run)}`);
  const wasm = new Uint8Array(await readBundleFile(bundle, 'policy.wasm'));
  return new Set(requiredBuiltins(new WebAssembly.Module(wasm), memoryPagesNeeded(wasm)));
}

/**
 * The capabilities file the build passes to OPA: OPA's own builtins, less those the compiled module
 * would have to call out for and that neither the SDK nor our host implements. A policy calling one
 * of those then fails to compile, naming the builtin, instead of failing mid-request. Returns the
 * builtins left out and those a policy may call by name (for telling a typo from a missing builtin).
 */
export async function generateCapabilities(opa: OpaTool, outFile: string): Promise<{ excluded: string[]; available: string[] }> {
  const current = await runOpa(opa, ['capabilities', '--current']);
  if (current.exitCode !== 0) throw new WasmgateError('OPA_FAILED', `opa capabilities failed:\n${opaMessage(current)}`);
  const capabilities = JSON.parse(current.stdout) as Capabilities;
  const workdir = mkdtempSync(join(tmpdir(), 'wasmgate-caps-'));
  try {
    const external = await hostCalledBuiltins(opa, capabilities.builtins, workdir);
    const implemented = builtinTable();
    const excluded: string[] = [];
    capabilities.builtins = capabilities.builtins.filter((b) => {
      const runnable = !external.has(b.name) || implemented.has(b.name);
      if (!runnable) excluded.push(b.name);
      return runnable;
    });
    writeFileSync(outFile, `${JSON.stringify(capabilities, null, 1)}\n`);
    return { excluded, available: capabilities.builtins.filter((b) => !isLanguageLevel(b) && !b.deprecated).map((b) => b.name) };
  } finally {
    rmSync(workdir, { recursive: true, force: true });
  }
}
