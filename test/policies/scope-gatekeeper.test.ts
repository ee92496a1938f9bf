// lib/scope.rego decides as Gatekeeper's spec.match does. The oracle is wasmgate's TypeScript port of
// Gatekeeper's pkg/mutation/match (src/gatekeeper/match.ts, itself checked against gator in
// test/gatekeeper/gator-parity.test.ts), with pkg/target's matchAny over the object and the old object.
// Thousands of generated entries (kinds, namespaces, excludedNamespaces, namespaceSelector) and
// requests (Namespace objects with labels, namespaced and cluster-scoped objects; CREATE, UPDATE,
// DELETE) are decided by `opa eval` on the Rego source and by the compiled WASM, and must agree with
// the oracle. The one documented difference: for a namespaced object the request has no Namespace, which
// Gatekeeper rejects when a namespaceSelector is set; lib/scope applies the policy as if the selector
// were not there, so the oracle is asked without it.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { loadBundle, WasmPolicy } from '../../dist/engine/index.js';
import { matches, parseMatch } from '../../dist/gatekeeper/match.js';
import { compilePolicies, opaEval, repoRoot } from '../helpers/policies.js';

const seed = 20261201;
const subset = <T>(values: readonly T[]) => fc.subarray([...values]);
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

const namespaceNames = ['team-a', 'team-b', 'prod', 'kube-system', 'sandbox'];
const pattern = fc.constantFrom(...namespaceNames, 'team-*', 'k*', 'prod*', 'sandbox-*', '*', 'team');
const labelKeys = ['team', 'tier', 'env'];
const labelValues = ['a', 'b', ''];
const labels = fc.dictionary(fc.constantFrom(...labelKeys), fc.constantFrom(...labelValues), { maxKeys: 3 });

const expression = fc.oneof(
  fc.record({ key: fc.constantFrom(...labelKeys), operator: fc.constantFrom('In', 'NotIn'), values: fc.subarray(labelValues, { minLength: 1 }) }),
  fc.record({ key: fc.constantFrom(...labelKeys), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
);
const selector = fc.record(
  { matchLabels: fc.dictionary(fc.constantFrom(...labelKeys), fc.constantFrom(...labelValues), { maxKeys: 2 }), matchExpressions: fc.array(expression, { maxLength: 2 }) },
  { requiredKeys: [] },
);
const kindEntry = fc.record(
  { apiGroups: subset(['', 'apps', 'rbac.authorization.k8s.io', '*']), kinds: subset(['Pod', 'Deployment', 'Namespace', 'ClusterRole', '*']) },
  { requiredKeys: [] },
);
const entry = fc
  .record({
    kinds: optional(fc.array(kindEntry, { maxLength: 2 })),
    namespaces: optional(fc.array(pattern, { maxLength: 3 })),
    excludedNamespaces: optional(fc.array(pattern, { maxLength: 2 })),
    namespaceSelector: optional(selector),
  })
  .map((e) => Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined)));

type Obj = Record<string, unknown>;
const kinds = {
  Namespace: { group: '', apiVersion: 'v1', namespaced: false },
  Pod: { group: '', apiVersion: 'v1', namespaced: true },
  Deployment: { group: 'apps', apiVersion: 'apps/v1', namespaced: true },
  ClusterRole: { group: 'rbac.authorization.k8s.io', apiVersion: 'rbac.authorization.k8s.io/v1', namespaced: false },
} as const;

const review = fc
  .record({
    kind: fc.constantFrom(...(Object.keys(kinds) as (keyof typeof kinds)[])),
    namespace: fc.constantFrom(...namespaceNames),
    name: fc.constantFrom(...namespaceNames, 'web'),
    operation: fc.constantFrom('CREATE', 'UPDATE', 'DELETE'),
    labels,
    oldLabels: labels,
    // The API server names a Namespace's own namespace on UPDATE and DELETE, not on CREATE.
    namespaceOfNamespace: fc.boolean(),
  })
  .map((r) => {
    const k = kinds[r.kind];
    // A Namespace is named like a namespace, so that the namespace criteria test it.
    const name = r.kind === 'Namespace' ? r.namespace : r.name;
    const namespace = k.namespaced ? r.namespace : r.kind === 'Namespace' && r.namespaceOfNamespace ? name : '';
    const object = (l: Obj): Obj => ({
      apiVersion: k.apiVersion,
      kind: r.kind,
      metadata: { name, ...(k.namespaced ? { namespace } : {}), labels: l },
    });
    const request: Obj = { uid: 'u', kind: { group: k.group, version: k.apiVersion.split('/').pop(), kind: r.kind }, namespace, name, operation: r.operation };
    if (r.operation !== 'DELETE') request.object = object(r.labels);
    if (r.operation !== 'CREATE') request.oldObject = object(r.operation === 'UPDATE' ? r.oldLabels : r.labels);
    return { request };
  });

const cases = fc.sample(fc.record({ entry, review }), { seed, numRuns: 3000 });

/** Gatekeeper's answer: some of the object and the old object matches. */
function gatekeeper({ entry, review }: (typeof cases)[number]): boolean {
  const request = review.request;
  const { kind } = request.kind as { kind: keyof typeof kinds };
  const { namespaceSelector: _, ...withoutSelector } = entry as Obj;
  const match = parseMatch(kinds[kind].namespaced ? withoutSelector : entry, 'case');
  return [request.object, request.oldObject].some((o) => o !== undefined && matches(match, { object: o as Obj, source: 'Original' }));
}

function scopePolicies(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-scope-oracle-'));
  mkdirSync(join(dir, 'lib'));
  const lib = join(repoRoot, 'policies', 'lib');
  for (const name of readdirSync(lib).filter((n) => n.endsWith('.rego') && !n.endsWith('_test.rego'))) copyFileSync(join(lib, name), join(dir, 'lib', name));
  copyFileSync(join(repoRoot, 'test', 'policies', 'scope', 'oracle', 'cases.rego'), join(dir, 'cases.rego'));
  return dir;
}

t.test('lib/scope decides as Gatekeeper match, in opa eval and in WASM', async (t) => {
  const dir = scopePolicies();
  const input = { cases };
  const topdown = (await opaEval(dir, 'data.scope_cases', input)) as { results: boolean[]; errors: string[][] };
  const bundle = await loadBundle(await compilePolicies(dir, ['scope_cases/results']));
  const wasm = new WasmPolicy(bundle.module, bundle.memoryMinPages).evaluate('scope_cases/results', input) as boolean[];

  t.same(
    topdown.errors.flatMap((e, i) => (e.length > 0 ? [{ entry: cases[i]!.entry, errors: e }] : [])).slice(0, 5),
    [],
    'every generated entry is valid config.scope',
  );
  t.equal(topdown.results.length, cases.length, 'opa eval answered every case');
  t.equal(wasm.length, cases.length, 'WASM answered every case');
  const disagreements = cases.flatMap((c, i) => {
    const expected = gatekeeper(c);
    return topdown.results[i] === expected && wasm[i] === expected ? [] : [{ ...c, gatekeeper: expected, opa: topdown.results[i], wasm: wasm[i] }];
  });
  t.same(disagreements.slice(0, 5), [], `${disagreements.length} of ${cases.length} disagree`);
  // Both answers must be common, or agreement would prove little.
  const applies = topdown.results.filter(Boolean).length;
  t.ok(applies >= cases.length * 0.2 && applies <= cases.length * 0.8, `${applies} of ${cases.length} apply`);
  const selectorOnNamespaces = cases.filter((c) => 'namespaceSelector' in c.entry && (c.review.request.kind as { kind: string }).kind === 'Namespace').length;
  t.ok(selectorOnNamespaces >= 300, `${selectorOnNamespaces} cases select Namespace objects by label`);
});
