// wasmgate verify runs gator Suites: the project's own (test/gatekeeper/library, one semantic each)
// pass; test/gatekeeper/failing fails in every way gator reports; output, JSON and exit codes.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';

const cli = join(repoRoot, 'dist', 'cli', 'main.js');

function verify(args: string[]) {
  const run = spawnSync(process.execPath, [cli, 'verify', ...args], {
    encoding: 'utf8',
    cwd: repoRoot,
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

t.test('the project suites pass: ok per suite, PASS, and the case count', async (t) => {
  const run = verify(['test/gatekeeper/library']);
  t.equal(run.code, 0, run.stdout + run.stderr);
  for (const suite of ['dedup', 'erroring', 'requiredlabels', 'review', 'uniquelabel']) {
    t.match(run.stdout, new RegExp(`^ok\\ttest/gatekeeper/library/${suite}/suite\\.yaml\\t\\d+\\.\\d{3}s$`, 'm'), `${suite} ok`);
  }
  t.match(run.stdout, /\nPASS\n26 passed, 0 failed\n$/);
});

t.test('-o json: every case with the messages the review found', async (t) => {
  const run = verify(['-o', 'json', 'test/gatekeeper/library']);
  t.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as {
    passed: number;
    failed: number;
    suites: { path: string; tests: { name: string; cases: { name: string; violations?: string[]; error?: string }[] }[] }[];
  };
  t.equal(report.passed, 26);
  t.equal(report.failed, 0);
  const cases = new Map(
    report.suites.flatMap((s) => s.tests.flatMap((test) => test.cases.map((c) => [`${test.name}/${c.name}`, c.violations] as const))),
  );
  // Deduplicated on (msg, details): nginx twice is one result, redis:latest another.
  t.same(cases.get('no-latest/one-result-per-msg-and-details'), ['images must not use the latest tag', 'images must not use the latest tag']);
  // An evaluation error is one violation of its constraint, carrying the error.
  t.same(cases.get('conflict/evaluation-error-is-one-violation'), ['policy aborted: wgconflict/template.rego:7:1: var assignment conflict']);
  // A namespaceSelector with the Namespace unknown is Gatekeeper's autoreject.
  t.same(cases.get('namespace-selector/namespace-unknown'), [
    'unable to match constraints: error matching the requested object: web-6 :failed to run Match criteria: namespace selector for namespace-scoped object but missing Namespace',
  ]);
  t.same(cases.get('namespace-selector/namespace-labelled-dev'), []);
  // The v1 template's lib, parameters and the review's kind.
  t.same(cases.get('owner-and-team/no-labels'), ['Pod web-3 is missing the labels ["owner", "team"]']);
  t.same(cases.get('unique-app/used-by-a-node'), ['label app=cart is already used by Node node-1', 'label app=cart is already used by Service legacy/cart-old']);
});

t.test('failing suites: each failure as gator prints it, exit 1', async (t) => {
  const run = verify(['test/gatekeeper/failing/suite.yaml']);
  t.equal(run.code, 1, run.stderr);
  t.match(run.stdout, /    --- FAIL: expects-none\t\(\d+\.\d{3}s\)\n/);
  t.match(run.stdout, '        unexpected number of violations: got 1 violations but want none: got messages [Pod web-2 is missing the labels ["team"]]\n');
  t.match(run.stdout, '        unexpected number of violations: got 1 violations but want exactly 2: got messages [Pod web-3 is missing the labels ["owner", "team"]]\n');
  t.match(run.stdout, 'got 0 violations containing "is missing the labels \\\\[\\"owner\\"\\\\]" but want at least 1');
  t.notMatch(run.stdout, 'still-passes', 'passing cases are listed only with -v');
  t.match(run.stdout, /--- FAIL: wrong-expectations\t\(\d+\.\d{3}s\)\n/);
  t.match(run.stdout, '--- FAIL: valid-constraint-said-invalid');
  t.match(run.stdout, '  constraint should have failed schema validation\n');
  t.match(run.stdout, /--- FAIL: template-does-not-compile.*\n {2}test\/gatekeeper\/failing\/broken-template\.yaml: template wgbroken: its Rego \(v0\) does not compile:\n {2}.*wgbroken\/template\.rego:4: rego_type_error: undefined function undefined_function\n/);
  t.match(run.stdout, 'wrong kind "WgRequiredLabels" for constraint "owner-and-team"; want "WgUniqueLabel"');
  t.match(run.stdout, /^FAIL\ttest\/gatekeeper\/failing\/suite\.yaml\t/m);
  // 1 case passed; 3 cases failed, the invalid test and the two tests' cases that never ran.
  t.match(run.stdout, /\nFAIL\n1 passed, 6 failed\n$/);

  const verbose = verify(['-v', 'test/gatekeeper/failing/suite.yaml']);
  t.match(verbose.stdout, '=== RUN   wrong-expectations\n    === RUN   expects-none\n');
  t.match(verbose.stdout, /    === RUN   still-passes\n    --- PASS: still-passes\t\(\d+\.\d{3}s\)\n/);
});

t.test('usage errors exit 2', async (t) => {
  const none = verify(['test/gatekeeper/library/dedup/cases']);
  t.equal(none.code, 2);
  t.match(none.stderr, 'no Suite files (kind: Suite, apiVersion: test.gatekeeper.sh/v1alpha1) under test/gatekeeper/library/dedup/cases');
  const missing = verify(['no/such/dir']);
  t.equal(missing.code, 2);
  t.match(missing.stderr, 'no/such/dir: no such file or directory');
  const notSuite = verify(['test/gatekeeper/library/dedup/template.yaml']);
  t.equal(notSuite.code, 2);
  t.match(notSuite.stderr, 'not a Suite');
});
