// Every process the suite starts, tracked by PID so that each is stopped, on success and on failure:
// by the test's teardown, and, should the test process itself be ended, by its exit and signal handlers.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Where its stdout and stderr go. */
  readonly logFile: string;
  /** Resolves when it has exited. */
  readonly exited: Promise<void>;
  readonly log: () => string;
}

const running = new Map<number, Started>();

function killNow(signal: NodeJS.Signals): void {
  for (const pid of running.keys()) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

process.on('exit', () => killNow('SIGKILL'));
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killNow('SIGKILL');
    process.exit(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal]);
  });
}

export function start(name: string, command: string, args: readonly string[], logDir: string, env: NodeJS.ProcessEnv = process.env): Started {
  const logFile = join(logDir, `${name}.log`);
  const out = createWriteStream(logFile);
  const child = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  if (child.pid === undefined) throw new Error(`could not start ${name} (${command})`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const started: Started = { name, pid: child.pid, child, logFile, exited, log: () => readFileSync(logFile, 'utf8') };
  running.set(child.pid, started);
  void exited.then(() => running.delete(started.pid));
  return started;
}

/** Stops one process by its PID: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stop(process_: Started, graceMs = 10_000): Promise<void> {
  if (!running.has(process_.pid)) return;
  process_.child.kill('SIGTERM');
  const timer = setTimeout(() => process_.child.kill('SIGKILL'), graceMs);
  await process_.exited;
  clearTimeout(timer);
}

/** Stops every process still running, the last started first (kube-apiserver before etcd). */
export async function stopAll(): Promise<void> {
  for (const started of [...running.values()].reverse()) await stop(started);
}

/** A port nobody listens on at this moment: the OS picks it. Other suites on this machine pick theirs the same way. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Polls `check` until it returns a value (not undefined), or fails after `timeoutMs` with `what` and the
 * last error; `giveUp` ends the wait early with its reason (a process that exited will never be ready).
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  options: { intervalMs?: number; giveUp?: () => string | undefined } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const reason = options.giveUp?.();
    if (reason) throw new Error(`${reason} (waiting for ${what})`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
