import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { canonicalMutation, harnessExitCode, opaEvaluateMany, runPolicyTests, type HarnessReport } from '../../dist/harness/index.js';
import { renderHarnessReport } from '../../dist/harness/render.js';
import { opaCoverage } from '../../dist/harness/rego-tests.js';
import { spawnSync } from 'node:child_process';
import { opaTool, repoRoot } from '../helpers/policies.js';

const here = join(repoRoot, 'test', 'harness');
const outDir = () => mkdtempSync(join(tmpdir(), 'wasmgate-harness-'));
const stage = (report: HarnessReport, prefix: string) => report.stages.find((s) => s.name.startsWith(prefix));

t.test('a sound policy set passes every stage', async (t) => {
  const report = await runPolicyTests({
    policiesDir: join(here, 'policies', 'good'),
    outDir: outDir(),
    fixtures: [join(here, 'fixtures', 'good')],
    coverage: 95,
    opa: opaTool(),
    workers: 1,
  });
  t.same(
    report.stages.map((s) => [s.name.split(' (')[0], s.passed, s.failures.length, s.error]),
    [
      ['Rego unit tests', 10, 0, undefined],
      ['Coverage of the policies', 1, 0, undefined],
      ['Rego unit tests on the WASM engine', 10, 0, undefined],
      ['Fixtures', 7, 0, undefined],
      ['Fixture parity', 7, 0, undefined],
    ],
  );
  t.match(stage(report, 'Rego unit tests (opa')!.notes, ['1 skipped (todo_)']);
  t.same(report.problems, []);
  t.same(
    report.fixtures.map((f) => [f.fixture.object.name, f.defaulted?.mutation.profile, f.defaulted?.review.request.object?.spec]),
    [
      ['settings', null, undefined],
      ['settings', null, undefined],
      ['app', null, undefined],
      ['web', 'good', { containers: [{ name: 'web', image: 'good.io/web:1', imagePullPolicy: 'Always' }] }],
      ['bad', null, { containers: [{ name: 'web', image: 'bad.io/web:1' }] }],
      ['unlabelled', null, { template: { spec: { containers: [{ name: 'web', image: 'good.io/web:1' }] } } }],
      ['defaulted', 'good', { containers: [{ name: 'web', image: 'good.io/web:1', imagePullPolicy: 'Always' }, { name: 'pinned', image: 'good.io/web:1', imagePullPolicy: 'IfNotPresent' }] }],
    ],
    'pods created are decided as the mutation leaves them',
  );
  t.equal(harnessExitCode(report), 0);
  t.match(renderHarnessReport(report), /All policy tests passed/);
  t.same(
    report.fixtures.map((f) => [f.fixture.source.file.split('/').pop(), f.fixture.source.line, f.fixture.review.request.operation, f.fixture.review.request.namespace, f.fixture.review.request.userInfo.username, f.decision?.allowed]),
    [
      ['context.yaml', 4, 'CREATE', 'locked', 'fixture-user', false],
      ['context.yaml', 14, 'CREATE', 'locked', 'root', true],
      ['context.yaml', 23, 'DELETE', undefined, 'fixture-user', false],
      ['pods.yaml', 3, 'CREATE', 'app', 'fixture-user', true],
      ['pods.yaml', 20, 'CREATE', 'default', 'fixture-user', false],
      ['pods.yaml', 32, 'CREATE', 'default', 'fixture-user', true],
      ['pods.yaml', 49, 'CREATE', 'default', 'fixture-user', true],
    ],
    'the directives shape each request (user fixture-user unless named)',
  );
});

t.test('a divergence between OPA and the WASM engine fails, with both results shown', async (t) => {
  const report = await runPolicyTests({
    policiesDir: join(here, 'policies', 'divergent'),
    outDir: outDir(),
    fixtures: [join(here, 'fixtures', 'divergent')],
    coverage: 0,
    opa: opaTool(),
    workers: 1,
  });
  t.equal(harnessExitCode(report), 1);
  t.equal(stage(report, 'Rego unit tests (opa')!.failures.length, 0, 'OPA alone passes every test');
  const wasm = stage(report, 'Rego unit tests on the WASM engine')!;
  t.same(wasm.failures.map((f) => f.title), ['data.wasmgate.main_test.test_first_word_is_alpha: OPA and the WASM engine disagree']);
  t.same(wasm.failures[0]!.details, ['opa test:    pass', 'WASM engine: fail (value undefined)']);
  t.match(wasm.failures[0]!.where, /divergent\/main_test\.rego:\d+$/);
  t.equal(stage(report, 'Fixtures')!.failures.length, 0, 'the fixtures’ own expectations hold');
  const parity = stage(report, 'Fixture parity')!;
  t.equal(parity.failures.length, 2);
  t.equal(parity.passed, 0);
  t.match(parity.failures[1], {
    title: 'Pod default/words: opa eval and the WASM engine mutate differently',
    details: [/^opa eval: {4}\{"patch":\[\{"op":"add","path":"\/metadata\/labels","value":\{"words":"alpha,beta,delta,gamma,mu,omega,zeta"\}\}\],"profile":null\}$/, /^WASM engine: (?!.*"alpha,beta,delta)/],
  });
  const details = parity.failures[0]!.details.join('\n');
  t.match(details, /the same violations in another order/);
  t.match(details, /opa eval: {4}warn \(allowed\)\n {13}1\. \[warn\] words: alpha/);
  t.match(details, /WASM engine: warn \(allowed\)\n {13}1\. \[warn\] words: (?!alpha)/);
  t.equal(report.divergent.size, 2);
  const text = renderHarnessReport(report);
  t.match(text, /✗ Fixture parity .*: 0 passed, 2 failed/);
  t.match(text, /Policy tests FAILED: 3 failures\./);
});

function policiesWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-broken-policy-'));
  cpSync(join(here, 'policies', 'good'), dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

t.test('a failing Rego test and a wrong fixture are each reported where they are', async (t) => {
  const policies = policiesWith({
    'extra_test.rego': 'package wasmgate.extra_test\n\nimport data.wasmgate.main\n\ntest_wrong if {\n\tmain.decision.allowed == false with input as {}\n}\n',
  });
  const fixtures = mkdtempSync(join(tmpdir(), 'wasmgate-broken-fixtures-'));
  writeFileSync(
    join(fixtures, 'wrong.yaml'),
    '# expect: deny\n# expect-violation: registries: not from\napiVersion: v1\nkind: Pod\nmetadata:\n  name: fine\n  labels: {team: a}\nspec:\n  containers: [{name: c, image: good.io/x}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: no-expectation}\n' +
      '---\n# expect: allow\n# expect-profile: restricted\n# expect-default: spec.containers[0].imagePullPolicy="Never"\napiVersion: v1\nkind: Pod\nmetadata:\n  name: other-psp\n  labels: {team: a}\nspec:\n  containers: [{name: c, image: good.io/x}]\n',
  );
  writeFileSync(join(fixtures, 'broken.yaml'), '# expect: allow\nkind: [\n');
  const report = await runPolicyTests({ policiesDir: policies, outDir: outDir(), fixtures: [fixtures], coverage: 95, opa: opaTool(), workers: 1 });
  const opaStage = stage(report, 'Rego unit tests (opa')!;
  t.same(opaStage.failures.map((f) => f.title), ['data.wasmgate.extra_test.test_wrong']);
  t.match(opaStage.failures[0]!.where, /extra_test\.rego:5$/);
  t.match(stage(report, 'Coverage')!.error, /not measured: OPA reports coverage only when every Rego test passes/);
  t.equal(stage(report, 'Rego unit tests on the WASM engine')!.failures.length, 0, 'the failing test fails on both, so they agree');
  const fixtureStage = stage(report, 'Fixtures')!;
  t.equal(fixtureStage.failures.length, 2);
  t.match(fixtureStage.failures[0], {
    title: 'Pod default/fine',
    where: `${join(fixtures, 'wrong.yaml')}:3 (document 0)`,
    details: ['expected it to be denied, but it was allowed', /expected a violation of registries/, /^expected: deny/, /^actual: {3}allow \(no violations\)/, 'mutation: PSP good, defaults spec.containers[0].imagePullPolicy="Always"'],
  });
  t.match(fixtureStage.failures[1], {
    title: 'Pod default/other-psp',
    details: [
      'expected PSP restricted to be chosen, but good was',
      'expected the defaulting to set spec.containers[0].imagePullPolicy="Never", but it sets spec.containers[0].imagePullPolicy="Always"',
      /^expected: allow\n {10}PSP restricted\n {10}defaults spec/,
    ],
  });
  t.same(
    report.problems.map((p) => [p.file.replace(fixtures, ''), p.line]),
    [
      ['/broken.yaml', 2],
      ['/wrong.yaml', 11],
    ],
    'the syntax error and the document without expectations',
  );
  t.equal(harnessExitCode(report), 2, 'unusable fixtures make it an input error');
  t.match(renderHarnessReport(report), /Fixture files that could not be used: 2/);
});

t.test('coverage below the floor fails and names the lines no test reaches', async (t) => {
  const policies = policiesWith({ 'uncovered.rego': 'package wasmgate.uncovered\n\nx := 1 if input.a\n\ny := 2 if input.b\n\nz := 3 if input.c\n' });
  const report = await runPolicyTests({ policiesDir: policies, outDir: outDir(), coverage: 95, opa: opaTool() });
  const coverage = stage(report, 'Coverage')!;
  t.match(coverage.failures[0]!.title, /^coverage is \d+\.\d+%, below 95%$/);
  t.match(coverage.failures[0]!.details[0], /uncovered\.rego: 0\.0%, lines not covered: 3, 5, 7$/);
  t.equal(harnessExitCode(report), 1);
  t.same(report.stages.map((s) => s.name.split(' (')[0]), ['Rego unit tests', 'Coverage of the policies', 'Rego unit tests on the WASM engine'], 'no fixture stages without fixtures');
});

t.test('coverage without OPA\'s supplementary passes counts the lines opa test --coverage does with them', async (t) => {
  // Early exits (some, every, a function's first matching body) and rules indexing passes over are what
  // the supplementary passes annotate: the lines covered must not depend on them.
  const policies = policiesWith({
    'partial.rego': 'package wasmgate.partial\n\nfirst(x) := "a" if x == 1\n\nfirst(x) := "b" if x == 2\n\nany_big if {\n\tsome n in input.ns\n\tn > 10\n}\n\nall_small if {\n\tevery n in input.ns {\n\t\tn < 5\n\t}\n}\n\nby_kind := "pod" if input.kind == "Pod"\n\nby_kind := "svc" if input.kind == "Service"\n\nunused if input.never\n',
    'partial_test.rego': 'package wasmgate.partial_test\n\nimport data.wasmgate.partial\n\ntest_first if partial.first(1) == "a"\n\ntest_big if partial.any_big with input as {"ns": [1, 20, 30]}\n\ntest_small if not partial.all_small with input as {"ns": [9, 1]}\n\ntest_kind if partial.by_kind == "pod" with input as {"kind": "Pod"}\n',
  });
  const ours = await opaCoverage(opaTool(), policies);
  const run = spawnSync(opaTool().path, ['test', '--coverage', '--format', 'json', '--ignore', 'fixtures', policies], { encoding: 'utf8' });
  const full = JSON.parse(run.stdout) as { files: Record<string, { covered_lines?: number; not_covered_lines?: number; not_covered?: { start: { row: number }; end: { row: number } }[] }> };
  const lines = (f: (typeof full.files)[string]) => [...new Set((f.not_covered ?? []).map((r) => `${r.start.row}-${r.end.row}`))].sort();
  const partial = ours.files.find((f) => f.file.endsWith('partial.rego'))!;
  t.ok(partial.notCovered.length > 0, 'the fixture leaves lines uncovered');
  for (const file of ours.files) {
    const theirs = full.files[file.file]!;
    const covered = theirs.covered_lines ?? 0;
    const total = covered + (theirs.not_covered_lines ?? 0);
    t.equal(file.percent, total === 0 ? 100 : (100 * covered) / total, `${file.file}: the same share`);
    t.same([...file.notCovered].sort(), lines(theirs).map((r) => (r.split('-')[0] === r.split('-')[1] ? r.split('-')[0] : r)).sort(), `${file.file}: the same lines not covered`);
  }
});

t.test('opa eval decides many inputs in one process, undefined where the rule is', async (t) => {
  const values = await opaEvaluateMany(opaTool(), join(here, 'policies', 'good'), [{}, { request: { operation: 'DELETE', oldObject: { kind: 'Namespace', metadata: { name: 'n' } } } }, 'not an object'], 'wasmgate/main/config_errors');
  t.same(values, [[], [], []]);
  const decisions = await opaEvaluateMany(opaTool(), join(here, 'policies', 'good'), [{}, { request: { operation: 'DELETE', userInfo: {}, oldObject: { kind: 'Namespace', metadata: { name: 'n' } } } }]);
  t.match(decisions, [{ allowed: true, violations: [] }, { allowed: false, violations: [{ policy: 'keep' }] }]);
});

t.test('a Rego test that never returns on WASM fails by name within its deadline; the tests after it still run', async (t) => {
  // OPA's WebAssembly replace(s, "", "") never returns (topdown returns at once).
  const report = await runPolicyTests({ policiesDir: join(here, 'policies', 'hang'), outDir: outDir(), coverage: 0, opa: opaTool(), wasmTestTimeoutMs: 2000 });
  t.equal(harnessExitCode(report), 1);
  const wasm = stage(report, 'Rego unit tests on the WASM engine')!;
  t.equal(wasm.passed, 2, 'the tests before and after it pass');
  t.match(wasm.failures, [
    {
      title: 'data.wasmgate.main_test.test_replace_nothing: OPA and the WASM engine disagree',
      where: /hang\/main_test\.rego:7$/,
      details: ['opa test:    pass', 'WASM engine: error (the WASM evaluation did not finish within its deadline of 2000 ms and was stopped)'],
    },
  ]);
  t.equal(wasm.failures.length, 1);
});

t.test('mutations compare by value: operation order counts, the key order of the values they carry does not', async (t) => {
  const op = (value: Record<string, unknown>) => ({ op: 'add' as const, path: '/spec/securityContext', value });
  const a = { profile: 'restricted', patch: [op({ fsGroup: 1, supplementalGroups: [1], seLinuxOptions: { level: 's0', user: 'u' } })] };
  const b = { profile: 'restricted', patch: [op({ seLinuxOptions: { user: 'u', level: 's0' }, supplementalGroups: [1], fsGroup: 1 })] };
  t.equal(canonicalMutation(a), canonicalMutation(b));
  t.not(canonicalMutation(a), canonicalMutation({ ...a, profile: 'unbound' }));
  t.not(canonicalMutation(a), canonicalMutation({ ...a, patch: [op({ fsGroup: 2, supplementalGroups: [1], seLinuxOptions: { level: 's0', user: 'u' } })] }));
  const two = [op({ a: 1 }), { op: 'remove' as const, path: '/spec/x' }];
  t.not(canonicalMutation({ profile: null, patch: two }), canonicalMutation({ profile: null, patch: [...two].reverse() }), 'reordered operations are another patch');
});
