// The prepare entrypoint (policies/prepare.rego): the host evaluates it once per data load and stores
// its result as data.prepared. Deciding from the prepared data must give exactly what the rules give
// when they compute everything (no data.prepared: opa eval, opa test), on every fixture and on a
// sample of the PSP differential test's cases.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  applyJsonPatch,
  entrypoints,
  loadBundle,
  parseDecision,
  parseMutation,
  PolicyEvaluator,
  prepareEntrypoint,
  WasmPolicy,
  type PolicyBundle,
} from '../../dist/engine/index.js';
import { isWasmgateError } from '../../dist/errors.js';
import { loadFixtures } from '../../dist/harness/fixtures.js';
import { generateCases } from '../../dist/psp-diff/generate.js';
import { dataForCase, reviewForCase } from '../../dist/psp-diff/wasmgate-side.js';
import { compilePolicies, projectFixtureDirs, repoRoot } from '../helpers/policies.js';

const bundle = await loadBundle();

/** The compiled policy with data set as it is: every rule computes from data.config. */
class Unprepared {
  private readonly policy: WasmPolicy;
  constructor(b: PolicyBundle, data: unknown) {
    this.policy = new WasmPolicy(b.module, b.memoryMinPages);
    this.policy.setData(data);
  }
  decide(review: object) {
    return parseDecision(this.policy.evaluate(entrypoints.decision, review));
  }
  mutate(review: object) {
    return parseMutation(this.policy.evaluate(entrypoints.mutation, review));
  }
  configErrors(): unknown {
    return this.policy.evaluate(entrypoints.configErrors, {});
  }
}

t.test('the default policies have a prepare entrypoint, and the evaluator prepares', async (t) => {
  const policy = new WasmPolicy(bundle.module, bundle.memoryMinPages);
  t.ok(prepareEntrypoint in policy.entrypoints);
  policy.setData(bundle.data);
  const prepared = policy.evaluateValue(prepareEntrypoint);
  t.equal(prepared?.type, 'object');
  const keys = prepared?.type === 'object' ? prepared.entries.map(([k]) => (k.type === 'string' ? k.value : '?')).sort() : [];
  t.same(keys, ['config', 'config_errors', 'metadata', 'pods', 'policies', 'quantity']);
  // Under policies: each package that defines `prepared`, by family and name.
  const policies = (policy.evaluate(prepareEntrypoint, {}) as { policies: Record<string, Record<string, unknown>> }).policies;
  t.same(Object.fromEntries(Object.entries(policies).map(([f, names]) => [f, Object.keys(names)])), { podsecurity: ['psp'], registries: ['allowed'] });
});

// A rule whose data.prepared path prepare does not write still answers right (it computes), only
// slowly: nothing else would notice such a path going stale when a package moves.
t.test('every data.prepared path the policies read is one prepare writes', async (t) => {
  const policy = new WasmPolicy(bundle.module, bundle.memoryMinPages);
  policy.setData(bundle.data);
  const prepared = policy.evaluate(prepareEntrypoint, {});
  const regoFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? regoFiles(join(dir, e.name)) : e.name.endsWith('.rego') && !e.name.endsWith('_test.rego') ? [join(dir, e.name)] : [],
    );
  const paths = new Set(regoFiles(join(repoRoot, 'policies')).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/data\.prepared((?:\.\w+)+)/g)].map((m) => m[1]!.slice(1))));
  t.ok(paths.size >= 10, `${paths.size} paths read`);
  for (const path of paths) {
    const value = path.split('.').reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), prepared);
    t.not(value, undefined, `data.prepared.${path} is written by prepare`);
  }
});

t.test('every fixture: the same decision and mutation from prepared data as computed', async (t) => {
  const { cases, problems } = await loadFixtures(projectFixtureDirs());
  t.same(problems, []);
  t.ok(cases.length > 50, `${cases.length} fixtures`);
  const prepared = new PolicyEvaluator(bundle);
  const computed = new Unprepared(bundle, bundle.data);
  let patched = 0;
  for (const c of cases) {
    const where = `${c.source.file}#${c.source.document}`;
    const mutation = prepared.mutate(c.review);
    t.same(mutation, computed.mutate(c.review), `${where}: mutation`);
    t.same(prepared.decide(c.review), computed.decide(c.review), `${where}: decision`);
    if (mutation.patch.length > 0) {
      patched++;
      const review = { ...c.review, request: { ...c.review.request, object: applyJsonPatch(c.review.request.object, mutation.patch) } };
      t.same(prepared.decide(review), computed.decide(review), `${where}: decision on the defaulted object`);
    }
  }
  t.ok(patched > 0, `${patched} fixtures defaulted by the mutation`);
});

t.test('PSP differential sample: the same answers from prepared data as computed', async (t) => {
  const prepared = new PolicyEvaluator(bundle);
  let compared = 0;
  let refused = 0;
  for (const { case: c } of generateCases(300, 20240817)) {
    const data = dataForCase(bundle.data, c);
    const computed = new Unprepared(bundle, data);
    try {
      prepared.setData(data);
    } catch (err) {
      if (!isWasmgateError(err, 'DATA_INVALID')) throw err;
      // Refused data never serves; the rules still refuse it without prepare.
      t.not(computed.configErrors(), undefined, `${c.id}: refused with config errors`);
      t.ok((computed.configErrors() as unknown[]).length > 0, `${c.id}: config errors computed too`);
      refused++;
      continue;
    }
    const review = reviewForCase(c, c.pod, c.oldPod);
    const mutation = prepared.mutate(review);
    t.same(mutation, computed.mutate(review), `${c.id}: mutation`);
    t.same(prepared.decide(review), computed.decide(review), `${c.id}: decision`);
    const defaulted = reviewForCase(c, applyJsonPatch(c.pod, mutation.patch), c.oldPod);
    t.same(prepared.decide(defaulted), computed.decide(defaulted), `${c.id}: decision on the defaulted pod`);
    compared++;
  }
  t.ok(compared >= 200, `${compared} cases compared`);
  t.ok(refused > 0, `${refused} cases with data the policy refuses`);
});

t.test('data.prepared belongs to the host: a data file cannot put a stale one in its place', async (t) => {
  const denied = { request: { uid: 'x', kind: { group: '', version: 'v1', kind: 'ConfigMap' }, namespace: 'kube-system', name: 'x', operation: 'CREATE', userInfo: { username: 'alice', groups: [] }, object: { metadata: { name: 'x' } } } };
  const honest = new PolicyEvaluator(bundle);
  // What a prepared form from other data would say: no system namespaces, everybody an admin.
  const stale = { ...(bundle.data as object), prepared: { config: { system_namespaces: [], admin_users: ['alice'], admin_groups: [] }, config_errors: [] } };
  const evaluator = new PolicyEvaluator(bundle, { data: stale });
  t.equal(honest.decide(denied).allowed, false);
  t.same(evaluator.decide(denied), honest.decide(denied));
});

t.test('refused data leaves the previous prepared data in force', async (t) => {
  const evaluator = new PolicyEvaluator(bundle);
  const review = { request: { uid: 'x', kind: { group: '', version: 'v1', kind: 'ConfigMap' }, namespace: 'kube-system', name: 'x', operation: 'CREATE', userInfo: { username: 'alice', groups: [] }, object: { metadata: { name: 'x' } } } };
  const before = evaluator.decide(review);
  const data = bundle.data as { config: Record<string, unknown> };
  t.throws(() => evaluator.setData({ ...data, config: { ...data.config, systemNamespaces: 'kube-system' } }), { code: 'DATA_INVALID' });
  t.same(evaluator.decide(review), before);
  // New valid data is prepared anew: kube-system no longer a system namespace.
  evaluator.setData({ ...data, config: { ...data.config, systemNamespaces: ['ingress'] } });
  t.equal(evaluator.decide(review).allowed, true);
});

t.test('a policy directory without prepare builds and is served as it is', async (t) => {
  const basic = await loadBundle(await compilePolicies(join(repoRoot, 'test', 'engine', 'policies', 'basic')));
  const policy = new WasmPolicy(basic.module, basic.memoryMinPages);
  t.notOk(prepareEntrypoint in policy.entrypoints);
  const evaluator = new PolicyEvaluator(basic);
  t.same(evaluator.decide({ request: { uid: 'u', object: { metadata: { name: 'ok', labels: { team: 'a' } }, items: ['x'] } } }), { allowed: true, violations: [] });
});
