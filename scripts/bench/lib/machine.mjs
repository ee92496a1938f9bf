// What the results were measured on: CPU, cores, memory, load, versions, commit, date.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { root } from './paths.mjs';

function git(args) {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function machine() {
  let model = cpus()[0]?.model;
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    /* not Linux */
  }
  return {
    cpuModel: model,
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirtyPaths: Number(git(['status', '--porcelain', '--untracked-files=no'])?.split('\n').filter(Boolean).length ?? 0),
  };
}

export const load = () => loadavg().map((v) => Math.round(v * 100) / 100);

/** Waits (bounded) for the 1-minute load average to fall below `below`; returns what it saw. */
export async function waitForQuiet({ below = 0.7, maxMinutes = 30, log }) {
  const deadline = Date.now() + maxMinutes * 60_000;
  let quietSince;
  while (Date.now() < deadline) {
    const [one] = loadavg();
    if (one < below) {
      quietSince ??= Date.now();
      if (Date.now() - quietSince >= 60_000) return { quiet: true, load: load() };
    } else quietSince = undefined;
    log?.(`waiting for a quiet machine: load ${load().join(' ')} (want < ${below} for a minute)`);
    await new Promise((r) => setTimeout(r, 15_000));
  }
  return { quiet: false, load: load() };
}
