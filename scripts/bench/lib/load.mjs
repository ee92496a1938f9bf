// Load over HTTPS keep-alive with vegeta: constant-rate (open-loop) attacks, so a slow answer does not
// delay the next request and latency is not hidden by coordinated omission; and a closed-loop attack
// (rate 0, a fixed number of workers) for the maximum throughput. HTTP/1.1 for both servers (the
// kube-apiserver's webhook client speaks it too; Node's https server has no HTTP/2).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './proc.mjs';
import { summarize } from './stats.mjs';

/** A vegeta targets file: one POST per body file, used round robin. */
export function writeTargets(file, url, bodyFiles) {
  const lines = bodyFiles.map((body) => `POST ${url}\nContent-Type: application/json\n@${body}\n`);
  writeFileSync(file, lines.join('\n'));
  return file;
}

/**
 * One attack. `rate` > 0: open loop at that many requests per second; `rate` 0: closed loop with
 * `maxWorkers` concurrent requests. Bounded by `seconds` (and vegeta's per-request timeout).
 * Returns latency percentiles in ms, counts, achieved throughput and the error kinds seen.
 */
export async function attack(vegeta, { targets, rate, seconds, maxWorkers, cpus, out }) {
  const args = [
    'attack',
    `-targets=${targets}`,
    `-rate=${rate}/s`,
    `-duration=${seconds}s`,
    '-insecure',
    '-keepalive=true',
    '-http2=false',
    '-timeout=10s',
    '-max-body=0',
    `-output=${out}`,
  ];
  if (rate === 0) args.push(`-workers=${maxWorkers}`, `-max-workers=${maxWorkers}`);
  else args.push('-workers=16', `-max-workers=${maxWorkers ?? 2000}`);
  const attacked = await run(vegeta, args, { cpus, timeoutMs: (seconds + 30) * 1000 });
  if (attacked.code !== 0) throw new Error(`vegeta attack failed (${attacked.code}): ${attacked.stderr.slice(0, 500)}`);
  const csvFile = `${out}.csv`;
  const encoded = await run(vegeta, ['encode', '--to', 'csv', `--output=${csvFile}`, out], { timeoutMs: 120_000 });
  if (encoded.code !== 0) throw new Error(`vegeta encode failed: ${encoded.stderr.slice(0, 500)}`);
  return summarizeCsv(readFileSync(csvFile, 'utf8'), seconds);
}

/** vegeta's CSV: timestamp (ns), status code, latency (ns), bytes out, bytes in, error, ... */
function summarizeCsv(csv, seconds) {
  const latencies = [];
  const errors = new Map();
  let first = Infinity;
  let last = 0;
  let requests = 0;
  for (const line of csv.split('\n')) {
    if (!line) continue;
    requests++;
    const [ts, code, latency] = line.split(',', 3);
    const start = Number(ts);
    const ns = Number(latency);
    first = Math.min(first, start);
    last = Math.max(last, start + ns);
    if (code === '200') latencies.push(ns / 1e6);
    else {
      const error = code === '0' ? (/,"?([^",]*timeout[^",]*|[^",]*refused[^",]*)"?/.exec(line)?.[1] ?? 'no response') : `HTTP ${code}`;
      errors.set(error, (errors.get(error) ?? 0) + 1);
    }
  }
  const span = requests ? (last - first) / 1e9 : seconds;
  return {
    requests,
    ok: latencies.length,
    errors: Object.fromEntries(errors),
    achievedPerSecond: requests ? latencies.length / span : 0,
    latencyMs: summarize(latencies),
  };
}

export const scratch = (dir, name) => join(dir, name);
