import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';

const cli = join(repoRoot, 'dist', 'cli', 'main.js');
/** How many fixture documents a file of the good fixtures holds (one `# expect:` line each). */
const fixturesIn = (file: string) => readFileSync(join(repoRoot, 'test', 'harness', 'fixtures', 'good', file), 'utf8').match(/^# expect:/gm)?.length ?? 0;
const allFixtures = readdirSync(join(repoRoot, 'test', 'harness', 'fixtures', 'good')).reduce((n, file) => n + fixturesIn(file), 0);
const good = ['--policies', join('test', 'harness', 'policies', 'good'), '--fixtures', join('test', 'harness', 'fixtures', 'good')];

function wasmgateTest(args: string[]) {
  const run = spawnSync(process.execPath, [cli, 'test', ...args], { encoding: 'utf8', cwd: repoRoot, env: { ...process.env, NO_COLOR: '1' } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

t.test('--run selects Rego tests by name, as opa test --run, and fixtures by object; coverage is not measured', async (t) => {
  const run = wasmgateTest([...good, '--run', 'locked_namespace|^Namespace ']);
  t.equal(run.code, 0, run.stdout + run.stderr);
  t.match(run.stdout, /✓ Rego unit tests \(opa test\): 1 passed\n {4}only the tests matching --run locked_namespace\|\^Namespace ; coverage is not measured\n/);
  t.notMatch(run.stdout, /Coverage/);
  t.match(run.stdout, /✓ Rego unit tests on the WASM engine \(same result as opa test\): 1 passed\n/);
  t.match(run.stdout, `✓ Fixtures (test/harness/fixtures/good): 1 passed\n    only the 1 of ${allFixtures} fixtures matching --run`);
  t.match(run.stdout, /✓ Fixture parity .*: 1 passed\n/);
});

t.test('--run matches fixtures by file path too, and says when no Rego test matches', async (t) => {
  const run = wasmgateTest([...good, '--run', 'pods\\.yaml']);
  t.equal(run.code, 0, run.stdout + run.stderr);
  t.match(run.stdout, /Rego unit tests \(opa test\): 0 passed\n {4}no Rego test name matches --run pods\\\.yaml\n/);
  const pods = fixturesIn('pods.yaml');
  t.match(run.stdout, `✓ Fixtures (test/harness/fixtures/good): ${pods} passed\n    only the ${pods} of ${allFixtures} fixtures matching`);
});

t.test('--run on the project policies: the selected tests also run on the WASM engine', async (t) => {
  // A few tests compile to a small module whose data OPA places beyond the memory it declares.
  const run = wasmgateTest(['--run', 'registries', '--no-fixtures']);
  t.equal(run.code, 0, run.stdout + run.stderr);
  t.match(run.stdout, /✓ Rego unit tests on the WASM engine \(same result as opa test\): [1-9]\d* passed\n/);
});

t.test('--run with something that is not a regular expression is a usage error', async (t) => {
  const run = wasmgateTest([...good, '--run', '(']);
  t.equal(run.code, 2);
  t.match(run.stderr, /option '--run <pattern>' argument '\(' is invalid\. not a regular expression/);
});
