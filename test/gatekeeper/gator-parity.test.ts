// `wasmgate verify -v` against Gatekeeper's own `gator verify -v` on the same Suites: the same tests
// and cases pass and fail, in the same order, and failed assertions read the same.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { resolveGator } from '../../dist/toolchain/gator.js';
import { repoRoot } from '../helpers/policies.js';

const cli = join(repoRoot, 'dist', 'cli', 'main.js');

/** The outcome lines of a verbose run, times removed; and the assertion failures (gator's own text). */
function outline(stdout: string): { outcomes: string[]; assertions: string[] } {
  const lines = stdout.split('\n');
  const outcomes = lines
    .filter((l) => /^(\s*--- (PASS|FAIL): |ok\t|FAIL\t|PASS$|FAIL$)/.test(l))
    .map((l) => l.replace(/\t\(?\d+\.\d{3}s\)?$/, ''));
  const assertions = lines.filter((l) => l.includes('unexpected number of violations')).map((l) => l.trim());
  return { outcomes, assertions };
}

function both(target: string) {
  const gator = spawnSync(resolveGator(), ['verify', '-v', `${target}/...`], { cwd: repoRoot, encoding: 'utf8' });
  const wasmgate = spawnSync(process.execPath, [cli, 'verify', '-v', target], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return { gator, wasmgate };
}

t.test('the passing suites: every test and case passes in both', async (t) => {
  const { gator, wasmgate } = both('test/gatekeeper/library');
  t.equal(gator.status, 0, gator.stdout + gator.stderr);
  t.equal(wasmgate.status, 0, wasmgate.stdout + wasmgate.stderr);
  const expected = outline(gator.stdout);
  t.ok(expected.outcomes.filter((l) => l.includes('--- PASS')).length >= 26, 'gator ran every case');
  t.same(outline(wasmgate.stdout).outcomes, expected.outcomes);
});

t.test('the failing suites: the same failures, the same assertion messages', async (t) => {
  const { gator, wasmgate } = both('test/gatekeeper/failing');
  t.equal(gator.status, 1);
  t.equal(wasmgate.status, 1);
  const expected = outline(gator.stdout);
  const actual = outline(wasmgate.stdout);
  t.same(actual.outcomes, expected.outcomes);
  t.same(actual.assertions, expected.assertions);
  t.equal(expected.assertions.length, 3);
});
