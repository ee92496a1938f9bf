import { resolve } from 'node:path';
import { WasmgateError } from '../errors.js';
import { opaMessage, runOpa, type OpaTool } from './opa.js';

/** OPA runs in the package root: paths are made absolute first, so they mean what they meant to the caller. */
async function fmt(opa: OpaTool, flags: readonly string[], paths: readonly string[]): Promise<string> {
  const run = await runOpa(opa, ['fmt', ...flags, ...paths.map((p) => resolve(p))]);
  if (run.exitCode !== 0) throw new WasmgateError('INPUT_INVALID', `opa fmt failed:\n${opaMessage(run)}`);
  return run.stdout;
}

/** The .rego files under `paths` (files or directories) whose text differs from what `opa fmt` writes. */
export async function unformattedFiles(opa: OpaTool, paths: readonly string[]): Promise<string[]> {
  return (await fmt(opa, ['--list'], paths)).split('\n').filter(Boolean);
}

/** A file's text as `opa fmt` writes it. */
export function formattedText(opa: OpaTool, file: string): Promise<string> {
  return fmt(opa, [], [file]);
}

/** Rewrites the .rego files under `paths` as `opa fmt` formats them. */
export async function formatFiles(opa: OpaTool, paths: readonly string[]): Promise<void> {
  await fmt(opa, ['--write'], paths);
}
