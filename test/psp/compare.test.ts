// The differential test's comparison: normalised pods, and what counts as agreeing with Kubernetes.
import t from 'tap';
import { differences, normalise } from '../../dist/psp-diff/compare.js';
import { judge } from '../../dist/psp-diff/run.js';

t.test('normalise drops null, {} and [] members recursively and keeps list order', async (t) => {
  t.same(normalise({ metadata: { creationTimestamp: null, name: 'p' }, status: {}, spec: { securityContext: {}, containers: [{ resources: {}, args: ['b', 'a'] }] } }), {
    metadata: { name: 'p' },
    spec: { containers: [{ args: ['b', 'a'] }] },
  });
  t.equal(normalise({ a: [{}, null] }), undefined);
});

t.test('differences names the deepest differing members as JSON pointers', async (t) => {
  t.same(differences({ a: { b: 1, c: [1, 2] }, d: 'x' }, { a: { b: 2, c: [1, 3] }, e: 'y' }), [
    { path: '/a/b', oracle: 1, wasmgate: 2 },
    { path: '/a/c/1', oracle: 2, wasmgate: 3 },
    { path: '/d', oracle: 'x', wasmgate: undefined },
    { path: '/e', oracle: undefined, wasmgate: 'y' },
  ]);
  t.same(differences({ 'kubernetes.io/psp': ['ALL'] }, { 'kubernetes.io/psp': ['ALL', 'all'] }), [{ path: '/kubernetes.io~1psp', oracle: ['ALL'], wasmgate: ['ALL', 'all'] }]);
  t.same(differences({ a: 1 }, { a: 1 }), []);
});

t.test('judge: what counts as agreement', async (t) => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', annotations: { 'kubernetes.io/psp': 'restricted' } }, spec: { containers: [{ name: 'c' }] } };
  const c = { id: 'x', policies: [], rbac: [], userInfo: { username: 'u', groups: [] }, namespace: 'default', operation: 'CREATE' as const, pod };
  const admitted = { case: c, answer: { id: 'x', allowed: true, psp: 'restricted', pod, input: pod } };
  const same = { dataErrors: [], allowed: true, profile: 'restricted', patch: [], pod, denials: [], secondPatch: [] };
  t.match(judge(admitted, same), { kind: 'compared', admit: true, psp: true, pod: true, idempotent: true });
  t.match(judge(admitted, { ...same, allowed: false, denials: [] }), { admit: false });
  t.match(judge(admitted, { ...same, profile: 'unbound' }), { admit: true, psp: false });
  const other = { ...pod, spec: { containers: [{ name: 'c', securityContext: { runAsNonRoot: true } }] } };
  t.match(judge(admitted, { ...same, pod: other }), { pod: false, podDiff: [{ path: '/spec/containers/0/securityContext', wasmgate: { runAsNonRoot: true } }] });
  t.match(judge(admitted, { ...same, secondPatch: [{ op: 'add', path: '/x', value: 1 }] }), { idempotent: false });
  t.match(judge(admitted, { dataErrors: [], error: 'boom' }), { admit: false, psp: false, pod: false });

  const denied = { case: c, answer: { id: 'x', allowed: false, psp: null, input: pod, message: 'no' } };
  t.match(judge(denied, { ...same, allowed: false, profile: null }), { admit: true, psp: true, pod: true });
  t.match(judge(denied, { ...same, allowed: false, profile: null, patch: [{ op: 'add', path: '/x', value: 1 }] }), { pod: false }, 'a denied pod is not patched');

  const update = { case: { ...c, operation: 'UPDATE' as const, oldPod: pod }, answer: { id: 'x', allowed: true, psp: 'restricted', pod, input: pod } };
  t.match(judge(update, { ...same, profile: null }), { psp: true }, 'on UPDATE wasmgate may name no PSP');
  t.match(judge(update, { ...same, profile: 'unbound' }), { psp: false }, 'but not another one');

  t.same(judge({ case: c, answer: { id: 'x', allowed: false, psp: null, invalid: 'Pod: bad' } }, undefined).kind, 'skipped');
  const invalid = { case: c, answer: { id: 'x', allowed: false, psp: null, invalid: 'PodSecurityPolicy "a": bad' } };
  t.same(judge(invalid, { dataErrors: ['refused'] }), { kind: 'invalid-data', refused: true });
  t.same(judge(invalid, same), { kind: 'invalid-data', refused: false });
});
