// The differential test's own machinery: the strict RFC 6902 applier wasmgate's patches go through,
// and the normalised pod comparison.
import t from 'tap';
import { differences, normalise } from '../../dist/psp-diff/compare.js';
import { applyPatch, parsePatch } from '../../dist/psp-diff/json-patch.js';

t.test('applyPatch applies add/replace/remove/test in order and leaves its input alone', async (t) => {
  const doc = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } };
  const out = applyPatch(doc, [
    { op: 'add', path: '/metadata/annotations', value: {} },
    { op: 'add', path: '/metadata/annotations/kubernetes.io~1psp', value: 'restricted' },
    { op: 'add', path: '/spec/containers/0/securityContext', value: { runAsNonRoot: true } },
    { op: 'replace', path: '/spec/containers/0/name', value: 'd' },
    { op: 'add', path: '/spec/containers/-', value: { name: 'e' } },
    { op: 'remove', path: '/spec/containers/1' },
    { op: 'test', path: '/metadata/name', value: 'p' },
  ]);
  t.same(out, { metadata: { name: 'p', annotations: { 'kubernetes.io/psp': 'restricted' } }, spec: { containers: [{ name: 'd', securityContext: { runAsNonRoot: true } }] } });
  t.same(doc, { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } }, 'the input is not changed');
});

t.test('applyPatch refuses what a strict applier refuses, naming the operation', async (t) => {
  const doc = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] } };
  t.throws(() => applyPatch(doc, [{ op: 'add', path: '/metadata/annotations/kubernetes.io~1psp', value: 'x' }]), /patch\[0\] \(add \/metadata\/annotations\/kubernetes.io~1psp\): the parent "annotations" does not exist/);
  t.throws(() => applyPatch(doc, [{ op: 'replace', path: '/metadata/labels', value: {} }]), /the member does not exist/);
  t.throws(() => applyPatch(doc, [{ op: 'add', path: '/spec/containers/2', value: {} }]), /out of bounds/);
  t.throws(() => applyPatch(doc, [{ op: 'test', path: '/metadata/name', value: 'q' }]), /test failed/);
  t.throws(() => parsePatch([{ op: 'move', from: '/a', path: '/b' }]), /patch\[0\] is not an add\/remove\/replace\/test/);
  t.throws(() => parsePatch([{ op: 'add', path: '/a' }]), /has no value/);
  t.throws(() => parsePatch({}), /not an array/);
});

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
