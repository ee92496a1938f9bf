import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Reads a file's text, or undefined where it does not exist (no cgroup of that version here). */
export type ReadText = (path: string) => string | undefined;

const readText: ReadText = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

/** quota/period as whole CPUs, rounded up; undefined for no quota ("max", -1) or text that is not one. */
function wholeCpus(quota: string, period: string): number | undefined {
  const q = Number(quota);
  const p = Number(period);
  if (!Number.isFinite(q) || !Number.isFinite(p) || q <= 0 || p <= 0) return undefined;
  return Math.ceil(q / p);
}

/** The CPU quota of the process's cgroup in whole CPUs (v2's cpu.max, else v1's cfs files), if it has one. */
export function cgroupCpuQuota(read: ReadText = readText): number | undefined {
  const max = read('/sys/fs/cgroup/cpu.max');
  if (max !== undefined) {
    const [quota = '', period = ''] = max.trim().split(/\s+/);
    return wholeCpus(quota, period);
  }
  const quota = read('/sys/fs/cgroup/cpu/cpu.cfs_quota_us');
  const period = read('/sys/fs/cgroup/cpu/cpu.cfs_period_us');
  return quota === undefined || period === undefined ? undefined : wholeCpus(quota.trim(), period.trim());
}

/**
 * The CPUs this process may actually use: the cores it sees, lowered by its cgroup's CPU quota (a pod's
 * `limits.cpu`), which Node's availableParallelism does not read. A worker per core beyond the quota
 * only adds memory and throttling.
 */
export function usableCpus(read: ReadText = readText, cores: number = availableParallelism()): number {
  const quota = cgroupCpuQuota(read);
  return Math.max(1, quota === undefined ? cores : Math.min(cores, quota));
}

/**
 * The server's policy workers: one per usable CPU, and none on one CPU, where a worker shares the core
 * with the thread that hands it each review and adds only the hand-off (the server then evaluates in
 * its own thread: Engine's workers 0).
 */
export function defaultWorkers(cpus: number = usableCpus()): number {
  return cpus > 1 ? cpus : 0;
}
