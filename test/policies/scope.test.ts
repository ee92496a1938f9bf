// config.scope with real data: the fixtures in test/policies/scope/fixtures are decided on a copy of
// policies/ whose data.yaml is the shipped one with test/policies/scope/scope.yaml as config.scope,
// by the engine (against each fixture's expectation) and by `opa eval` (identically); and a broken
// scope given to `wasmgate eval --data` is refused with the key named.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import t from 'tap';
import { describeObject } from '../../dist/admission/synthesize.js';
import { checkFixtures, describeDecision, describeExpectation } from '../../dist/harness/index.js';
import { wasmgate } from '../helpers/eval-cli.js';
import { compilePolicies, copyShippedPolicies, opaTool, repoRoot } from '../helpers/policies.js';

const here = join(repoRoot, 'test', 'policies', 'scope');
const shipped = yaml.load(readFileSync(join(repoRoot, 'policies', 'data.yaml'), 'utf8')) as { config: Record<string, unknown> };
const withScope = (scope: unknown) => yaml.dump({ ...shipped, config: { ...shipped.config, scope } });

const policiesDir = mkdtempSync(join(tmpdir(), 'wasmgate-scope-'));
copyShippedPolicies(policiesDir);
writeFileSync(join(policiesDir, 'data.yaml'), withScope(yaml.load(readFileSync(join(here, 'scope.yaml'), 'utf8'))));
const bundleDir = await compilePolicies(policiesDir);

t.test('the scope fixtures: expectations met, opa eval decides identically', async (t) => {
  const checked = await checkFixtures({ opa: opaTool(), policiesDir, bundleDir, fixtures: [join(here, 'fixtures')], workers: 2 });
  t.same(checked.problems, [], 'every fixture document is readable and states its expectation');
  t.ok(checked.fixtures.length >= 10, `${checked.fixtures.length} fixtures`);
  for (const { fixture, decision, failures } of checked.fixtures) {
    const name = `${describeObject(fixture.object)} (${fixture.source.file.slice(here.length + 1)}:${fixture.source.line})`;
    t.same(failures, [], name, {
      expected: describeExpectation(fixture.expectation).join('; '),
      actual: decision ? describeDecision(decision).join('; ') : 'no decision',
    });
    t.equal(checked.divergent.get(fixture), undefined, `${name}: opa eval decides identically`);
  }
});

t.test('the same fixtures with the shipped data: the scope is what allowed them', async (t) => {
  const shippedDir = copyShippedPolicies(mkdtempSync(join(tmpdir(), 'wasmgate-scope-shipped-')));
  const plain = await compilePolicies(shippedDir);
  const checked = await checkFixtures({ opa: opaTool(), policiesDir: shippedDir, bundleDir: plain, fixtures: [join(here, 'fixtures')], workers: 2 });
  const allowedByScope = checked.fixtures.filter((o) => o.fixture.expectation.outcome === 'allow');
  t.ok(allowedByScope.length >= 4, `${allowedByScope.length} fixtures expect allow`);
  for (const { fixture, decision } of allowedByScope) {
    t.equal(decision?.allowed, false, `${describeObject(fixture.object)} (line ${fixture.source.line}) is denied without config.scope`);
  }
});

t.test('wasmgate eval --data with a broken config.scope: exit 2, every bad key named', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-scope-data-'));
  const bad = join(dir, 'data.yaml');
  writeFileSync(
    bad,
    withScope({
      registry: { excludedNamespaces: ['sandbox'] },
      registries: { exceptions: [{ namespace: 'team-a', name: 'legacy*importer' }], namespaces: ['*-system'] },
      limits: { namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'in', values: ['a'] }] } },
    }),
  );
  const run = wasmgate(['eval', '--policy', bundleDir, '--data', bad, join(here, 'fixtures', 'exceptions.yaml')]);
  t.equal(run.code, 2, 'exit 2 (bad input)', { stderr: run.stderr });
  t.equal(run.stdout, '');
  t.match(run.stderr, `--data ${bad} is rejected by the policy's config_errors:`);
  t.match(run.stderr, 'config.scope has unknown policy "registry" (known: calico, calico.global, calico.order, limits,');
  t.match(run.stderr, 'config.scope.registries.exceptions[0].name "legacy*importer" has "*" in a wrong place');
  t.match(run.stderr, 'config.scope.registries.namespaces[0] "*-system" has "*" in a wrong place');
  t.match(run.stderr, 'config.scope.limits.namespaceSelector.matchExpressions[0].operator "in" is not one of DoesNotExist, Exists, In, NotIn');

  const good = join(dir, 'good.yaml');
  writeFileSync(good, withScope({ registries: { exceptions: [{ namespace: 'team-b', name: 'legacy-importer' }] } }));
  const scoped = wasmgate(['eval', '--policy', bundleDir, '--data', good, '-o', 'json', join(here, 'fixtures', 'exceptions.yaml')]);
  const report = JSON.parse(scoped.stdout) as { results: { namespace?: string; name: string; allowed: boolean }[] };
  t.same(
    report.results.filter((r) => r.name === 'legacy-importer').map((r) => [r.namespace, r.allowed]),
    [
      ['team-a', false],
      ['team-b', true],
    ],
    'a --data replacement moves the exception from team-a to team-b',
  );
});

t.test("policies/README.md's scope example is valid data and does what its comments say", async (t) => {
  const guide = readFileSync(join(repoRoot, 'policies', 'README.md'), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(guide.slice(guide.indexOf('## Scoping a policy')))?.[1];
  t.ok(block, 'the section has a yaml example');
  const example = join(mkdtempSync(join(tmpdir(), 'wasmgate-scope-guide-')), 'data.yaml');
  writeFileSync(example, withScope((yaml.load(block!) as { config: { scope: unknown } }).config.scope));
  const run = wasmgate(['eval', '--policy', bundleDir, '--data', example, '-o', 'json', join(here, 'fixtures', 'exceptions.yaml'), join(here, 'fixtures', 'namespaces.yaml')]);
  t.not(run.code, 2, 'the data is accepted', { stderr: run.stderr });
  const results = (JSON.parse(run.stdout) as { results: { kind: string; namespace?: string; name: string; violations: { policy: string }[] }[] }).results;
  const policies = (kind: string, namespace: string, name: string) =>
    results.filter((r) => r.kind === kind && r.namespace === namespace && r.name === name).map((r) => r.violations.map((v) => v.policy));
  t.same(policies('Deployment', 'team-a', 'legacy-importer'), [[]], 'the exception covers the Deployment ...');
  t.same(policies('Pod', 'team-a', 'legacy-importer-6b7f9c5d4-*'), [[]], '... and its pods');
  t.same(policies('Deployment', 'team-b', 'legacy-importer'), [['registries']], 'in team-a only');
  t.same(policies('Pod', 'sandbox-alice', 'scratch'), [[]], 'limits is excluded from sandbox-*');
  t.same(policies('Pod', 'sandbox', 'scratch'), [['limits.missing', 'limits.missing']], 'but not from sandbox');
  t.same(policies('NetworkPolicy', 'monitoring', 'early'), [[]], 'calico.order applies in team-* and prod only');
  t.same(policies('NetworkPolicy', 'team-a', 'early'), [['calico.order']]);
});
