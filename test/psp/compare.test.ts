// The differential test's normalised pod comparison.
import t from 'tap';
import { differences, normalise } from '../../dist/psp-diff/compare.js';

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
