// The project's own fixtures (policies/<family>/<name>/fixtures and test/fixtures) against the
// project's policies (policies/), one assertion per fixture document: the engine's decision meets
// the expectation written above it, and `opa eval` on the Rego source decides it identically.
import { join, relative } from 'node:path';
import t from 'tap';
import { describeObject } from '../../dist/admission/synthesize.js';
import { checkFixtures, describeDecision, describeExpectation, policyFixtureDirs } from '../../dist/harness/index.js';
import { compilePolicies, opaTool, repoRoot } from '../helpers/policies.js';

const policiesDir = join(repoRoot, 'policies');
const fixturesDir = join(repoRoot, 'test', 'fixtures');
const bundleDir = await compilePolicies(policiesDir);
const checked = await checkFixtures({ opa: opaTool(), policiesDir, bundleDir, fixtures: [...policyFixtureDirs(policiesDir), fixturesDir], workers: 2 });

t.same(
  checked.problems.map((p) => `${p.file}:${p.line ?? ''} ${p.message}`),
  [],
  'every fixture document is readable and states its expectation',
);
t.ok(checked.fixtures.length > 0, 'there are fixtures');

const byFile = new Map<string, typeof checked.fixtures>();
for (const outcome of checked.fixtures) {
  const file = relative(repoRoot, outcome.fixture.source.file);
  byFile.set(file, [...(byFile.get(file) ?? []), outcome]);
}

for (const [file, outcomes] of byFile) {
  t.test(file, async (t) => {
    for (const { fixture, decision, failures } of outcomes) {
      const name = `${describeObject(fixture.object)} (line ${fixture.source.line})`;
      t.same(failures, [], name, {
        expected: describeExpectation(fixture.expectation).join('; '),
        actual: decision ? describeDecision(decision).join('; ') : 'no decision',
      });
      t.equal(checked.divergent.get(fixture), undefined, `${name}: opa eval decides identically`);
    }
  });
}

t.test('the pods a workload creates, mutated by the host, get a PSP exactly when the Rego admits the template', async (t) => {
  const workloads = checked.fixtures.filter((o) => o.pods !== undefined && o.decision !== undefined);
  t.ok(workloads.length >= 10, `${workloads.length} workload fixtures`);
  for (const { fixture, decision, pods } of workloads) {
    const refused = decision!.violations.some((v) => v.policy.startsWith('pod-security.') && v.action === 'deny');
    t.equal(pods!.mutation.profile === null, refused, `${describeObject(fixture.object)} (line ${fixture.source.line}): PSP ${pods!.mutation.profile ?? 'none'}`);
  }
});
