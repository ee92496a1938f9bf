// Fixtures beside the policies: every fixtures/ directory under --policies is read with the --fixtures
// paths, the stage names them as one glob, and --no-fixtures skips them too.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import t from 'tap';
import { policyFixtureDirs } from '../../dist/harness/index.js';
import { repoRoot } from '../helpers/policies.js';

const cli = join(repoRoot, 'dist', 'cli', 'main.js');
const harness = join(repoRoot, 'test', 'harness');
const count = (file: string) => readFileSync(file, 'utf8').match(/^# expect:/gm)?.length ?? 0;

/** The good policy set in a scratch directory, with the pods fixtures beside it in a/b/fixtures. */
function scratch(): string {
  const dir = mkdtempSync(join(repoRoot, '.cache', 'policy-fixtures-'));
  cpSync(join(harness, 'policies', 'good'), dir, { recursive: true });
  mkdirSync(join(dir, 'a', 'b', 'fixtures'), { recursive: true });
  writeFileSync(join(dir, 'a', 'b', 'fixtures', 'pods.yaml'), readFileSync(join(harness, 'fixtures', 'good', 'pods.yaml')));
  return dir;
}

const wasmgateTest = (args: string[]) => {
  const run = spawnSync(process.execPath, [cli, 'test', '--coverage', '0', ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
  return { code: run.status, out: run.stdout + run.stderr };
};

t.test('policyFixtureDirs: every fixtures/ directory under the policy directory, in path order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-fixture-dirs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['z/y/fixtures', 'a/b/fixtures/nested/fixtures', 'a/c', 'fixtures']) mkdirSync(join(dir, d), { recursive: true });
  t.same(policyFixtureDirs(dir).map((d) => relative(dir, d)), ['a/b/fixtures', 'fixtures', 'z/y/fixtures'], 'a fixtures/ directory is read whole, not searched again');
});

t.test('wasmgate test reads the fixtures beside the policies with the --fixtures paths', async (t) => {
  const dir = scratch();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const given = join('test', 'harness', 'fixtures', 'good');
  const both = wasmgateTest(['--policies', relative(repoRoot, dir), '--fixtures', given]);
  t.equal(both.code, 0, both.out);
  const total = count(join(harness, 'fixtures', 'good', 'pods.yaml')) + count(join(harness, 'fixtures', 'good', 'context.yaml')) + count(join(dir, 'a', 'b', 'fixtures', 'pods.yaml'));
  t.match(both.out, `✓ Fixtures (${relative(repoRoot, dir)}/**/fixtures, ${given}): ${total} passed`);

  // Without --fixtures: the default test/fixtures too (the project's, which this policy set fails).
  const beside = wasmgateTest(['--policies', relative(repoRoot, dir)]);
  t.match(beside.out, ` Fixtures (${relative(repoRoot, dir)}/**/fixtures, test/fixtures): `);

  const none = wasmgateTest(['--policies', relative(repoRoot, dir), '--no-fixtures']);
  t.equal(none.code, 0, none.out);
  t.notMatch(none.out, /Fixtures/, '--no-fixtures skips them all');
});
