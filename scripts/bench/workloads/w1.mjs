// W1 — per decision, no HTTP: wasmgate's Engine.evaluate (request bytes → worker → WASM → decision) on
// AdmissionReviews of about 2, 6, 12 and 20 KB, against `opa bench` (topdown) on the same input and
// policy, with the floor V8 itself sets: JSON.parse + JSON.stringify of the same body.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { sizedCases, sizedReview } from '../lib/inputs.mjs';
import { profileDecide } from '../lib/profile.mjs';
import { run } from '../lib/proc.mjs';
import { ratio, summarize } from '../lib/stats.mjs';

export const id = 'W1';
export const title = 'per decision, no HTTP';

function settings(mode) {
  if (mode === 'smoke') return { iterations: 200, seconds: 2, warmup: 50, opaCount: 1, cases: sizedCases.slice(0, 1), profileSeconds: 0 };
  if (mode === 'quick') return { iterations: 1_000, seconds: 1.5, warmup: 100, opaCount: 1, cases: sizedCases, profileSeconds: 2 };
  return { iterations: 6_000, seconds: 10, warmup: 1_500, opaCount: 3, cases: sizedCases, profileSeconds: 5 };
}

/**
 * Times several functions interleaved (one call of each in turn), so that drift in the machine's speed
 * (frequent on a shared VM: ±30 % between consecutive batches) falls on all of them alike. Warm-up,
 * then up to `iterations` rounds or `seconds`; samples in µs, summarised per function.
 */
async function timeInterleaved(fns, { iterations, seconds, warmup }) {
  const names = Object.keys(fns);
  for (let i = 0; i < warmup; i++) for (const name of names) await fns[name]();
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  const stop = performance.now() + seconds * 1000 * names.length;
  for (let i = 0; i < iterations && performance.now() < stop; i++) {
    for (const name of names) {
      const t0 = performance.now();
      await fns[name]();
      samples[name].push((performance.now() - t0) * 1000);
    }
  }
  return Object.fromEntries(names.map((n) => [n, summarize(samples[n])]));
}

/** `opa bench` prints one JSON document per --count; take the median of each figure across them. */
function parseOpaBench(stdout) {
  const docs = stdout
    .trim()
    .split(/\n(?=\{)/)
    .map((d) => JSON.parse(d));
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const key = (suffix) => `histogram_timer_rego_query_eval_ns_${suffix}`;
  return {
    runs: docs.length,
    evaluations: docs.reduce((n, d) => n + d.N, 0),
    nsPerOp: median(docs.map((d) => d.T / d.N)),
    p50: median(docs.map((d) => d.Extra[key('median')])) / 1000,
    p99: median(docs.map((d) => d.Extra[key('99%')])) / 1000,
    allocsPerOp: median(docs.map((d) => d.MemAllocs / d.N)),
  };
}

export async function runW1(ctx) {
  const s = settings(ctx.mode);
  const { Engine, PolicyEvaluator, loadBundle } = await import(join(ctx.root, 'dist', 'engine', 'index.js'));
  const engine = await Engine.load({ workers: 1 });
  const inThread = new PolicyEvaluator(await loadBundle(join(ctx.root, 'wasm')));
  const rows = [];
  let profile;
  try {
    for (const c of s.cases) {
      const { review, bytes } = sizedReview(c);
      const body = JSON.stringify(review);
      const file = join(ctx.work, `w1-${c.id}.json`);
      writeFileSync(file, body);
      const buffer = readFileSync(file);
      ctx.log(`W1 ${c.id} (${bytes} B, ${c.kind} with ${c.containers} container${c.containers > 1 ? 's' : ''})`);

      // Decisions must agree before any timing means anything.
      const ours = inThread.decide(JSON.parse(body));
      const evaluated = await run(ctx.opa.path, ['eval', '-f', 'json', '-d', ctx.policy.rego, '-d', ctx.policy.data, '-i', file, 'data.wasmgate.main.decision']);
      const theirs = JSON.parse(evaluated.stdout).result?.[0]?.expressions?.[0]?.value;
      const agree = JSON.stringify(ours) === JSON.stringify(theirs);

      const { pool, thread, floor } = await timeInterleaved({
        pool: () => engine.evaluate(buffer),
        thread: () => {
          const copy = new Uint8Array(buffer.byteLength);
          copy.set(buffer);
          return inThread.decide(copy.buffer);
        },
        floor: () => JSON.stringify(JSON.parse(body)),
      }, s);

      const bench = await run(ctx.opa.path, ['bench', '-f', 'json', '--count', String(s.opaCount), '-d', ctx.policy.rego, '-d', ctx.policy.data, '-i', file, 'data.wasmgate.main.decision'], { timeoutMs: 300_000 });
      if (bench.code !== 0) throw new Error(`opa bench failed: ${bench.stderr.slice(0, 400)}`);
      const topdown = parseOpaBench(bench.stdout);

      let bytesIn;
      if (ctx.opaload && !ctx.opaload.skipped) {
        const load = await run(ctx.opaload.path, ['-d', `${ctx.policy.rego},${ctx.policy.data}`, '-inputs', file, '-n', String(Math.min(s.iterations, 5000)), '-warmup', String(s.warmup), '-g', '1', '-max-seconds', String(s.seconds)], { env: { GOMAXPROCS: '1' } });
        if (load.code !== 0) throw new Error(`opaload failed: ${load.stderr.slice(0, 400)}`);
        const r = JSON.parse(load.stdout);
        bytesIn = { n: r.evaluations, p50: r.p50Us, p99: r.p99Us };
      }

      rows.push({
        case: c.id,
        kind: c.kind,
        containers: c.containers,
        bytes,
        decision: { allowed: ours.allowed, violations: ours.violations.length, agreesWithOpa: agree },
        oursUs: pool,
        inThreadUs: thread,
        floorUs: floor,
        opaBenchUs: topdown,
        opaBytesInUs: bytesIn,
        ratios: {
          oursOverTopdownP50: ratio(pool.p50, topdown.p50),
          oursOverTopdownP99: ratio(pool.p99, topdown.p99),
          oursOverOpaBytesInP50: ratio(pool.p50, bytesIn?.p50),
          oursOverFloorP50: ratio(pool.p50, floor.p50),
          inThreadOverTopdownP50: ratio(thread.p50, topdown.p50),
        },
      });
    }
    if (s.profileSeconds > 0) {
      // Where the time goes, on the 6 KB Deployment: in-thread, so the profiler sees the WASM frames.
      const c = s.cases.find((x) => x.id === '6KB') ?? s.cases[0];
      const bytes = Buffer.from(JSON.stringify(sizedReview(c).review));
      profile = { case: c.id, seconds: s.profileSeconds, ...(await profileDecide(() => {
        const copy = new Uint8Array(bytes.byteLength);
        copy.set(bytes);
        inThread.decide(copy.buffer);
      }, s.profileSeconds)) };
    }
  } finally {
    await engine.close();
  }
  return { id, title, settings: { ...s, cases: s.cases.map((c) => c.id) }, rows, profile };
}
