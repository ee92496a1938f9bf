#!/usr/bin/env node
// `node scripts/bench/steps.mjs [--rates 20,300,500] [--seconds 5] [--bundle DIR] [--workers 1]`, after `npm run build`:
// where a review's time goes in `wasmgate serve`, from timestamps, not guesses. The server (one worker, or `--workers`;
// with 0 the worker's steps are not there to pair,
// the heap flags `npm start` passes, on CPU 0 when the machine has two) subscribes to its own
// diagnostics channels (src/observability/steps.ts); vegeta sends the W2 bodies from CPU 1 at each
// constant rate; each step's p50/p99/max, the GC pauses and the event-loop delay are printed per rate,
// with the slowest requests' largest steps, as markdown. Not part of `npm run bench`: no peer, no ratio.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { attack, writeTargets } from './lib/load.mjs';
import { tool } from './lib/peers.mjs';
import { root, workDir } from './lib/paths.mjs';
import { freePort, pinned, pinning, waitForServer } from './lib/proc.mjs';
import { certificate } from './lib/servers.mjs';
import { percentile, round } from './lib/stats.mjs';
import { webhookBodies } from './workloads/w2.mjs';

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1];
};

/** The server side: a WebhookServer in this process, its steps and GC pauses collected until asked for them. */
async function serveChild() {
  const { subscribe } = await import('node:diagnostics_channel');
  const { PerformanceObserver, monitorEventLoopDelay } = await import('node:perf_hooks');
  const { loadServeConfig } = await import(join(root, 'dist', 'config', 'index.js'));
  const { WebhookServer } = await import(join(root, 'dist', 'server', 'server.js'));
  const [cert, key, port, bundle, workers] = process.argv.slice(3);
  const { config } = loadServeConfig({
    flags: { host: '127.0.0.1', port, workers, watch: false, tlsCertFile: cert, tlsKeyFile: key, shutdownDelay: '0s', ...(bundle ? { bundle } : {}) },
    env: {},
  });
  let reviews = [];
  let evaluations = [];
  let gc = [];
  subscribe('wasmgate:review', (steps) => reviews.push(steps));
  subscribe('wasmgate:evaluation', (steps) => evaluations.push(steps));
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gc.push({ start: e.startTime, ms: e.duration, major: e.detail?.kind === 4 });
  }).observe({ entryTypes: ['gc'] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const server = await WebhookServer.build(config);
  await server.listen();
  process.on('message', (message) => {
    if (message === 'stop') return void server.shutdown().then(() => process.disconnect());
    process.send({ reviews, evaluations, gc, delayMs: { p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } });
    reviews = [];
    evaluations = [];
    gc = [];
    delay.reset();
  });
}

/**
 * Pairs each review with its evaluation. With one worker answers come back in order and each resumes
 * its review before the next arrives, so the n-th answer is the n-th review evaluated; when the counts
 * differ (a review shed or failed without reaching the worker) no pairing is trusted.
 */
function stepsOf({ reviews, evaluations }) {
  const byReply = [...evaluations].sort((a, b) => a.repliedAt - b.repliedAt);
  const paired = byReply.length === reviews.length;
  return [...reviews].sort((a, b) => a.evaluated - b.evaluated).map((r, i) => {
    const e = paired ? byReply[i] : undefined;
    const inWorker = e ? e.repliedAt - e.queuedAt : undefined;
    return {
      'TLS + HTTP in → body read': r.bodyRead - r.arrived,
      'parse + shape check': e ? r.evaluated - r.bodyRead - inWorker : undefined,
      'queued for the worker': e ? e.postedAt - e.queuedAt : undefined,
      'hand-off (both ways)': e ? e.repliedAt - e.postedAt - e.evaluationMs : undefined,
      'evaluation (in the worker)': e?.evaluationMs,
      'response build + write': r.answered - r.evaluated,
      'wait for the turn\'s end': r.recording - r.answered,
      'log + metrics': r.recorded - r.recording,
      'arrival → recorded': r.recorded - r.arrived,
      at: [r.arrived, r.recorded],
    };
  });
}

function report(rate, vegeta, collected) {
  const rows = stepsOf(collected);
  const names = Object.keys(rows[0] ?? {}).filter((k) => k !== 'at');
  const ms = (v) => (v === undefined ? '–' : round(v, 3));
  const lines = [
    `### ${rate} req/s: ${vegeta.ok}/${vegeta.requests} ok; client latency p50 ${ms(vegeta.latencyMs.p50)} / p99 ${ms(vegeta.latencyMs.p99)} / max ${ms(vegeta.latencyMs.max)} ms`,
    '',
    '| step (ms) | p50 | p99 | max |',
    '|---|---|---|---|',
  ];
  for (const name of names) {
    const values = Float64Array.from(rows.map((r) => r[name]).filter((v) => typeof v === 'number')).sort();
    lines.push(`| ${name} | ${ms(percentile(values, 50))} | ${ms(percentile(values, 99))} | ${ms(values.at(-1))} |`);
  }
  const pauses = Float64Array.from(collected.gc.map((g) => g.ms)).sort();
  const majors = collected.gc.filter((g) => g.major);
  lines.push(
    '',
    `GC: ${pauses.length} pauses (${majors.length} major), p99 ${ms(percentile(pauses, 99))} ms, max ${ms(pauses.at(-1))} ms; event-loop delay p99 ${ms(collected.delayMs.p99)} ms, max ${ms(collected.delayMs.max)} ms.`,
    'Slowest 1 %:',
  );
  const slow = [...rows].sort((a, b) => b['arrival → recorded'] - a['arrival → recorded']).slice(0, Math.max(3, Math.ceil(rows.length / 100)));
  for (const r of slow) {
    const largest = names.filter((n) => n !== 'arrival → recorded' && typeof r[n] === 'number').sort((a, b) => r[b] - r[a]).slice(0, 2);
    const during = collected.gc.filter((g) => g.start < r.at[1] && g.start + g.ms > r.at[0]);
    lines.push(
      `- ${ms(r['arrival → recorded'])} ms: ${largest.map((n) => `${n} ${ms(r[n])}`).join(', ')}; GC meanwhile ${during.length ? `${round(during.reduce((s, g) => s + g.ms, 0), 2)} ms (${during.filter((g) => g.major).length} major)` : 'none'}`,
    );
  }
  return lines.join('\n');
}

async function main() {
  const rates = argValue('--rates', '20,300,500').split(',').map(Number);
  const seconds = Number(argValue('--seconds', '5'));
  const bundle = argValue('--bundle', '');
  const work = join(workDir, `steps-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const vegeta = tool('vegeta');
  const pins = pinning();
  const { cert, key } = await certificate({ work, root });
  const port = await freePort();
  const { serveNodeFlags } = await import(join(root, 'dist', 'config', 'node-flags.js'));
  const log = openSync(join(work, 'server.log'), 'w');
  const [cmd, args] = pinned(pins.server, process.execPath, [...serveNodeFlags, process.argv[1], '--serve-child', cert, key, String(port), bundle, argValue('--workers', '1')]);
  const child = spawn(cmd, args, { stdio: ['ignore', log, log, 'ipc'] });
  closeSync(log);
  const collect = () => new Promise((resolve) => child.once('message', resolve).send('collect'));
  try {
    const bodies = webhookBodies(work);
    const url = `https://127.0.0.1:${port}/validate`;
    await waitForServer(url, (await import('node:fs')).readFileSync(bodies[0]), { child, timeoutMs: 60_000 });
    const targets = writeTargets(join(work, 'targets'), url, bodies);
    await attack(vegeta.path, { targets, rate: 200, seconds: 1, cpus: pins.load, out: join(work, 'warmup.bin') });
    await collect();
    console.log(`## Where a review's time goes (${pins.why}; ${bundle || 'wasm/'}; ${seconds} s per rate)\n`);
    for (const rate of rates) {
      const result = await attack(vegeta.path, { targets, rate, seconds, cpus: pins.load, out: join(work, `r${rate}.bin`) });
      console.log(`${report(rate, result, await collect())}\n`);
    }
  } finally {
    if (child.connected) child.send('stop');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve()));
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--serve-child') await serveChild();
else await main();
