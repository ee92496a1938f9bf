import t from 'tap';
import { describeObject, objectRefOf, reviewFor, synthesizeReview } from '../../dist/admission/synthesize.js';
import { parseAdmissionReview } from '../../dist/admission/parse.js';
import { guessResource, kindInfo } from '../../dist/manifests/index.js';
import { isWasmgateError } from '../../dist/errors.js';

const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: {} };

t.test('a manifest becomes the request the API server sends for a server-side dry run', async (t) => {
  const review = synthesizeReview(deployment, { uid: 'u1' });
  t.same(review, {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u1',
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      requestKind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      requestResource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name: 'web',
      namespace: 'default',
      operation: 'CREATE',
      userInfo: { username: 'wasmgate-eval', groups: ['system:authenticated'] },
      object: { ...deployment, metadata: { name: 'web', namespace: 'default' } },
      oldObject: null,
      dryRun: true,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions', dryRun: ['All'] },
    },
  });
  t.doesNotThrow(() => parseAdmissionReview(review), 'it is a valid AdmissionReview');
  t.same(deployment.metadata, { name: 'web' }, 'the input object is not modified');
});

t.test('namespace: the object’s own, else --namespace; cluster-scoped kinds get none', async (t) => {
  const own = synthesizeReview({ ...deployment, metadata: { name: 'w', namespace: 'shop' } }, { namespace: 'other' });
  t.equal(own.request.namespace, 'shop');
  t.equal(synthesizeReview(deployment, { namespace: 'other' }).request.namespace, 'other');
  const ns = synthesizeReview({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }, { namespace: 'other' });
  t.equal(ns.request.namespace, undefined);
  t.same(ns.request.resource, { group: '', version: 'v1', resource: 'namespaces' });
  const gnp = synthesizeReview({ apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: { name: 'g' } });
  t.equal(gnp.request.namespace, undefined);
  t.equal(gnp.request.resource.resource, 'globalnetworkpolicies');
  const np = synthesizeReview({ apiVersion: 'crd.projectcalico.org/v1', kind: 'NetworkPolicy', metadata: { name: 'n' } });
  t.same([np.request.namespace, np.request.resource.resource], ['default', 'networkpolicies']);
});

t.test('operations: UPDATE sends old and new, DELETE only the old object', async (t) => {
  const update = synthesizeReview(deployment, { operation: 'UPDATE' });
  t.ok(update.request.object && update.request.oldObject);
  t.equal(update.request.options && (update.request.options as { kind: string }).kind, 'UpdateOptions');
  const del = synthesizeReview(deployment, { operation: 'DELETE', user: 'alice', groups: ['dev', 'system:authenticated'] });
  t.equal(del.request.object, null);
  t.equal((del.request.oldObject as { kind: string }).kind, 'Deployment');
  t.same(del.request.userInfo, { username: 'alice', groups: ['dev', 'system:authenticated'] });
});

t.test('bad objects are INPUT_INVALID with a reason', async (t) => {
  const cases: [object, RegExp][] = [
    [{ kind: 'Pod', metadata: { name: 'a' } }, /no apiVersion/],
    [{ apiVersion: 'v1', metadata: { name: 'a' } }, /no kind/],
    [{ apiVersion: 'v1', kind: 'Pod' }, /no metadata.name/],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: {} }, /not a valid AdmissionReview/],
  ];
  for (const [object, message] of cases) {
    t.throws(() => reviewFor(object as Record<string, unknown>), message);
    try {
      reviewFor(object as Record<string, unknown>);
    } catch (err) {
      t.ok(isWasmgateError(err, 'INPUT_INVALID'));
    }
  }
  t.doesNotThrow(() => synthesizeReview({ apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'p-' } }), 'generateName is enough for CREATE');
});

t.test('an AdmissionReview document is taken as it is', async (t) => {
  const review = synthesizeReview(deployment, { uid: 'given', user: 'bob' });
  t.equal(reviewFor(review as unknown as Record<string, unknown>), review);
  t.equal(describeObject(objectRefOf(review)), 'Deployment default/web');
});

t.test('plural names: known kinds from the table, others guessed like kubectl', async (t) => {
  t.same(kindInfo('networking.k8s.io', 'Ingress'), { resource: 'ingresses', namespaced: true, known: true });
  t.same(kindInfo('example.com', 'Widget'), { resource: 'widgets', namespaced: true, known: false });
  t.same(['Policy', 'Gateway', 'Box', 'Mesh', 'Class'].map(guessResource), ['policies', 'gateways', 'boxes', 'meshes', 'classes']);
});

t.test('a cluster-scoped object loses the namespace it names; a CRD decides scope and plural', async (t) => {
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r', namespace: 'kube-system' } };
  const review = synthesizeReview(role);
  t.equal(review.request.namespace, undefined);
  t.same(review.request.object?.metadata, { name: 'r' });
  t.same(role.metadata, { name: 'r', namespace: 'kube-system' }, 'the input object is not modified');
  const block = { apiVersion: 'crd.example.org/v1', kind: 'IPBlock', metadata: { name: 'b', namespace: 'x' } };
  t.equal(synthesizeReview(block).request.namespace, 'x', 'unknown kinds are namespaced');
  const customKinds = new Map([['IPBlock.crd.example.org', { resource: 'ipblox', namespaced: false }]]);
  const defined = synthesizeReview(block, { customKinds });
  t.equal(defined.request.namespace, undefined);
  t.equal(defined.request.resource.resource, 'ipblox');
  t.same(kindInfo('policy', 'PodSecurityPolicy'), { resource: 'podsecuritypolicies', namespaced: false, known: true });
  for (const [group, kind, resource] of [['cert-manager.io', 'ClusterIssuer', 'clusterissuers'], ['crd.projectcalico.org', 'IPAMBlock', 'ipamblocks'], ['coil.cybozu.com', 'AddressPool', 'addresspools']]) {
    t.same(kindInfo(group!, kind!), { resource, namespaced: false, known: true }, `${kind} is cluster-scoped, as its CRD says`);
  }
  t.equal(kindInfo('projectcalico.org', 'IPAMBlock').known, false, 'IPAM kinds are CRDs only, not projectcalico.org/v3');
});

t.test('the object is sent as the API server defaults it', async (t) => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p' },
    spec: {
      hostNetwork: true,
      volumes: [{ name: 'scratch' }, { name: 'conf', configMap: { name: 'c' } }],
      initContainers: [{ name: 'i', ports: [{ containerPort: 80, hostPort: 8080 }] }],
      containers: [{ name: 'c', ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 9 }], resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } } }],
      ephemeralContainers: [{ name: 'debug' }],
    },
  };
  const sent = synthesizeReview(pod).request.object as unknown as typeof pod;
  t.same(sent.spec.volumes, [{ name: 'scratch', emptyDir: {} }, { name: 'conf', configMap: { name: 'c' } }]);
  t.same(sent.spec.initContainers[0]!.ports, [{ containerPort: 80, hostPort: 8080, protocol: 'TCP' }], 'a hostPort given stays');
  t.same(sent.spec.containers[0]!.ports, [{ containerPort: 53, protocol: 'UDP', hostPort: 53 }, { containerPort: 9, protocol: 'TCP', hostPort: 9 }]);
  t.same(sent.spec.containers[0]!.resources.requests, { cpu: '500m', memory: '1Gi' }, 'requests default to limits');
  t.same(sent.spec.ephemeralContainers, [{ name: 'debug' }]);
  t.same(pod.spec.volumes[0], { name: 'scratch' }, 'the input object is not modified');

  const template = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'j' }, spec: { jobTemplate: { spec: { template: { spec: structuredClone(pod.spec) } } } } };
  const tsent = (synthesizeReview(template).request.object as unknown as typeof template).spec.jobTemplate.spec.template.spec;
  t.same(tsent.containers[0]!.ports, [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 9, protocol: 'TCP' }], 'no host ports in a pod template');
  t.same(tsent.containers[0]!.resources.requests, { cpu: '500m' }, 'no requests from limits in a pod template');
  t.same(tsent.volumes[0], { name: 'scratch', emptyDir: {} }, 'volumes are defaulted in templates too');

  const ns = synthesizeReview({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } }).request.object;
  t.same(ns?.metadata?.labels, { 'kubernetes.io/metadata.name': 'shop' });
  const other = { apiVersion: 'example.com/v1', kind: 'Pod', metadata: { name: 'p', namespace: 'n' }, spec: { hostNetwork: true, containers: [{ ports: [{ containerPort: 1 }] }] } };
  t.equal(synthesizeReview(other).request.object, other, 'a Pod of another group is not the core Pod');
});
