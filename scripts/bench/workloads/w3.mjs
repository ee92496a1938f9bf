// W3 — scaling with cores, no HTTP: wasmgate's Engine with 1 and with 2 worker threads (kept busy by
// the main thread with 2 evaluations in flight per worker) against OPA's Go library (topdown) with
// GOMAXPROCS 1 and 2 and as many goroutines, on the same inputs (the W2 bodies, round robin).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../lib/proc.mjs';
import { ratio, round } from '../lib/stats.mjs';
import { webhookBodies } from './w2.mjs';

export const id = 'W3';
export const title = 'scaling: 1 vs 2 worker threads (OPA: GOMAXPROCS 1 vs 2)';

function settings(mode) {
  if (mode === 'quick') return { evaluations: 600, warmup: 50, maxSeconds: 5, threads: [1, 2] };
  return { evaluations: 10_000, warmup: 500, maxSeconds: 30, threads: [1, 2] };
}

async function ours(ctx, workers, buffers, s) {
  const { Engine } = await import(join(ctx.root, 'dist', 'engine', 'index.js'));
  const engine = await Engine.load({ workers });
  try {
    const drive = async (count, deadline) => {
      let next = 0;
      const lane = async () => {
        while (next < count && performance.now() < deadline) await engine.evaluate(buffers[next++ % buffers.length]);
      };
      await Promise.all(Array.from({ length: workers * 2 }, lane));
      return next;
    };
    await drive(s.warmup * workers, performance.now() + 30_000);
    const t0 = performance.now();
    const done = await drive(s.evaluations, t0 + s.maxSeconds * 1000);
    const seconds = (performance.now() - t0) / 1000;
    return { threads: workers, evaluations: done, seconds: round(seconds, 2), perSecond: round(done / seconds, 0) };
  } finally {
    await engine.close();
  }
}

async function opa(ctx, procs, files, s) {
  const r = await run(ctx.opaload.path, [
    '-d', `${ctx.policy.rego},${ctx.policy.data}`, '-inputs', files.join(','), '-n', String(s.evaluations),
    '-g', String(procs), '-warmup', String(s.warmup), '-max-seconds', String(s.maxSeconds),
  ], { env: { GOMAXPROCS: String(procs) }, timeoutMs: (s.maxSeconds + 120) * 1000 });
  if (r.code !== 0) throw new Error(`opaload failed: ${r.stderr.slice(0, 400)}`);
  const out = JSON.parse(r.stdout);
  return { threads: procs, evaluations: out.evaluations, seconds: round(out.seconds, 2), perSecond: round(out.perSecond, 0) };
}

export async function runW3(ctx) {
  const s = settings(ctx.mode);
  const files = webhookBodies(ctx.work);
  const buffers = files.map((f) => readFileSync(f));
  const rows = [];
  for (const threads of s.threads) {
    const a = await ours(ctx, threads, buffers, s);
    const b = await opa(ctx, threads, files, s);
    ctx.log(`W3 ${threads} thread(s): wasmgate ${a.perSecond}/s, OPA ${b.perSecond}/s`);
    rows.push({ threads, wasmgate: a, opa: b, throughputRatio: ratio(a.perSecond, b.perSecond) });
  }
  const speedup = (who) => round(rows[1][who].perSecond / rows[0][who].perSecond, 2);
  return {
    id,
    title,
    settings: { ...s, bodies: files.length, note: 'all on both cores, nothing pinned; the main thread of wasmgate (which hands out jobs) shares them' },
    rows,
    speedup: { wasmgate: speedup('wasmgate'), opa: speedup('opa') },
  };
}
