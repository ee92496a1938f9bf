import t from 'tap';
import { synthesizeReview } from '../../dist/admission/synthesize.js';
import { inWorkload, templatePodReview } from '../../dist/admission/template-pods.js';

const spec = { containers: [{ name: 'app', image: 'x' }] };

t.test('the pod a workload creates, as its controller would send it', async (t) => {
  const deployment = synthesizeReview(
    { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { template: { metadata: { labels: { app: 'web' } }, spec } } },
    { user: 'alice', uid: 'u1' },
  );
  const pod = templatePodReview(deployment)!;
  t.match(pod.request, {
    uid: 'u1-pod',
    kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { resource: 'pods' },
    namespace: 'shop',
    operation: 'CREATE',
    userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] },
    oldObject: null,
  });
  t.same(pod.request.object, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { labels: { app: 'web' }, generateName: 'web-', namespace: 'shop' },
    spec: { ...spec, serviceAccountName: 'default' },
  }, 'the ServiceAccount plugin names "default" when the template names none');

  const named = { ...spec, serviceAccountName: 'unbound' };
  const cronJob = synthesizeReview({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'nightly', namespace: 'ops' }, spec: { jobTemplate: { spec: { template: { spec: named } } } } });
  t.match(templatePodReview(cronJob)!.request, { userInfo: { username: 'system:serviceaccount:kube-system:job-controller' }, object: { spec: named } });
  for (const [kind, controller] of [['StatefulSet', 'statefulset-controller'], ['DaemonSet', 'daemon-set-controller'], ['ReplicaSet', 'replicaset-controller']]) {
    const review = synthesizeReview({ apiVersion: 'apps/v1', kind, metadata: { name: 'w' }, spec: { template: { spec } } });
    t.equal(templatePodReview(review)?.request.userInfo.username, `system:serviceaccount:kube-system:${controller}`, kind);
  }
  const update = synthesizeReview({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec } } }, { operation: 'UPDATE' });
  t.equal(templatePodReview(update)?.request.operation, 'CREATE', 'an updated workload creates new pods too');
});

t.test('nothing that creates no pods', async (t) => {
  const none = [
    synthesizeReview({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec }),
    synthesizeReview({ apiVersion: 'v1', kind: 'PodTemplate', metadata: { name: 'pt' }, template: { spec } }),
    synthesizeReview({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }),
    synthesizeReview({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'no-template' }, spec: {} }),
    synthesizeReview({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'gone' }, spec: { template: { spec } } }, { operation: 'DELETE' }),
  ];
  for (const review of none) t.equal(templatePodReview(review), undefined, `${review.request.kind.kind} ${review.request.name} ${review.request.operation}`);
});

t.test("the pods' patch in the workload's paths", async (t) => {
  const moved = inWorkload({
    review: undefined as never,
    template: '/spec/jobTemplate/spec/template',
    mutation: {
      profile: 'restricted',
      patch: [
        { op: 'add', path: '/metadata/annotations', value: { 'kubernetes.io/psp': 'restricted' } },
        { op: 'copy', from: '/spec/a', path: '/spec/b' },
      ],
    },
  });
  t.same(moved, {
    profile: 'restricted',
    patch: [
      { op: 'add', path: '/spec/jobTemplate/spec/template/metadata/annotations', value: { 'kubernetes.io/psp': 'restricted' } },
      { op: 'copy', from: '/spec/jobTemplate/spec/template/spec/a', path: '/spec/jobTemplate/spec/template/spec/b' },
    ],
  });
});
