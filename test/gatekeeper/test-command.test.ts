// wasmgate test --gatekeeper PATH: the gator Suites as one more stage of the policy authors' run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';

const cli = join(repoRoot, 'dist', 'cli', 'main.js');

function wasmgateTest(gatekeeper: string) {
  const run = spawnSync(
    process.execPath,
    [cli, 'test', '--policies', join('test', 'harness', 'policies', 'good'), '--no-fixtures', '--coverage', '0', '--gatekeeper', gatekeeper],
    { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' } },
  );
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

t.test('passing suites: a passed stage counting the cases, exit 0', async (t) => {
  const run = wasmgateTest('test/gatekeeper/library');
  t.equal(run.code, 0, run.stdout + run.stderr);
  t.match(run.stdout, '✓ Gatekeeper suites (test/gatekeeper/library): 26 passed\n');
});

t.test('failing suites: each failed case and test that could not run, with where and why, exit 1', async (t) => {
  const run = wasmgateTest('test/gatekeeper/failing');
  t.equal(run.code, 1, run.stdout + run.stderr);
  t.match(run.stdout, '✗ Gatekeeper suites (test/gatekeeper/failing): 1 passed, 6 failed\n');
  t.match(run.stdout, '  ✗ wrong-expectations / expects-none  test/gatekeeper/failing/suite.yaml\n      unexpected number of violations: got 1 violations but want none');
  t.match(run.stdout, '  ✗ template-does-not-compile: the test could not run  test/gatekeeper/failing/suite.yaml\n');
});
