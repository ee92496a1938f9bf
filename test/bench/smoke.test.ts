// The bench harness starts and writes a well-formed result: W1 on one input with tiny counts, against
// the OPA that `npm run build` already resolved. Timing figures are checked for shape, never for speed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';

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
