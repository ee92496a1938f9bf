// The markdown table of a results JSON. Every ratio is wasmgate / peer of the quantity in its row;
// the word beside it says who is ahead, so nobody has to remember which way is better.

const num = (v, digits = 0) =>
  typeof v === 'number' && Number.isFinite(v) ? v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';
const us = (v) => num(v, v < 100 ? 1 : 0);
const ms = (v) => num(v, v < 10 ? 2 : v < 100 ? 1 : 0);
const pair = (a, b, f = us) => `${f(a)} / ${f(b)}`;

/** "0.47× ahead", "1.80× **behind**", "1.02× even"; `better` says which way is good for this quantity. */
export function verdict(r, better = 'lower') {
  if (typeof r !== 'number') return '–';
  const good = better === 'lower' ? r < 0.95 : r > 1.05;
  const bad = better === 'lower' ? r > 1.05 : r < 0.95;
  return `${r.toFixed(2)}× ${good ? 'ahead' : bad ? '**behind**' : 'even'}`;
}

const skipped = (w) => `_skipped: ${w.skipped}_\n`;

function w1(w) {
  const lines = [
    'Per decision, no HTTP, one at a time (µs, p50 / p99); the three in-process columns are timed interleaved, one call of each in turn. wasmgate = `Engine.evaluate(bytes)` through its worker;',
    'in-thread = `PolicyEvaluator.decide` on the same bytes; opa bench = topdown with the input parsed once before timing;',
    'OPA bytes-in = OPA\'s Go library parsing the same JSON bytes for each evaluation, as its server does; floor = V8 `JSON.parse` + `JSON.stringify` of the body.',
    '',
    '| input | decision (same as OPA) | wasmgate | in-thread | opa bench (topdown) | OPA bytes-in | floor | wasmgate / topdown p50 | wasmgate / topdown p99 | wasmgate / OPA bytes-in p50 | wasmgate / floor p50 |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of w.rows) {
    const decision = `${r.decision.allowed ? 'allowed' : `denied (${r.decision.violations})`} ${r.decision.agreesWithOpa ? '✓' : '**✗ differs**'}`;
    lines.push(
      `| ${r.case} (${num(r.bytes)} B, ${r.kind}, ${r.containers} ctr) | ${decision} | ${pair(r.oursUs.p50, r.oursUs.p99)} | ${pair(r.inThreadUs.p50, r.inThreadUs.p99)} | ${pair(r.opaBenchUs.p50, r.opaBenchUs.p99)} | ${r.opaBytesInUs ? pair(r.opaBytesInUs.p50, r.opaBytesInUs.p99) : '–'} | ${pair(r.floorUs.p50, r.floorUs.p99)} | ${verdict(r.ratios.oursOverTopdownP50)} | ${verdict(r.ratios.oursOverTopdownP99)} | ${verdict(r.ratios.oursOverOpaBytesInP50)} | ${num(r.ratios.oursOverFloorP50, 1)}× |`,
    );
  }
  if (w.profile) {
    const p = w.profile;
    lines.push(
      '',
      `Where wasmgate's time goes (V8 sampling profiler, in-thread \`decide\` on the ${p.case} input, ${num(p.evaluations)} evaluations): ` +
        p.byKind.map((k) => `${k.kind} ${num(k.percent, 1)} %`).join('; ') + '.',
      `Top functions by self time: ${p.topFunctions.map((f) => `\`${f.function}\` ${num(f.percent, 1)} %`).join(', ')}.`,
    );
  }
  return lines.join('\n');
}

function w2(w) {
  const a = w.wasmgate;
  const b = w.opa;
  const lat = (r) => (r?.latencyMs ? `${ms(r.latencyMs.p50)} / ${ms(r.latencyMs.p99)} / ${ms(r.latencyMs.p999)}` : r?.skipped ? `_${r.skipped}_` : '–');
  const kept = (r) => (r?.keptUp === false ? ` (kept up: no, ${num(r.achievedPerSecond)}/s)` : '');
  const lines = [
    `${w.settings.http}; ${w.settings.pinning}; ${w.settings.bodies} bodies (2–20 KB, some denied) round robin; ${w.settings.seconds} s per step. Answers agree: ${w.answersAgree ? 'yes ✓' : '**no ✗**'}.`,
    '',
    '| load | wasmgate p50 / p99 / p99.9 ms | OPA p50 / p99 / p99.9 ms | CPU µs per request (wasmgate / OPA) | p99 wasmgate / OPA | CPU wasmgate / OPA |',
    '|---|---|---|---|---|---|',
    `| max (closed loop, ${a.max.concurrency} in flight): ${num(a.max.achievedPerSecond)} vs ${num(b.max.achievedPerSecond)} req/s | ${lat(a.max)} | ${lat(b.max)} | ${pair(a.max.cpuUsPerRequest, b.max.cpuUsPerRequest, num)} | ${verdict(w.ratios.maxThroughput, 'higher')} (throughput) | ${verdict(w.ratios.maxCpuPerRequest)} |`,
  ];
  for (const r of w.ratios.byRate) {
    const x = a.rates.find((v) => v.rate === r.rate);
    const y = b.rates.find((v) => v.rate === r.rate);
    lines.push(`| ${num(r.rate)} req/s (open loop) | ${lat(x)}${kept(x)} | ${lat(y)}${kept(y)} | ${pair(x?.cpuUsPerRequest, y?.cpuUsPerRequest, num)} | ${verdict(r.p99)} | ${verdict(r.cpuPerRequest)} |`);
  }
  if (w.floor) lines.push('', ...w2Floor(w, lat, kept));
  lines.push('', halfMaxLine(w));
  lines.push(
    '',
    `Highest tested rate with p99 < ${w.settings.p99BudgetMs} ms: wasmgate ${num(a.highestRateP99Under10ms)} req/s, OPA ${num(b.highestRateP99Under10ms)} req/s (${verdict(w.ratios.highestRateP99Under10ms, 'higher')}). Peak RSS after the same warm-up and maximum run: wasmgate ${num(a.peakRssAfterMaxMiB, 1)} MiB, OPA ${num(b.peakRssAfterMaxMiB, 1)} MiB (${verdict(w.ratios.peakRssAfterMax)}); at the end of the ladder, where each server went as far as it kept up: ${num(a.peakRssMiB, 1)} and ${num(b.peakRssMiB, 1)} MiB.`,
  );
  return lines.join('\n');
}

/** The issue's target "p99 < 10 ms up to half of wasmgate's maximum", from the step W2 runs at exactly that rate. */
export function halfMaxLine(w) {
  const h = w.wasmgate.halfMax;
  if (!h?.latencyMs) return `p99 at half the maximum: – (not measured in this run; target < ${w.settings.p99BudgetMs} ms)`;
  const met = h.keptUp && h.latencyMs.p99 < w.settings.p99BudgetMs;
  const refs = [['trivial policy', w.trivial?.halfMax], ['floor', w.floor?.halfMax]].filter(([, r]) => r?.latencyMs);
  return (
    `p99 at half the maximum (${num(h.rate)} req/s): ${ms(h.latencyMs.p99)} ms (target < ${w.settings.p99BudgetMs} ms), ${met ? 'met ✓' : '**not met ✗**'}` +
    `${h.keptUp ? '' : `, **kept up: no** (${num(h.achievedPerSecond)}/s)`}` +
    (refs.length ? `; at the same rate ${refs.map(([name, r]) => `${name} ${ms(r.latencyMs.p99)} ms`).join(', ')}.` : '.')
  );
}

/** wasmgate against the floor (a raw Node HTTPS server) and wasmgate serving a trivial policy. */
function w2Floor(w, lat, kept) {
  const a = w.wasmgate;
  const f = w.floor;
  const t = w.trivial;
  const r = w.floorRatios;
  const lines = [
    `Against the floor: a raw Node \`https.createServer\` (same certificate and core) that parses each body and answers a fixed AdmissionReview; and wasmgate serving a trivial policy (allow all), i.e. the host path alone. References answer every body: ${w.referencesAnswer ? 'yes ✓' : '**no ✗**'}.`,
    '',
    '| load | wasmgate p50 / p99 / p99.9 ms | trivial policy | floor | CPU µs per request (wasmgate / trivial / floor) | p99 wasmgate / floor |',
    '|---|---|---|---|---|---|',
    `| max (closed loop): ${num(a.max.achievedPerSecond)} / ${num(t.max.achievedPerSecond)} / ${num(f.max.achievedPerSecond)} req/s | ${lat(a.max)} | ${lat(t.max)} | ${lat(f.max)} | ${num(a.max.cpuUsPerRequest)} / ${num(t.max.cpuUsPerRequest)} / ${num(f.max.cpuUsPerRequest)} | ${verdict(r.maxThroughput, 'higher')} (throughput) |`,
  ];
  if (a.halfMax) {
    const h = (s) => s.halfMax;
    lines.push(
      `| half wasmgate's max: ${num(a.halfMax.rate)} req/s (open loop) | ${lat(h(a))}${kept(h(a))} | ${lat(h(t))}${kept(h(t))} | ${lat(h(f))}${kept(h(f))} | ${num(h(a)?.cpuUsPerRequest)} / ${num(h(t)?.cpuUsPerRequest)} / ${num(h(f)?.cpuUsPerRequest)} | ${verdict(r.halfMaxP99)} |`,
    );
  }
  for (const x of r.byRate) {
    const at = (s) => s.rates.find((v) => v.rate === x.rate);
    lines.push(
      `| ${num(x.rate)} req/s (open loop) | ${lat(at(a))}${kept(at(a))} | ${lat(at(t))}${kept(at(t))} | ${lat(at(f))}${kept(at(f))} | ${num(at(a)?.cpuUsPerRequest)} / ${num(at(t)?.cpuUsPerRequest)} / ${num(at(f)?.cpuUsPerRequest)} | ${verdict(x.p99)} |`,
    );
  }
  lines.push(
    '',
    `Maximum throughput wasmgate / floor ${num(r.maxThroughput, 2)}×, trivial policy / floor ${num(r.trivialMaxThroughput, 2)}×. RSS idle (started, each body answered once): wasmgate ${num(a.idleRssMiB, 1)} MiB, trivial ${num(t.idleRssMiB, 1)} MiB, floor ${num(f.idleRssMiB, 1)} MiB, OPA ${num(w.opa.idleRssMiB, 1)} MiB; peak after the warm-up and maximum run: ${num(a.peakRssAfterMaxMiB, 1)}, ${num(t.peakRssAfterMaxMiB, 1)}, ${num(f.peakRssAfterMaxMiB, 1)} and ${num(w.opa.peakRssAfterMaxMiB, 1)} MiB.`,
  );
  return lines;
}

function w3(w) {
  const lines = [
    `Evaluations per second, no HTTP, the W2 bodies round robin; ${w.settings.note}.`,
    '',
    '| threads | wasmgate (worker threads) | OPA (GOMAXPROCS = goroutines) | wasmgate / OPA throughput |',
    '|---|---|---|---|',
  ];
  for (const r of w.rows) lines.push(`| ${r.threads} | ${num(r.wasmgate.perSecond)}/s | ${num(r.opa.perSecond)}/s | ${verdict(r.throughputRatio, 'higher')} |`);
  lines.push(`| speedup 2 vs 1 | ${num(w.speedup.wasmgate, 2)}× | ${num(w.speedup.opa, 2)}× | |`);
  return lines.join('\n');
}

function w4(w) {
  const lines = [
    'Generated manifests (Deployments, Pods, ConfigMaps, Services; YAML, 10 documents a file), whole command runs including start-up.',
    '',
    '| documents | wasmgate wall / docs/s / peak RSS | conftest wall / docs/s / peak RSS | denied (wasmgate / conftest) | wall wasmgate / conftest | CPU wasmgate / conftest | peak RSS wasmgate / conftest |',
    '|---|---|---|---|---|---|---|',
  ];
  const cell = (x) => `${ms(x.wallMs / 1000)} s / ${num(x.documentsPerSecond)} / ${num(x.peakRssMiB, 0)} MiB`;
  for (const r of w.rows) {
    lines.push(`| ${num(r.documents)} (${r.wasmgate.runs === 1 ? '1 run' : `median of ${r.wasmgate.runs}`}) | ${cell(r.wasmgate)} | ${cell(r.conftest)} | ${num(r.denied.wasmgate)} / ${num(r.denied.conftest)} ${r.agree ? '✓' : '**✗**'} | ${verdict(r.ratios.wall)} | ${verdict(r.ratios.cpu)} | ${verdict(r.ratios.peakRss)} |`);
  }
  lines.push('', `Time ratio ${num(w.rows[1].documents)} / ${num(w.rows[0].documents)} documents (≈ ${w.scaling.expected} when the cost is per document): wasmgate ${num(w.scaling.wasmgate, 2)}, conftest ${num(w.scaling.conftest, 2)}.`);
  return lines.join('\n');
}

function w5(w) {
  const e = w.engine;
  const s = w.servers;
  const lines = [
    `In-process \`Engine\` (${e.workers} workers): ${num(e.evaluations)} of ${num(e.target)} evaluations${e.reachedTarget ? '' : ` (**stopped at the ${w.settings.maxSeconds} s cap**)`} in ${num(e.seconds, 1)} s (${num(e.perSecond)}/s), ${w.settings.variedInputs} varied inputs plus a ${num(w.settings.outlierBytes / 2 ** 20, 1)} MiB outlier ${num(e.outliers)} times, ${num(e.errors)} errors.`,
    '',
    '| what | peak | second quarter peak | last quarter peak | verdict |',
    '|---|---|---|---|---|',
    `| process RSS (MiB) | ${num(e.peakRssMiB, 1)} | ${num(e.rss.secondQuarterPeak, 1)} | ${num(e.rss.lastQuarterPeak, 1)} | ${e.rss.verdict} |`,
    `| WASM memory per instance (64 KiB pages) | ${num(e.peakWasmPages)} | ${num(e.wasm.secondQuarterPeak)} | ${num(e.wasm.lastQuarterPeak)} | ${e.wasm.verdict} |`,
    '',
    `Servers under the same load (${num(w.settings.server.rate)} req/s for ${w.settings.server.seconds} s, the same inputs, the outlier once every ${w.settings.variedInputs * w.settings.server.repeatsPerOutlier + 1} requests):`,
    '',
    '| server | requests ok | p99 ms | peak RSS MiB | RSS verdict |',
    '|---|---|---|---|---|',
  ];
  for (const [name, r] of Object.entries(s)) lines.push(`| ${name} | ${num(r.ok)} / ${num(r.requests)} | ${ms(r.p99Ms)} | ${num(r.peakRssMiB, 1)} | ${r.rss.verdict} |`);
  lines.push('', `Peak RSS wasmgate / OPA server: ${verdict(w.ratios.serverPeakRss)}.`);
  return lines.join('\n');
}

const renderers = { W1: w1, W2: w2, W3: w3, W4: w4, W5: w5 };

export function renderMarkdown(results) {
  const m = results.machine;
  const v = results.versions;
  const out = [
    '# wasmgate benchmarks',
    '',
    `${results.mode === 'full' ? 'Full run' : `**${results.mode} run** (small counts: for development, not for claims)`} of ${results.date.slice(0, 16).replace('T', ' ')} UTC${results.seconds ? ` (${num(results.seconds / 60, 1)} minutes)` : ''}, commit ${m.commit}${m.dirtyPaths ? ` (+${m.dirtyPaths} uncommitted changes)` : ''}.`,
    ...(results.mergedInto
      ? [`${results.rerun.join(', ')} re-run then and merged into the full run of ${results.mergedInto.date.slice(0, 16).replace('T', ' ')} UTC (${num(results.mergedInto.seconds / 60, 1)} minutes, commit ${results.mergedInto.commit}, load average at its start ${results.mergedInto.load.start.join(' ')}); each workload below says when it finished.`]
      : []),
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; load average at start ${results.load.start.join(' ')}, at end ${results.load.end?.join(' ') ?? '–'}${results.load.waitedForQuiet ? (results.load.waitedForQuiet.quiet ? ' (waited for a quiet machine)' : ' (**the machine never became quiet; numbers are noisy**)') : ''}.`,
    `Versions: Node ${v.node}, OPA ${v.opa}${v.conftest ? `, conftest ${v.conftest}` : ''}${v.vegeta ? `, vegeta ${v.vegeta}` : ''}. Pinning: ${results.pinning}.`,
    '',
    'Every ratio is **wasmgate / peer** of the quantity in its column, measured in this run on this machine; the word says who is ahead.',
    'Absolute numbers are this machine\'s and are not asserted anywhere. See the README, "Benchmarks", for how to read them.',
  ];
  for (const [id, w] of Object.entries(results.workloads)) {
    out.push('', `## ${id} — ${w.title ?? ''}`.trimEnd(), '');
    if (w.date) out.push(`_Finished ${w.date.slice(0, 16).replace('T', ' ')} UTC after ${num(w.seconds)} s; load average then ${w.load?.join(' ')}._`, '');
    out.push(w.skipped ? skipped(w) : renderers[id](w));
    if (w.notes?.length) out.push('', ...w.notes.map((n) => `- ${n}`));
  }
  return `${out.join('\n')}\n`;
}
