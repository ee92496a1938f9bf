// A policy is found by convention: a package data.wasmgate.policies.<family>.<name> in its own folder,
// described by its METADATA. These tests add one (test/policies/team-label: a warn policy, "every
// Deployment carries a team label") to a scratch copy of policies/ and check that the decision (WASM,
// opa eval, wasmgate eval), the configuration check and the harness take it in, with no other file
// changed.
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { checkFixtures, harnessExitCode, runPolicyTests } from '../../dist/harness/index.js';
import { entrypoints, loadBundle, WasmPolicy } from '../../dist/engine/index.js';
import type { ReloadResult } from '../../dist/server/policy.js';
import { wasmgate } from '../helpers/eval-cli.js';
import { compilePolicies, copyShippedPolicies, opaEval, opaTool, projectFixtureDirs, repoRoot, shippedBundle } from '../helpers/policies.js';
import { admit, nextEvent, startServer } from '../server/helpers.js';

type Violation = { policy: string; action: string; message: string };
type Decision = { allowed: boolean; violations: Violation[] };

/** The default set of policies/ copied into a scratch directory, with the team label policy added as policies/team/label. */
function withTeamPolicy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-convention-'));
  copyShippedPolicies(join(dir, 'policies'));
  mkdirSync(join(dir, 'policies', 'team', 'label', 'fixtures'), { recursive: true });
  cpSync(join(repoRoot, 'test', 'policies', 'team-label'), join(dir, 'policies', 'team', 'label'), { recursive: true });
  // Its fixture: the compliant Deployment of test/fixtures/allowed, which has no team label.
  const deployment = readFileSync(join(repoRoot, 'test', 'fixtures', 'allowed', 'deployment.yaml'), 'utf8');
  writeFileSync(
    join(dir, 'policies', 'team', 'label', 'fixtures', 'label.yaml'),
    deployment.replace('# expect: allow\n', '# expect: warn\n# expect-violation: team.label: has no team label\n'),
  );
  return dir;
}

const review = (labels: Record<string, string>) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: '1',
    kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    operation: 'CREATE',
    namespace: 'app-a',
    name: 'web',
    userInfo: { username: 'alice', groups: ['system:authenticated'] },
    object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'app-a', labels }, spec: { template: { spec: { containers: [] } } } },
  },
});

const teamFindings = (d: Decision) => d.violations.filter((v) => v.policy === 'team.label').map((v) => `${v.action} ${v.message}`);

t.test('a package added as a folder is in the WASM decision and in opa eval, with its metadata action', async (t) => {
  const dir = withTeamPolicy();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const policies = join(dir, 'policies');
  const bundle = await loadBundle(await compilePolicies(policies));
  const wasm = new WasmPolicy(bundle.module, bundle.memoryMinPages);
  const config = (bundle.data as { config: Record<string, unknown> }).config;
  const decide = (input: unknown, enforcement: Record<string, string> = {}) => {
    wasm.setData({ config: { ...config, enforcement } });
    return wasm.evaluate(entrypoints.decision, input) as Decision;
  };
  const expected = ['warn Deployment app-a/web: the Deployment has no team label; add metadata.labels.team'];

  t.same(teamFindings(decide(review({}))), expected, 'WASM: the new policy warns, its METADATA action');
  t.same(teamFindings((await opaEval(policies, 'data.wasmgate.main.decision', review({}))) as Decision), expected, 'opa eval: the same');
  t.same(teamFindings(decide(review({ team: 'web' }))), [], 'a labelled Deployment passes it');

  // Its id and family are known to the configuration check, from its METADATA.
  t.same(teamFindings(decide(review({}), { 'team.label': 'deny' })), ['deny Deployment app-a/web: the Deployment has no team label; add metadata.labels.team'], 'config.enforcement by its id');
  t.same(teamFindings(decide(review({}), { team: 'dryrun' })), ['dryrun Deployment app-a/web: the Deployment has no team label; add metadata.labels.team'], 'config.enforcement by its family');
  wasm.setData({ config: { ...config, enforcement: { 'team.label': 'deny', 'team.labels': 'warn' } } });
  t.same(
    (wasm.evaluate(entrypoints.configErrors, {}) as string[]).map((e) => e.replace(/ \(known: .*/, '')),
    ['config.enforcement has unknown policy "team.labels"'],
    'config_errors accepts its id and refuses a misspelt one',
  );

  // wasmgate eval on the policy directory: the same warning, and the exit code of a warning.
  const deployment = join(repoRoot, 'test', 'fixtures', 'allowed', 'deployment.yaml');
  const run = wasmgate(['eval', '--policy', policies, '-o', 'json', '--no-progress', deployment]);
  const result = JSON.parse(run.stdout) as { summary: { warned: number }; results: { outcome: string; violations: Violation[] }[] };
  t.equal(result.summary.warned, 1, `wasmgate eval warns (exit ${run.code}): ${run.stderr.trim()}`);
  t.same(result.results.map((r) => [r.outcome, r.violations.map((v) => `${v.action} ${v.policy}`)]), [['warned', ['warn team.label']]]);

  // Without the folder, none of this exists.
  const shipped = await loadBundle(await shippedBundle());
  const plain = new WasmPolicy(shipped.module, shipped.memoryMinPages);
  plain.setData({ config: { ...config, enforcement: { 'team.label': 'deny' } } });
  t.match((plain.evaluate(entrypoints.configErrors, {}) as string[]).join('\n'), /unknown policy "team.label"/, 'the shipped set does not know team.label');
});

t.test('a running webhook enforces the added policy after a reload', async (t) => {
  const dir = withTeamPolicy();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const served = join(dir, 'served');
  mkdirSync(served);
  const shipped = await shippedBundle();
  for (const file of ['policy.wasm', 'data.json']) copyFileSync(join(shipped, file), join(served, file));
  const s = await startServer({ bundle: served, watch: true, watchDebounce: '50ms', workers: '1' });
  t.teardown(() => s.stop());
  const deployment = review({});
  const warnings = async () => ((await admit(s.port, s.ca, deployment)).json?.response?.warnings ?? []) as string[];
  t.same((await warnings()).filter((w) => w.includes('team label')), [], 'the shipped policy set has no team label policy');

  // The policy directory with the new folder, compiled and swapped in as a deploy would.
  const withTeam = await compilePolicies(join(dir, 'policies'));
  const reloaded = nextEvent<ReloadResult>(s.server, 'policyReload', (r) => r.ok);
  for (const file of ['policy.wasm', 'data.json']) {
    copyFileSync(join(withTeam, file), join(served, `${file}.tmp`));
    renameSync(join(served, `${file}.tmp`), join(served, file));
  }
  await reloaded;
  t.match(await warnings(), [/team\.label.*the Deployment has no team label/], 'after the reload it warns');
});

t.test('every finding of the shipped policies names an id their METADATA declares', async (t) => {
  const policies = join(repoRoot, 'policies');
  const declared = new Set((await opaEval(policies, 'data.wasmgate.main.policy_ids')) as string[]);
  t.ok(declared.has('calico.order') && declared.has('pod-security.privileged'), `${declared.size} ids declared`);
  const report = await checkFixtures({ opa: opaTool(), policiesDir: policies, bundleDir: await compilePolicies(policies), fixtures: projectFixtureDirs(policies), workers: 2 });
  const found = new Set(report.fixtures.flatMap((o) => (o.decision?.violations ?? []).map((v) => v.policy)));
  t.ok(found.size >= 15, `${found.size} ids found in the fixtures`);
  // bounds, a precheck, is outside config.enforcement, so not among the ids.
  t.same([...found].filter((id) => !declared.has(id) && id !== 'bounds'), [], 'no finding of an undeclared id');
});

t.test('the policy guide shows this very policy', async (t) => {
  const guide = readFileSync(join(repoRoot, 'policies', 'README.md'), 'utf8');
  const rego = readFileSync(join(repoRoot, 'test', 'policies', 'team-label', 'label.rego'), 'utf8');
  t.ok(guide.includes('```rego\n' + rego + '```'), 'policies/README.md holds test/policies/team-label/label.rego verbatim');
});

t.test('adding a warn policy breaks no existing fixture or Rego unit test', async (t) => {
  const dir = withTeamPolicy();
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const report = await runPolicyTests({
    opa: opaTool(),
    policiesDir: join(dir, 'policies'),
    outDir: join(dir, 'wasm'),
    fixtures: [join(repoRoot, 'test', 'fixtures')],
    coverage: 95,
    workers: 2,
  });
  const failed = report.stages.flatMap((s) => [...(s.error ? [`${s.name}: ${s.error}`] : []), ...s.failures.map((f) => `${s.name}: ${f.title} ${f.details.join(' ')}`)]);
  t.same(failed, [], 'every stage passes');
  t.equal(harnessExitCode(report), 0);
  t.same(report.problems, []);

  // The new policy did take part: it warned on every unlabelled Deployment, also in fixtures that
  // only expect their own findings (allowed/, and the other policies' fixtures).
  const warned = report.fixtures.filter((o) => o.decision && teamFindings(o.decision as Decision).some((f) => f.startsWith('warn ')));
  const files = new Set(warned.map((o) => o.fixture.source.file.slice(dir.length + 1).replace(repoRoot + '/', '')));
  t.ok(warned.length >= 5, `${warned.length} fixtures warned by team.label`);
  t.ok([...files].some((f) => f.includes('team/label/fixtures')), 'its own fixture, beside it, ran');
  t.ok([...files].some((f) => f.includes('allowed')), 'the allowed fixtures ran with its warnings and still pass');
  t.ok(report.fixtures.length > 100, `${report.fixtures.length} fixtures in all`);
});
