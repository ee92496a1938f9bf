// W5 — memory under a long run. (a) wasmgate's Engine in this process: up to 1,000,000 evaluations of
// 64 varied AdmissionReviews with a 5 MB outlier every 10,000, sampling the process's RSS and each
// worker's WASM memory; both must plateau. (b) The same input mix at the same fixed rate over HTTPS to
// `wasmgate serve` and `opa run --server`, sampling each server's RSS: the peak RSS ratio.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { outlierReview, variedReviews } from '../lib/inputs.mjs';
import { attack, writeTargets } from '../lib/load.mjs';
import { sampleRss } from '../lib/proc.mjs';
import { startServer, writeBodies } from '../lib/servers.mjs';
import { ratio, round } from '../lib/stats.mjs';

export const id = 'W5';
export const title = 'memory over a long run';

const pageBytes = 64 * 1024;

function settings(mode) {
  if (mode === 'quick') return { evaluations: 3_000, maxSeconds: 20, outlierEvery: 1_000, sampleMs: 250, server: { rate: 50, seconds: 8, repeatsPerOutlier: 3 } };
  return { evaluations: 1_000_000, maxSeconds: 540, outlierEvery: 10_000, sampleMs: 1_000, server: { rate: 100, seconds: 90, repeatsPerOutlier: 10 } };
}

/** The largest WASM memory of the engine's workers, in pages, as of their last answers. */
function wasmMemoryProbe(engine) {
  return () => {
    const live = engine.stats().wasmMemoryBytes.filter((bytes) => bytes > 0);
    return live.length ? Math.max(...live) / pageBytes : undefined;
  };
}

/** Plateau: after the first tenth, the last quarter's peak stays within 10 % (+8 MiB) of the second quarter's. */
function plateau(series, key) {
  const values = series.map((s) => s[key]).filter((v) => typeof v === 'number');
  const body = values.slice(Math.floor(values.length / 10));
  if (body.length < 8) return { verdict: 'too few samples', samples: values.length };
  const q = Math.floor(body.length / 4);
  const second = Math.max(...body.slice(q, 2 * q));
  const last = Math.max(...body.slice(3 * q));
  const limit = second * 1.1 + (key.endsWith('MiB') ? 8 : 0);
  return { verdict: last <= limit ? 'plateau' : 'still growing', secondQuarterPeak: round(second, 1), lastQuarterPeak: round(last, 1) };
}

function downsample(series, points = 40) {
  if (series.length <= points) return series;
  const step = series.length / points;
  return Array.from({ length: points }, (_, i) => series[Math.floor(i * step)]).concat(series.at(-1));
}

async function inProcess(ctx, s, varied, outlier) {
  const { Engine } = await import(join(ctx.root, 'dist', 'engine', 'index.js'));
  const engine = await Engine.load({});
  const wasmPages = wasmMemoryProbe(engine);
  wasmPages();
  const series = [];
  const t0 = performance.now();
  let done = 0;
  let errors = 0;
  let outliers = 0;
  const sample = () => series.push({ t: round((performance.now() - t0) / 1000, 1), evaluations: done, rssMiB: round(process.memoryUsage().rss / 2 ** 20, 1), wasmPages: wasmPages() });
  sample();
  const timer = setInterval(sample, s.sampleMs);
  try {
    let next = 0;
    const deadline = t0 + s.maxSeconds * 1000;
    const lane = async () => {
      while (next < s.evaluations && performance.now() < deadline) {
        const i = next++;
        const isOutlier = i % s.outlierEvery === s.outlierEvery / 2;
        if (isOutlier) outliers++;
        try {
          await engine.evaluate(isOutlier ? outlier : varied[i % varied.length]);
        } catch {
          errors++;
        }
        done++;
      }
    };
    await Promise.all(Array.from({ length: engine.workers * 2 }, lane));
  } finally {
    clearInterval(timer);
    sample();
    await engine.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    workers: engine.workers,
    target: s.evaluations,
    evaluations: done,
    reachedTarget: done >= s.evaluations,
    seconds: round(seconds, 1),
    perSecond: round(done / seconds, 0),
    outliers,
    errors,
    peakRssMiB: Math.max(...series.map((x) => x.rssMiB)),
    peakWasmPages: Math.max(0, ...series.map((x) => x.wasmPages ?? 0)) || undefined,
    rss: plateau(series, 'rssMiB'),
    wasm: series.some((x) => x.wasmPages) ? plateau(series, 'wasmPages') : { verdict: 'not observable (no worker answered)' },
    series: downsample(series),
  };
}

async function servers(ctx, s, files, outlierFile) {
  // Round robin over the varied bodies `repeatsPerOutlier` times, then the outlier once.
  const bodies = [...Array.from({ length: s.server.repeatsPerOutlier }, () => files).flat(), outlierFile];
  const probe = readFileSync(files[0]);
  const out = {};
  for (const which of ['wasmgate', 'opa']) {
    const server = await startServer(which, ctx, { cpus: ctx.pinning.server, probe });
    try {
      const sampler = sampleRss(server.pid, 250);
      const targets = writeTargets(join(ctx.work, `w5-${which}.targets`), server.url, bodies);
      const r = await attack(ctx.vegeta.path, { targets, rate: s.server.rate, seconds: s.server.seconds, cpus: ctx.pinning.load, out: join(ctx.work, `w5-${which}.bin`) });
      const { series, peakMiB } = sampler.stop();
      out[which] = {
        requests: r.requests,
        ok: r.ok,
        errors: r.errors,
        p99Ms: round(r.latencyMs.p99, 2),
        peakRssMiB: round(peakMiB, 1),
        rss: plateau(series, 'rssMiB'),
        series: downsample(series.map((x) => ({ t: round(x.t, 1), rssMiB: round(x.rssMiB, 1) }))),
      };
      ctx.log(`W5 ${which} server: ${r.ok}/${r.requests} ok, peak RSS ${round(peakMiB, 1)} MiB (${out[which].rss.verdict})`);
    } finally {
      await server.stop();
    }
  }
  return out;
}

export async function runW5(ctx) {
  const s = settings(ctx.mode);
  const reviews = variedReviews(64);
  const files = writeBodies(ctx.work, reviews, 'w5-varied');
  const varied = files.map((f) => readFileSync(f));
  const [outlierFile] = writeBodies(ctx.work, [outlierReview()], 'w5-outlier');
  const outlier = readFileSync(outlierFile);
  ctx.log(`W5 in-process: up to ${s.evaluations} evaluations (at most ${s.maxSeconds} s), 5 MB outlier every ${s.outlierEvery}`);
  const engine = await inProcess(ctx, s, varied, outlier);
  ctx.log(`W5 in-process: ${engine.evaluations} evaluations in ${engine.seconds} s, RSS ${engine.rss.verdict} (peak ${engine.peakRssMiB} MiB), WASM ${engine.wasm.verdict}`);
  const server = await servers(ctx, s, files, outlierFile);
  return {
    id,
    title,
    settings: { ...s, variedInputs: files.length, outlierBytes: outlier.byteLength, pinning: ctx.pinning.why },
    engine,
    servers: server,
    ratios: { serverPeakRss: ratio(server.wasmgate?.peakRssMiB, server.opa?.peakRssMiB) },
  };
}
