// Processes the bench starts and watches: CPU pinning, /proc readings (CPU time, RSS), sampling over
// time, waiting for a server, and stopping only what the bench itself started (by pid).
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export const tasksetPath = ['/usr/bin/taskset', '/bin/taskset'].find((p) => existsSync(p));

/**
 * Where servers and load generators run: with two or more cores and taskset, the server gets core 0 and
 * the load generator core 1 (pinning says so in the results); otherwise nothing is pinned.
 */
export function pinning() {
  const cores = availableParallelism();
  if (!tasksetPath || cores < 2) return { pinned: false, why: tasksetPath ? `only ${cores} core` : 'taskset not found', server: undefined, load: undefined };
  return { pinned: true, server: '0', load: '1', why: 'server on CPU 0, load generator on CPU 1 (taskset)' };
}

/** [command, args] prefixed with `taskset -c cpus` when cpus is given. */
export function pinned(cpus, command, args) {
  return cpus && tasksetPath ? [tasksetPath, ['-c', cpus, command, ...args]] : [command, args];
}

/** utime + stime of a /proc stat file, in milliseconds. */
function statCpuMs(file) {
  const stat = readFileSync(file, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicks;
}

/** CPU time (user + system, all threads) of a live process in milliseconds. */
export function cpuMs(pid) {
  return statCpuMs(`/proc/${pid}/stat`);
}

/** CPU time (user + system) of a live process's main thread alone (its thread id is its pid), in milliseconds. */
export function mainThreadCpuMs(pid) {
  return statCpuMs(`/proc/${pid}/task/${pid}/stat`);
}

/** Current and peak resident set size of a live process, in MiB. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, hwmMiB: kib('VmHWM') / 1024 };
}

/** Samples a process's RSS every `ms` until stopped; returns [{t (s), rssMiB}] and the peak. */
export function sampleRss(pid, ms = 250) {
  const start = Date.now();
  const series = [];
  const take = () => {
    try {
      series.push({ t: (Date.now() - start) / 1000, rssMiB: memory(pid).rssMiB });
    } catch {
      /* the process is gone */
    }
  };
  take();
  const timer = setInterval(take, ms);
  return {
    stop() {
      clearInterval(timer);
      take();
      let peak = 0;
      try {
        peak = memory(pid).hwmMiB;
      } catch {
        peak = Math.max(...series.map((s) => s.rssMiB));
      }
      return { series, peakMiB: peak };
    },
  };
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** POSTs `body` over HTTPS (self-signed accepted) to 127.0.0.1; resolves {status, body}. */
export function post(url, body, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', rejectUnauthorized: false, headers: { 'content-type': 'application/json' }, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(body);
  });
}

/** Polls until a POST of `body` to `url` answers 200, or throws after `timeoutMs` (bounded). */
export async function waitForServer(url, body, { timeoutMs = 30_000, child } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before answering`);
    try {
      const res = await post(url, body, 2000);
      if (res.status === 200) return res;
      last = `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server at ${url} did not answer within ${timeoutMs} ms (${last})`);
}

/**
 * Starts a long-running process (a server) with its output going to `logFile` (a file, so that
 * draining a pipe costs the bench nothing). `stop()` sends SIGTERM to that pid only, then SIGKILL
 * after a grace period. With taskset the pid is the server's own (taskset execs it).
 */
export function startProcess(command, args, { env, cwd, cpus, logFile } = {}) {
  const [cmd, argv] = pinned(cpus, command, args);
  const fd = openSync(logFile, 'w');
  const child = spawn(cmd, argv, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    child,
    pid: child.pid,
    output: () => {
      try {
        return readFileSync(logFile, 'utf8').slice(-4000);
      } catch {
        return '';
      }
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Runs a command to completion; resolves {code, stdout, stderr}. Bounded by timeoutMs. */
export function run(command, args, { env, cwd, cpus, input, timeoutMs = 600_000, stdoutFile } = {}) {
  const [cmd, argv] = pinned(cpus, command, args);
  return new Promise((resolve, reject) => {
    const fd = stdoutFile ? openSync(stdoutFile, 'w') : undefined;
    const child = spawn(cmd, argv, { env: { ...process.env, ...env }, cwd, stdio: [input === undefined ? 'ignore' : 'pipe', fd ?? 'pipe', 'pipe'] });
    if (fd !== undefined) closeSync(fd);
    const out = [];
    const err = [];
    child.stdout?.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    if (input !== undefined) child.stdin.end(input);
  });
}
