// W2 — the webhook end to end over HTTPS keep-alive: `wasmgate serve` against `opa run --server`
// (serving the same policy through a system.main rule that builds the AdmissionReview response), and
// against the floor, a raw Node HTTPS server that parses the same bodies and answers a fixed review;
// `wasmgate serve` with a trivial policy (allow all) shows what the host path alone costs. All on the
// same core, driven by vegeta from the other core: first the maximum (closed loop), then open-loop
// constant rates up to just past the higher maximum of wasmgate and OPA, the servers interleaved at
// each step; and one open-loop step at half of wasmgate's measured maximum (the target's "p99 < 10 ms up
// to half the maximum", which the fixed ladder never tests), for wasmgate and the two host-path
// references. Latency p50/p99/p99.9, the highest rate with p99 < 10 ms, CPU time per request.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from '../lib/paths.mjs';
import { sizedCases, sizedReview, variedReviews } from '../lib/inputs.mjs';
import { attack, writeTargets } from '../lib/load.mjs';
import { cpuMs, memory, post } from '../lib/proc.mjs';
import { startServer, writeBodies } from '../lib/servers.mjs';
import { ratio, round } from '../lib/stats.mjs';

export const id = 'W2';
export const title = 'webhook end to end, HTTPS keep-alive';

const p99Budget = 10; // ms
const ladder = [20, 50, 100, 200, 500, 1000, 2000, 3000, 5000, 8000];
/** The servers, in the order they run at each step; the first two are the comparison, the rest references. */
const lineup = ['wasmgate', 'opa', 'floor', 'trivial'];
/** Who runs the half-maximum step: OPA's maximum is a fraction of wasmgate's, half of wasmgate's would only saturate it again. */
const halfMaxLineup = new Set(['wasmgate', 'floor', 'trivial']);

/** The half-maximum step's rate: half of wasmgate's closed-loop maximum, whole requests per second, at least 1. */
export function halfMaxRate(maxPerSecond) {
  return Math.max(1, Math.round(maxPerSecond / 2));
}

function settings(mode) {
  // Quick keeps the lowest step (the p50 at 20 req/s) and the top ones.
  if (mode === 'quick') return { seconds: 3, warmupSeconds: 1, maxWorkers: 32, maxSteps: 4 };
  return { seconds: 15, warmupSeconds: 3, maxWorkers: 32, maxSteps: 10 };
}

/** Compiles the trivial policy (every review allowed) as `npm run build` compiles policies/; returns the bundle directory. */
export async function trivialBundle(ctx) {
  const [{ buildPolicies }, { resolveOpa }] = await Promise.all([import(join(ctx.root, 'dist', 'toolchain', 'build.js')), import(join(ctx.root, 'dist', 'toolchain', 'opa.js'))]);
  const outDir = join(ctx.work, 'trivial-bundle');
  await buildPolicies({ opa: resolveOpa(), policiesDir: join(benchDir, 'adapters', 'trivial'), outDir });
  return outDir;
}

/** How to start each server of the lineup. */
async function serverSpecs(ctx) {
  const trivial = await trivialBundle(ctx);
  return {
    wasmgate: { which: 'wasmgate' },
    opa: { which: 'opa' },
    floor: { which: 'floor' },
    trivial: { which: 'wasmgate', extraArgs: ['--bundle', trivial] },
  };
}

/** The bodies: the four W1 sizes and four varied reviews (three of them violating), round robin. */
export function webhookBodies(work) {
  const reviews = [...sizedCases.map((c) => sizedReview(c).review), ...variedReviews(8).slice(2, 6)];
  return writeBodies(work, reviews, 'w2-body');
}

/** One attack on one server, with the server's CPU time per request over exactly that attack. */
async function measure(ctx, server, opts) {
  const before = cpuMs(server.pid);
  const r = await attack(ctx.vegeta.path, { ...opts, targets: server.targets, cpus: ctx.pinning.load, out: join(ctx.work, `w2-${server.name}-${opts.rate}.bin`) });
  const cpu = cpuMs(server.pid) - before;
  return { ...r, cpuUsPerRequest: r.requests ? round((cpu * 1000) / r.requests, 0) : undefined, rssMiB: round(memory(server.pid).rssMiB) };
}

/** One open-loop step at `rate`: whether the server kept up (answered 99 % and ≥ 95 % of the rate), logged as `what`. */
async function openLoopStep(ctx, server, rate, seconds, what) {
  const r = await measure(ctx, server, { rate, seconds });
  r.keptUp = r.ok >= r.requests * 0.99 && r.achievedPerSecond >= rate * 0.95;
  ctx.log(`W2 ${server.name} ${what}: p50 ${round(r.latencyMs.p50, 2)} ms, p99 ${round(r.latencyMs.p99, 2)} ms, ${r.ok}/${r.requests} ok, ${r.cpuUsPerRequest} µs CPU/req`);
  return { rate, ...r };
}

export async function runW2(ctx) {
  const s = settings(ctx.mode);
  const bodies = webhookBodies(ctx.work);
  const probe = readFileSync(bodies[0]);
  const specs = await serverSpecs(ctx);
  const servers = [];
  try {
    for (const name of lineup) {
      const { which, extraArgs } = specs[name];
      const server = await startServer(which, ctx, { cpus: ctx.pinning.server, probe, name, extraArgs });
      servers.push(server);
      server.targets = writeTargets(join(ctx.work, `w2-${name}.targets`), server.url, bodies);
      server.result = { server: name, answers: [], rates: [] };
      for (const body of bodies) {
        const res = await post(server.url, readFileSync(body));
        const review = JSON.parse(res.body);
        server.result.answers.push({ status: res.status, allowed: review.response?.allowed, uid: review.response?.uid });
      }
      // Started, self-checked and each body answered once: the resident set of a server waiting for work.
      server.result.idleRssMiB = round(memory(server.pid).rssMiB);
    }
    for (const server of servers) {
      await attack(ctx.vegeta.path, { targets: server.targets, rate: 200, seconds: s.warmupSeconds, cpus: ctx.pinning.load, out: join(ctx.work, 'w2-warmup.bin') });
      server.result.max = { concurrency: s.maxWorkers, ...(await measure(ctx, server, { rate: 0, maxWorkers: s.maxWorkers, seconds: s.seconds })) };
      // Every server has seen exactly the same load so far: their peak RSS is comparable here.
      server.result.peakRssAfterMaxMiB = round(memory(server.pid).hwmMiB);
      ctx.log(`W2 ${server.name} max: ${round(server.result.max.achievedPerSecond, 0)}/s, p99 ${round(server.result.max.latencyMs.p99, 2)} ms, ${server.result.max.cpuUsPerRequest} µs CPU/req`);
    }
    const halfRate = halfMaxRate(servers[0].result.max.achievedPerSecond);
    for (const server of servers.filter((sv) => halfMaxLineup.has(sv.name))) {
      server.result.halfMax = await openLoopStep(ctx, server, halfRate, s.seconds, `half the maximum, ${halfRate}/s`);
    }
    // The ladder goes as far as the compared pair needs; the references run the same steps.
    const highest = Math.max(...servers.slice(0, 2).map((sv) => sv.result.max.achievedPerSecond));
    const rates = ladder.filter((r) => r <= highest * 1.25);
    const next = ladder.find((r) => r > highest * 1.25);
    if (next) rates.push(next); // one step past both maxima shows saturation
    const chosen = rates.length > s.maxSteps ? [rates[0], ...rates.slice(-(s.maxSteps - 1))] : rates;
    for (const rate of chosen) {
      for (const server of servers) {
        if (server.saturated) {
          server.result.rates.push({ rate, skipped: 'a lower rate already saturated this server' });
          continue;
        }
        const r = await openLoopStep(ctx, server, rate, s.seconds, `${rate}/s`);
        server.result.rates.push(r);
        if (!r.keptUp || r.latencyMs.p99 > 2000) server.saturated = true;
      }
    }
    for (const server of servers) {
      server.result.peakRssMiB = round(memory(server.pid).hwmMiB);
      const good = server.result.rates.filter((r) => r.keptUp && r.latencyMs.p99 < p99Budget);
      server.result.highestRateP99Under10ms = good.length ? Math.max(...good.map((r) => r.rate)) : 0;
    }
  } finally {
    await Promise.all(servers.map((sv) => sv.stop()));
  }
  const [ours, opa, floor, trivial] = servers.map((sv) => sv.result);
  const agree = ours.answers.every((a, i) => a.status === opa.answers[i].status && a.allowed === opa.answers[i].allowed && a.uid === opa.answers[i].uid);
  // The references must answer every body 200 with its uid (they allow all: nothing else to compare).
  const referencesAnswer = [floor, trivial].every((x) => x.answers.every((a, i) => a.status === 200 && a.allowed === true && a.uid === ours.answers[i].uid));
  const versus = (peer) =>
    ours.rates.map(({ rate }) => {
      const a = ours.rates.find((r) => r.rate === rate);
      const b = peer.rates.find((r) => r.rate === rate);
      return {
        rate,
        p50: ratio(a?.latencyMs?.p50, b?.latencyMs?.p50),
        p99: ratio(a?.latencyMs?.p99, b?.latencyMs?.p99),
        p999: ratio(a?.latencyMs?.p999, b?.latencyMs?.p999),
        cpuPerRequest: ratio(a?.cpuUsPerRequest, b?.cpuUsPerRequest),
      };
    });
  const byRate = versus(opa);
  return {
    id,
    title,
    settings: { ...s, p99BudgetMs: p99Budget, bodies: bodies.length, pinning: ctx.pinning.why, http: 'HTTP/1.1 keep-alive over TLS, ECDSA P-256 certificate, both servers at their default log level (info)' },
    answersAgree: agree,
    referencesAnswer,
    wasmgate: ours,
    opa,
    floor,
    trivial,
    floorRatios: {
      byRate: versus(floor),
      halfMaxP99: ratio(ours.halfMax?.latencyMs?.p99, floor.halfMax?.latencyMs?.p99),
      maxThroughput: ratio(ours.max?.achievedPerSecond, floor.max?.achievedPerSecond),
      trivialMaxThroughput: ratio(trivial.max?.achievedPerSecond, floor.max?.achievedPerSecond),
      maxCpuPerRequest: ratio(ours.max?.cpuUsPerRequest, floor.max?.cpuUsPerRequest),
      peakRssAfterMax: ratio(ours.peakRssAfterMaxMiB, floor.peakRssAfterMaxMiB),
    },
    ratios: {
      byRate,
      maxThroughput: ratio(ours.max?.achievedPerSecond, opa.max?.achievedPerSecond),
      maxCpuPerRequest: ratio(ours.max?.cpuUsPerRequest, opa.max?.cpuUsPerRequest),
      highestRateP99Under10ms: ratio(ours.highestRateP99Under10ms, opa.highestRateP99Under10ms),
      peakRssAfterMax: ratio(ours.peakRssAfterMaxMiB, opa.peakRssAfterMaxMiB),
    },
  };
}
