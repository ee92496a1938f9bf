#!/usr/bin/env node
// `node scripts/bench/handoff.mjs [--rounds 300] [--gaps 0,5,50] [--burst 1000] [--dist DIR ...]`,
// after `npm run build`: the worker hand-off alone. For each W1 size the same review's bytes are
// decided in this thread (PolicyEvaluator) and through a one-worker Engine, interleaved call by call,
// with a pause of each `--gaps` milliseconds before every call (0: back to back; 5 and 50: a thread that
// sleeps between reviews, as at 200 and 20 req/s). The hand-off column is the pool's own timestamps
// (`wasmgate:evaluation`: both ways, beyond the worker's evaluation); the rest of the extra is the
// engine's work in this thread. Each `--dist` (default: this checkout's dist/) is one more engine in the
// interleaving, so two builds compare in one run. Then a saturated run per engine (`--burst` 2 KB
// reviews, four callers at once, six rounds interleaved): wall time and main-thread busy time
// (event-loop utilisation) per review. With `--pin CPU` the whole run is on that one core (taskset), as
// W2's server is; `--callers 1,4,32` sets how many callers keep reviews in flight in the saturated run
// (default 4), each a row, with the process's CPU time (every thread) per review beside the wall time.
// `--only-saturated` skips the call-by-call table; `--bundle DIR` decides with another compiled policy
// (scripts/bench/adapters/trivial, built, shows the hand-off nearly alone). Markdown on stdout; not part of `npm run bench`.
import { spawnSync } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { setTimeout as sleep } from 'node:timers/promises';
import { join, relative, resolve } from 'node:path';
import { sizedCases, sizedReview } from './lib/inputs.mjs';
import { root } from './lib/paths.mjs';
import { pinned } from './lib/proc.mjs';
import { percentile, round } from './lib/stats.mjs';

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1];
};
const pin = argValue('--pin', '');
if (pin && process.env.WASMGATE_HANDOFF_PINNED !== pin) {
  // Run again under taskset, so the worker threads are on that core too.
  const [command, args] = pinned(pin, process.execPath, process.argv.slice(1));
  const run = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, WASMGATE_HANDOFF_PINNED: pin } });
  process.exit(run.status ?? 1);
}
const rounds = Number(argValue('--rounds', '300'));
const callerCounts = argValue('--callers', '4').split(',').map(Number);
const onlySaturated = process.argv.includes('--only-saturated');
const burst = Number(argValue('--burst', '1000'));
const gaps = argValue('--gaps', '0,5,50').split(',').map(Number);
const dists = process.argv.flatMap((arg, i) => (arg === '--dist' ? [resolve(process.argv[i + 1])] : []));
if (dists.length === 0) dists.push(join(root, 'dist'));
const bundle = resolve(argValue('--bundle', join(root, 'wasm')));

const { PolicyEvaluator } = await import(join(dists[0], 'engine', 'evaluator.js'));
const { loadBundle } = await import(join(dists[0], 'engine', 'bundle.js'));
const inThread = new PolicyEvaluator(await loadBundle(bundle));
const engines = [];
for (const dist of dists) {
  const { Engine } = await import(join(dist, 'engine', 'engine.js'));
  const engine = await Engine.load({ bundle, workers: 1 });
  await engine.ready();
  engines.push({ name: dists.length > 1 ? `worker (${relative(root, dist)})` : 'worker', engine });
}

/** A Node Buffer of its own (as the server's body is), fresh per call: the pool moves it away. */
const bodyOf = (json) => {
  const bytes = Buffer.from(json);
  return bytes.buffer.byteLength === bytes.byteLength ? bytes : Buffer.from(Uint8Array.prototype.slice.call(bytes));
};

/** The pool's timestamps of the last evaluation (calls are one at a time, so it is the one just awaited). */
let lastSteps;
subscribe('wasmgate:evaluation', (steps) => (lastSteps = steps));

const rows = [];
for (const gap of onlySaturated ? [] : gaps) {
  for (const size of sizedCases) {
    const { review, bytes } = sizedReview(size);
    const json = JSON.stringify(review);
    const times = { 'in-thread': [], ...Object.fromEntries(engines.map((e) => [e.name, []])) };
    const handoffs = Object.fromEntries(engines.map((e) => [e.name, []]));
    for (let i = 0; i < rounds + 20; i++) {
      const warm = i < 20;
      if (gap) await sleep(gap);
      let t0 = performance.now();
      const body = bodyOf(json);
      inThread.decide(body.buffer);
      if (!warm) times['in-thread'].push(performance.now() - t0);
      // Both orders, call by call: the engine called first after the in-thread one is not always the same.
      for (const { name, engine } of i % 2 === 0 ? engines : [...engines].reverse()) {
        if (gap) await sleep(gap);
        t0 = performance.now();
        await engine.evaluate(bodyOf(json));
        if (warm) continue;
        times[name].push(performance.now() - t0);
        handoffs[name].push(lastSteps.repliedAt - lastSteps.postedAt - lastSteps.evaluationMs);
      }
    }
    const base = percentile([...times['in-thread']].sort((a, b) => a - b), 50);
    for (const [name, list] of Object.entries(times)) {
      list.sort((a, b) => a - b);
      const p50 = percentile(list, 50);
      const handoff = handoffs[name]?.sort((a, b) => a - b);
      const extra = name === 'in-thread' ? ['', ''] : [round(p50 - base, 3), round(percentile(handoff, 50), 3)];
      rows.push(`| ${gap} ms | ${size.id} (${bytes} B) | ${name} | ${round(p50, 3)} | ${round(percentile(list, 90), 3)} | ${extra.join(' | ')} |`);
    }
  }
}
if (!onlySaturated) {
  console.log(`${rounds} interleaved calls per cell, one worker${pin ? `, all on CPU ${pin}` : ''}\n`);
  console.log('| gap | size | path | p50 ms | p90 ms | p50 − in-thread ms | hand-off p50 ms |\n|---|---|---|---|---|---|---|');
  console.log(rows.join('\n'));
}

/** `burst` reviews through one engine, `callers` at once: the pool never idles. */
async function saturate(engine, json, callers) {
  const elu = performance.eventLoopUtilization();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let sent = 0;
  const caller = async () => {
    while (sent++ < burst) await engine.evaluate(bodyOf(json));
  };
  await Promise.all(Array.from({ length: callers }, caller));
  const used = process.cpuUsage(cpu);
  return {
    wallUs: ((performance.now() - started) / burst) * 1000,
    mainUs: (performance.eventLoopUtilization(elu).active / burst) * 1000,
    cpuUs: (used.user + used.system) / burst,
  };
}

const json2k = JSON.stringify(sizedReview(sizedCases[0]).review);
const median = (list, key) => round(list.map((x) => x[key]).sort((a, b) => a - b)[Math.floor(list.length / 2)], 1);
console.log(`\nSaturated: ${burst} reviews of 2 KB per round, median of six rounds interleaved engine by engine${pin ? `, all on CPU ${pin}` : ''}\n`);
console.log('| callers | path | wall µs per review | reviews/s | CPU µs per review (all threads) | main thread busy µs per review |\n|---|---|---|---|---|---|');
for (const callers of callerCounts) {
  const saturated = Object.fromEntries(engines.map((e) => [e.name, []]));
  for (let r = 0; r < 7; r++) {
    // Both orders: the engine that goes first changes every round.
    const order = r % 2 === 0 ? engines : [...engines].reverse();
    for (const { name, engine } of order) {
      const result = await saturate(engine, json2k, callers);
      if (r > 0) saturated[name].push(result);
    }
  }
  for (const [name, list] of Object.entries(saturated)) {
    const wall = median(list, 'wallUs');
    console.log(`| ${callers} | ${name} | ${wall} | ${Math.round(1e6 / wall)} | ${median(list, 'cpuUs')} | ${median(list, 'mainUs')} |`);
  }
}
await Promise.all(engines.map((e) => e.engine.close()));
