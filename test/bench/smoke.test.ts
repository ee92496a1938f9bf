// The bench harness starts and writes a well-formed result: W1 on one input with tiny counts, against
// the OPA that `npm run build` already resolved. Timing figures are checked for shape, never for speed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';
import { renderMarkdown } from '../../scripts/bench/lib/report.mjs';
import { halfMaxRate } from '../../scripts/bench/workloads/w2.mjs';

t.test('npm run bench -- W1 --smoke writes results.json and results.md', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'wasmgate-bench-'));
  const run = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'bench', 'run.mjs'), 'W1', '--smoke', '--no-build', '--out', out], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
  });
  t.equal(run.status, 0, `bench exits 0\n${run.stderr}`);

  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  t.equal(results.schema, 1);
  t.equal(results.mode, 'smoke');
  t.match(results.machine, { cpuModel: String, cores: Number, node: process.version });
  t.match(results.versions, { opa: /^\d+\.\d+\.\d+/ });
  const w1 = results.workloads.W1;
  t.notOk(w1.skipped, `W1 ran (${w1.skipped ?? ''})`);
  t.equal(w1.rows.length, 1);
  const [row] = w1.rows;
  t.ok(row.decision.agreesWithOpa, 'wasmgate and opa eval reach the same decision');
  for (const key of ['oursUs', 'inThreadUs', 'floorUs', 'opaBenchUs'] as const) {
    t.ok(row[key].p50 > 0 && row[key].p99 >= row[key].p50, `${key} has p50 ≤ p99`);
  }
  t.type(row.ratios.oursOverTopdownP50, 'number');

  const markdown = readFileSync(join(out, 'results.md'), 'utf8');
  t.match(markdown, /^# wasmgate benchmarks/);
  t.match(markdown, /## W1 — per decision, no HTTP/);
  t.match(markdown, /\| 2KB \(/);
});

t.test("W2's report says the p99 at half of wasmgate's maximum, against the target", async (t) => {
  t.equal(halfMaxRate(1372), 686);
  t.equal(halfMaxRate(1373), 687, 'rounded to whole requests per second');
  t.equal(halfMaxRate(0.4), 1, 'never a rate of 0 (vegeta would read it as closed loop)');

  const step = (rate: number, p99: number, keptUp = true) => ({ rate, requests: 100, ok: 100, keptUp, achievedPerSecond: keptUp ? rate : rate / 2, cpuUsPerRequest: 300, latencyMs: { p50: p99 / 4, p99, p999: p99 * 2 } });
  const server = (name: string, halfMax?: object) => ({ server: name, answers: [], rates: [], max: { concurrency: 32, achievedPerSecond: 1372, cpuUsPerRequest: 700, latencyMs: { p50: 20, p99: 40, p999: 50 } }, ...(halfMax ? { halfMax } : {}) });
  const w2 = (wasmgate: object, trivial?: object, floor?: object) => ({
    title: 'webhook end to end, HTTPS keep-alive',
    settings: { http: 'HTTP/1.1', pinning: 'none', bodies: 8, seconds: 1, p99BudgetMs: 10 },
    answersAgree: true,
    referencesAnswer: true,
    wasmgate: server('wasmgate', wasmgate),
    opa: server('opa'),
    floor: server('floor', floor),
    trivial: server('trivial', trivial),
    floorRatios: { byRate: [], halfMaxP99: 2 },
    ratios: { byRate: [], maxThroughput: 13, maxCpuPerRequest: 0.1, highestRateP99Under10ms: undefined, peakRssAfterMax: 0.6 },
  });
  const render = (w: object) =>
    renderMarkdown({ schema: 1, date: '2026-12-01T14:00:00.000Z', mode: 'quick', machine: { cpuModel: 'x', cores: 2, memoryGiB: 4, commit: 'abc' }, load: { start: [0, 0, 0] }, pinning: 'none', versions: { node: 'v20', opa: '1.0.0' }, workloads: { W2: w } }) as string;

  const met = render(w2(step(686, 6.9), step(686, 5.72), step(686, 0.62)));
  t.match(met, 'p99 at half the maximum (686 req/s): 6.90 ms (target < 10 ms), met ✓; at the same rate trivial policy 5.72 ms, floor 0.62 ms.');
  t.match(met, /\| half wasmgate's max: 686 req\/s \(open loop\) \| 1\.73 \/ 6\.90 \/ 13\.8 \| 1\.43 \/ 5\.72 \/ 11\.4 \| 0\.16 \/ 0\.62 \/ 1\.24 \|/);

  t.match(render(w2(step(686, 13.1))), 'p99 at half the maximum (686 req/s): 13.1 ms (target < 10 ms), **not met ✗**.');
  t.match(render(w2(step(686, 4, false))), /: 4\.00 ms \(target < 10 ms\), \*\*not met ✗\*\*, \*\*kept up: no\*\* \(343\/s\)/, 'a step that did not keep up does not meet the target');
  t.match(render(w2(undefined)), 'p99 at half the maximum: – (not measured in this run; target < 10 ms)', 'results of a run before the step existed still render');
});
