import t from 'tap';
import { describePatch, fieldPath, patchAssignments } from '../../dist/output/patch.js';

t.test('a JSON pointer reads as the field path messages use', async (t) => {
  const table: [string, string][] = [
    ['', ''],
    ['/spec', 'spec'],
    ['/spec/containers/0/securityContext', 'spec.containers[0].securityContext'],
    ['/spec/initContainers/-', 'spec.initContainers[-]'],
    ['/metadata/annotations/kubernetes.io~1psp', 'metadata.annotations["kubernetes.io/psp"]'],
    ['/metadata/labels/a~0b', 'metadata.labels["a~b"]'],
    ['/metadata/labels/app_name-x', 'metadata.labels.app_name-x'],
  ];
  for (const [pointer, path] of table) t.equal(fieldPath(pointer), path, pointer || '(root)');
});

t.test('a patch as the fields it sets, objects down to their leaves', async (t) => {
  const patch = [
    { op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/psp': 'restricted', note: 'x' } },
    { op: 'add', path: '/spec/securityContext', value: { fsGroup: 1, supplementalGroups: [1], seLinuxOptions: {} } },
    { op: 'replace', path: '/spec/containers/0/securityContext/runAsNonRoot', value: true },
    { op: 'remove', path: '/spec/hostNetwork' },
    { op: 'copy', from: '/a', path: '/b' },
    { op: 'move', from: '/c', path: '/d' },
    { op: 'test', path: '/e', value: 1 },
  ] as const;
  t.same(patchAssignments(patch), [
    'metadata.annotations["kubernetes.io/psp"]="restricted"',
    'metadata.annotations.note="x"',
    'spec.securityContext.fsGroup=1',
    'spec.securityContext.supplementalGroups=[1]',
    'spec.securityContext.seLinuxOptions={}',
    'spec.containers[0].securityContext.runAsNonRoot=true',
    'spec.hostNetwork removed',
    'b copied from a',
    'd moved from c',
  ]);
  t.same(describePatch(patch).slice(0, 2), ['metadata.annotations.note="x"', 'spec.securityContext.fsGroup=1'], 'for people, the PSP annotation is left out');
  t.same(describePatch([{ op: 'add', path: '/metadata/annotations/kubernetes.io~1psp', value: 'unbound' }]), [], 'also when added on its own');
});
