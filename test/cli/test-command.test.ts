import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';

const cli = join(repoRoot, 'dist', 'cli', 'main.js');
const harness = join('test', 'harness');

function wasmgateTest(args: string[]) {
  const run = spawnSync(process.execPath, [cli, 'test', ...args], {
    encoding: 'utf8',
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

t.test('wasmgate test on a sound policy set: every stage passes, exit 0', async (t) => {
  const run = wasmgateTest(['--policies', join(harness, 'policies', 'good'), '--fixtures', join(harness, 'fixtures', 'good')]);
  t.equal(run.code, 0, run.stdout + run.stderr);
  t.match(run.stdout, /✓ Rego unit tests \(opa test\): 10 passed\n {4}1 skipped \(todo_\)/);
  t.match(run.stdout, /✓ Coverage of the policies \(at least 95%\): \d+\.\d\d% of the policy lines/);
  t.match(run.stdout, /✓ Rego unit tests on the WASM engine \(same result as opa test\): 10 passed/);
  t.match(run.stdout, /✓ Fixtures \(test\/harness\/fixtures\/good\): 7 passed/);
  t.match(run.stdout, /✓ Fixture parity \(opa eval on the Rego source vs the WASM engine\): 7 passed/);
  t.match(run.stdout, /All policy tests passed/);
});

t.test('wasmgate test catches a WASM-vs-OPA divergence: exit 1, both results shown', async (t) => {
  const run = wasmgateTest(['--policies', join(harness, 'policies', 'divergent'), '--fixtures', join(harness, 'fixtures', 'divergent'), '--coverage', '0']);
  t.equal(run.code, 1);
  t.match(run.stdout, /✗ data\.wasmgate\.main_test\.test_first_word_is_alpha: OPA and the WASM engine disagree {2}test\/harness\/policies\/divergent\/main_test\.rego:\d+\n {6}opa test: {4}pass\n {6}WASM engine: fail/);
  t.match(run.stdout, /✗ ConfigMap default\/words: opa eval and the WASM engine decide differently {2}test\/harness\/fixtures\/divergent\/words\.yaml:2/);
  t.match(run.stdout, /✗ Pod default\/words: opa eval and the WASM engine mutate differently {2}test\/harness\/fixtures\/divergent\/words\.yaml:10\n {6}opa eval: {4}\{"patch":\[\{"op":"add"/);
  t.notMatch(run.stdout, /Coverage/, '--coverage 0 turns the floor off');
});

t.test('usage and input errors exit 2', async (t) => {
  const missing = wasmgateTest(['--policies', 'no/such/dir']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /the policy directory no\/such\/dir does not exist/);
  const badFixtures = wasmgateTest(['--policies', join(harness, 'policies', 'good'), '--fixtures', 'no/such/fixtures']);
  t.equal(badFixtures.code, 2);
  t.match(badFixtures.stdout, /✗ no\/such\/fixtures {2}no such file or directory/);
  const percent = wasmgateTest(['--coverage', '120']);
  t.equal(percent.code, 2);
  t.match(percent.stderr, /expected a percentage from 0 to 100/);
});
