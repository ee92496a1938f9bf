import t from 'tap';
import { applyJsonPatch, parseMutation } from '../../dist/engine/index.js';

t.test('parseMutation keeps a well-formed mutation, op by op', async (t) => {
  const raw = {
    patch: [
      { op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/psp': 'restricted' } },
      { op: 'replace', path: '/spec/containers/0/securityContext/runAsNonRoot', value: true },
      { op: 'add', path: '/spec/x', value: null },
      { op: 'remove', path: '/spec/y' },
      { op: 'copy', from: '/a~1b', path: '/c~0d' },
      { op: 'move', from: '/e', path: '' },
      { op: 'test', path: '/f', value: false },
    ],
    profile: 'restricted',
  };
  t.same(parseMutation(raw), raw);
  t.same(parseMutation({ patch: [], profile: null }), { patch: [], profile: null });
  t.same(
    parseMutation({ patch: [{ op: 'remove', path: '/a', value: 1, extra: true }], profile: null }).patch,
    [{ op: 'remove', path: '/a' }],
    'members an operation does not use are dropped',
  );
});

t.test('parseMutation refuses anything else, saying what is wrong: never "no patch"', async (t) => {
  const cases: [unknown, RegExp][] = [
    [undefined, /returned no mutation \(the mutation rule is undefined\)/],
    [null, /malformed mutation: not an object/],
    [[], /malformed mutation: not an object/],
    ['patch', /malformed mutation: not an object/],
    [{ profile: null }, /patch is not an array/],
    [{ patch: {}, profile: null }, /patch is not an array/],
    [{ patch: [] }, /profile is undefined, not a string or null/],
    [{ patch: [], profile: 3 }, /profile is 3, not a string or null/],
    [{ patch: [1], profile: null }, /patch\[0\] is not an object/],
    [{ patch: [{ op: 'merge', path: '/a' }], profile: null }, /patch\[0\]\.op is "merge", not one of add, remove/],
    [{ patch: [{ op: 'remove', path: '/a' }, { op: 'add', path: 'a', value: 1 }], profile: null }, /patch\[1\]\.path is "a", not a JSON pointer/],
    [{ patch: [{ op: 'add', path: '/a~2', value: 1 }], profile: null }, /patch\[0\]\.path is "\/a~2", not a JSON pointer/],
    [{ patch: [{ op: 'add', path: '/a' }], profile: null }, /patch\[0\] \(add \/a\) has no value/],
    [{ patch: [{ op: 'move', path: '/a' }], profile: null }, /patch\[0\]\.from is undefined, not a JSON pointer/],
  ];
  for (const [raw, message] of cases) {
    t.throws(() => parseMutation(raw), { code: 'EVAL_FAILED', message }, JSON.stringify(raw) ?? 'undefined');
  }
});

t.test('applyJsonPatch applies in order, as RFC 6902 says, and leaves its input alone', async (t) => {
  const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }, { name: 'b', securityContext: { runAsNonRoot: false } }] } };
  const before = JSON.stringify(pod);
  const patched = applyJsonPatch(pod, [
    { op: 'add', path: '/metadata/annotations', value: {} },
    { op: 'add', path: '/metadata/annotations/kubernetes.io~1psp', value: 'restricted' },
    { op: 'add', path: '/spec/containers/0/securityContext', value: { allowPrivilegeEscalation: false } },
    { op: 'replace', path: '/spec/containers/1/securityContext/runAsNonRoot', value: true },
    { op: 'add', path: '/spec/containers/-', value: { name: 'c' } },
  ]);
  t.same(patched, {
    metadata: { name: 'p', annotations: { 'kubernetes.io/psp': 'restricted' } },
    spec: {
      containers: [
        { name: 'a', securityContext: { allowPrivilegeEscalation: false } },
        { name: 'b', securityContext: { runAsNonRoot: true } },
        { name: 'c' },
      ],
    },
  });
  t.equal(JSON.stringify(pod), before, 'the input is unchanged');
  t.equal(applyJsonPatch(pod, []), pod, 'an empty patch is the document itself');
});

t.test('applyJsonPatch refuses a patch the API server would refuse, naming the operation', async (t) => {
  const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }] } };
  const cases: [Parameters<typeof applyJsonPatch>[1], RegExp][] = [
    [[{ op: 'add', path: '/metadata/annotations/kubernetes.io~1psp', value: 'x' }], /operation 0 \(add \/metadata\/annotations\/kubernetes\.io~1psp\): .*OPERATION_PATH_CANNOT_ADD/],
    [[{ op: 'add', path: '/spec/a', value: 1 }, { op: 'replace', path: '/spec/b', value: 1 }], /operation 1 \(replace \/spec\/b\): .*OPERATION_PATH_UNRESOLVABLE/],
    [[{ op: 'remove', path: '/spec/containers/3' }], /operation 0 \(remove \/spec\/containers\/3\)/],
    [[{ op: 'test', path: '/metadata/name', value: 'q' }], /operation 0 \(test \/metadata\/name\): .*TEST_OPERATION_FAILED/],
  ];
  for (const [patch, message] of cases) {
    const err = (() => {
      try {
        applyJsonPatch(pod, patch);
        return undefined;
      } catch (e) {
        return e as Error & { code?: string };
      }
    })();
    t.equal(err?.code, 'EVAL_FAILED', JSON.stringify(patch));
    t.match(err?.message, message);
    t.notMatch(err?.message, /\n/, 'one line: the document is not dumped into the message');
  }
  t.same(pod, { metadata: { name: 'p' }, spec: { containers: [{ name: 'a' }] } }, 'a failed patch changes nothing');
});
