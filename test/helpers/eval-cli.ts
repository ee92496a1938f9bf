import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { loadEngine, registerEval, type OpenEngine } from '../../dist/cli/commands/eval.js';
import { Engine } from '../../dist/engine/index.js';
import { repoRoot } from './policies.js';

export const cli = join(repoRoot, 'dist', 'cli', 'main.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real program in a child process: for what the process itself does (help, argv errors, stdin, exit code). */
export function wasmgate(args: string[], input?: string, cwd?: string): Run {
  const run = spawnSync(process.execPath, [cli, ...args], {
    input: input ?? '',
    encoding: 'utf8',
    cwd: cwd ?? repoRoot,
    // Without tap's NODE_OPTIONS loaders, which would slow every child down by a second.
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/**
 * One engine for a test file's in-process runs: a pool worker started under tap inherits its loaders
 * and takes a second or more to start, so a fresh engine per run would make a file slow.
 */
export async function sharedEngine(bundle: string, teardown: (fn: () => unknown) => void): Promise<OpenEngine> {
  // No deadline to speak of: these tests are about decisions, and a loaded machine must not turn one into a timeout.
  const shared = await Engine.load({ bundle, workers: 2, timeoutMs: 60_000 });
  teardown(() => shared.close());
  return async () => ({
    evaluate: (input: object | Uint8Array) => shared.evaluate(input),
    mutate: (input: object | Uint8Array) => shared.mutate(input),
    workers: 2,
    close: async () => {},
  });
}

export interface EvalCommandOptions {
  readonly openEngine?: OpenEngine;
  readonly tty?: boolean;
  readonly env?: NodeJS.ProcessEnv;
}

/** The eval command in this process, with its output and exit code captured: most tests need no child process. */
export async function evalCommand(args: string[], stdin = '', options: EvalCommandOptions = {}): Promise<Run> {
  const run = { code: 0 as number | null, stdout: '', stderr: '' };
  const io = {
    stdout: { write: (s: string) => (run.stdout += s), isTTY: options.tty ?? false },
    stderr: { write: (s: string) => (run.stderr += s) },
    readStdin: async () => stdin,
    env: options.env ?? { NO_COLOR: '1' },
    setExitCode: (code: number) => (run.code = code),
  };
  const program = new Command().exitOverride().configureOutput({ writeOut: io.stdout.write, writeErr: io.stderr.write });
  registerEval(program, io, options.openEngine ?? loadEngine);
  try {
    await program.parseAsync(['eval', ...args], { from: 'user' });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    run.code = err.exitCode === 0 ? 0 : 2;
  }
  return run;
}
