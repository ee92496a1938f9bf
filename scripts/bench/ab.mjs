#!/usr/bin/env node
// `node scripts/bench/ab.mjs OLD NEW [--rounds 8] [--seconds 3] [--rate 0] [--bundle DIR | --own-bundles]`: two builds of
// wasmgate measured against each other the way a shared machine allows — both servers up at once (on
// CPU 0 when the machine has two), loaded in turn by vegeta (from CPU 1) for `--seconds` each, the
// order swapped every round, medians over `--rounds`. OLD and NEW are checkouts with `dist/` built (a
// `git worktree` of main, this one). Rate 0 is the closed-loop maximum (32 in flight); otherwise an
// open-loop constant rate. Serves the trivial policy W2 builds (the host path alone) unless `--bundle`
// says otherwise, or, with `--own-bundles`, each checkout's own `wasm/` (to compare policy builds too). Prints per build: req/s, CPU µs per request of the whole process and of its main
// thread, client p50/p99. Not part of `npm run bench`: two builds of one program, no peer.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { attack, writeTargets } from './lib/load.mjs';
import { tool } from './lib/peers.mjs';
import { root, workDir } from './lib/paths.mjs';
import { cpuMs, mainThreadCpuMs, pinning } from './lib/proc.mjs';
import { startServer } from './lib/servers.mjs';
import { percentile } from './lib/stats.mjs';
import { trivialBundle, webhookBodies } from './workloads/w2.mjs';

const [oldRoot, newRoot] = process.argv.slice(2, 4).map((p) => p && resolve(p));
const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1];
};
if (!oldRoot || !newRoot || oldRoot.startsWith('--') || newRoot.startsWith('--')) {
  console.error('usage: node scripts/bench/ab.mjs OLD NEW [--rounds 8] [--seconds 3] [--rate 0] [--bundle DIR | --own-bundles]');
  process.exit(2);
}
const rounds = Number(argValue('--rounds', '8'));
const seconds = Number(argValue('--seconds', '3'));
const rate = Number(argValue('--rate', '0'));

const work = join(workDir, `ab-${process.pid}`);
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const ctx = { root, work, log: (line) => console.error(`[ab] ${line}`) };
const vegeta = tool('vegeta', ctx.log);
const pins = pinning();
const ownBundles = process.argv.includes('--own-bundles');
const bundle = ownBundles ? undefined : (argValue('--bundle', undefined) ?? (await trivialBundle(ctx)));
const bodies = webhookBodies(work);
const servers = [];
try {
  for (const [name, checkout] of [['old', oldRoot], ['new', newRoot]]) {
    const server = await startServer('wasmgate', { root: checkout, work }, { cpus: pins.server, probe: readFileSync(bodies[0]), name, extraArgs: ['--bundle', bundle ?? join(checkout, 'wasm'), '--shutdown-delay', '0s'] });
    servers.push(Object.assign(server, { targets: writeTargets(join(work, `${name}.targets`), server.url, bodies), samples: [] }));
  }
  for (const server of servers) await attack(vegeta.path, { targets: server.targets, rate: 500, seconds: 2, cpus: pins.load, out: join(work, 'warmup.bin') });
  for (let round = 0; round < rounds; round++) {
    for (const server of round % 2 ? [...servers].reverse() : servers) {
      const [cpu0, main0] = [cpuMs(server.pid), mainThreadCpuMs(server.pid)];
      const r = await attack(vegeta.path, { targets: server.targets, rate, maxWorkers: 32, seconds, cpus: pins.load, out: join(work, `${server.name}.bin`) });
      const perRequest = (ms) => (ms * 1000) / r.requests;
      server.samples.push({ perSecond: r.achievedPerSecond, cpuUs: perRequest(cpuMs(server.pid) - cpu0), mainUs: perRequest(mainThreadCpuMs(server.pid) - main0), p50: r.latencyMs.p50, p99: r.latencyMs.p99, failed: r.requests - r.ok });
    }
  }
} finally {
  await Promise.all(servers.map((s) => s.stop()));
  rmSync(work, { recursive: true, force: true });
}
const median = (server, key) => percentile(Float64Array.from(server.samples.map((s) => s[key])).sort(), 50);
const f = (v, digits = 0) => v.toFixed(digits);
console.log(`${rate === 0 ? 'closed loop, 32 in flight' : `${rate} req/s open loop`}; ${rounds} rounds of ${seconds} s, order swapped each round; ${pins.why}; medians`);
console.log('| build | req/s | CPU µs/request | main thread µs/request | p50 ms | p99 ms | failed |\n|---|---|---|---|---|---|---|');
for (const s of servers) {
  console.log(`| ${s.name} (${s.name === 'old' ? oldRoot : newRoot}) | ${f(median(s, 'perSecond'))} | ${f(median(s, 'cpuUs'))} | ${f(median(s, 'mainUs'))} | ${f(median(s, 'p50'), 2)} | ${f(median(s, 'p99'), 2)} | ${s.samples.reduce((n, x) => n + x.failed, 0)} |`);
}
