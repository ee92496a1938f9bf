// The PSP oracle speaks its line protocol, and what it answers is Kubernetes v1.24.17's own PSP
// behaviour: the facts of issue #10, each checked here against the real plugin (not written down).
import t from 'tap';
import { articlePolicies, articleRbac } from '../../dist/psp-diff/generate.js';
import { parseOracleAnswer, type JsonObject, type OracleAnswer, type PspCase } from '../../dist/psp-diff/protocol.js';
import { PspOracleProcess, resolvePspOracle } from '../../dist/toolchain/psp-oracle.js';

const oracle = new PspOracleProcess(resolvePspOracle());
t.teardown(() => oracle.close());

const alice = { username: 'alice', groups: ['system:authenticated'] };

function container(name: string, securityContext?: JsonObject): JsonObject {
  return { name, image: 'quay.io/cybozu/ubuntu:22.04', ...(securityContext ? { securityContext } : {}) };
}

function pod(spec: JsonObject = {}, metadata: JsonObject = {}): JsonObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', ...metadata }, spec: { serviceAccountName: 'default', containers: [container('c')], ...spec } };
}

let counter = 0;
async function ask(fields: Partial<PspCase>): Promise<OracleAnswer> {
  const c: PspCase = {
    id: `t${counter++}`,
    policies: [articlePolicies.restricted, articlePolicies.unbound],
    rbac: articleRbac,
    userInfo: alice,
    namespace: 'default',
    operation: 'CREATE',
    pod: pod(),
    ...fields,
  };
  const answer = parseOracleAnswer(await oracle.ask(JSON.stringify(c)));
  if (answer.id !== c.id) throw new Error(`the oracle answered ${answer.id} for ${c.id}`);
  return answer;
}

type Sc = Record<string, unknown>;
const spec = (a: OracleAnswer) => (a.pod as { spec: Record<string, unknown> }).spec;
const containersOf = (a: OracleAnswer): Sc[] =>
  ['initContainers', 'containers', 'ephemeralContainers'].flatMap((k) => (spec(a)[k] as Sc[] | undefined) ?? []);

t.test('a bare pod under restricted is defaulted on every container, init and ephemeral included', async (t) => {
  const a = await ask({
    policies: [articlePolicies.restricted],
    pod: pod({ initContainers: [container('i')], ephemeralContainers: [container('e')] }),
  });
  t.equal(a.allowed, true);
  t.equal(a.psp, 'restricted');
  t.same(spec(a).securityContext, { fsGroup: 1, supplementalGroups: [1] });
  const all = containersOf(a);
  t.equal(all.length, 3);
  for (const c of all) {
    t.same(c.securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true }, `container ${String(c.name)}`);
  }
  t.equal((a.pod as { metadata: { annotations: Record<string, string> } }).metadata.annotations['kubernetes.io/psp'], 'restricted');
});

t.test('under unbound a bare pod only gets allowPrivilegeEscalation false and readOnlyRootFilesystem true', async (t) => {
  const a = await ask({ policies: [articlePolicies.unbound], rbac: [articleRbac[2]!, articleRbac[3]!], namespace: 'internet-egress', pod: pod({ serviceAccountName: 'unbound' }) });
  t.equal(a.allowed, true);
  t.equal(a.psp, 'unbound');
  t.same(containersOf(a)[0]!.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });
  t.notOk((spec(a).securityContext as Sc | undefined)?.fsGroup, 'no fsGroup');
});

t.test('with both usable: first by name when both change it, else the one that needs no change', async (t) => {
  const both = { namespace: 'internet-egress', pod: pod({ serviceAccountName: 'unbound' }) };
  t.equal((await ask(both)).psp, 'restricted', 'a bare pod: both mutate it, restricted sorts first');

  const netBind = await ask({ ...both, pod: pod({ serviceAccountName: 'unbound', containers: [container('c', { capabilities: { add: ['NET_BIND_SERVICE'] } })] }) });
  t.equal(netBind.psp, 'unbound', 'adding NET_BIND_SERVICE: only unbound allows it');

  const validUnderUnbound = pod({ serviceAccountName: 'unbound', containers: [container('c', { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true })] });
  const unchanged = await ask({ ...both, pod: validUnderUnbound });
  t.equal(unchanged.psp, 'unbound', 'already valid under unbound: chosen unchanged though restricted sorts first');
  t.same(containersOf(unchanged)[0]!.securityContext, { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true });

  const elsewhere = await ask({ pod: pod({ serviceAccountName: 'unbound', containers: [container('c', { capabilities: { add: ['NET_BIND_SERVICE'] } })] }) });
  t.equal(elsewhere.allowed, false, 'the same service account name in another namespace may not use unbound');
  t.match(elsewhere.message, /capability may not be added/);
});

t.test('capability names are case-sensitive', async (t) => {
  const drop = await ask({ policies: [articlePolicies.restricted], pod: pod({ containers: [container('c', { capabilities: { drop: ['all'] } })] }) });
  t.same((containersOf(drop)[0]!.securityContext as Sc).capabilities, { drop: ['ALL', 'all'] }, 'drop: [all] is not ALL: ALL is added');
  const add = await ask({
    policies: [articlePolicies.unbound],
    rbac: [articleRbac[2]!, articleRbac[3]!],
    namespace: 'internet-egress',
    pod: pod({ serviceAccountName: 'unbound', containers: [container('c', { capabilities: { add: ['net_bind_service'] } })] }),
  });
  t.equal(add.allowed, false, 'add: [net_bind_service] is refused by unbound');
  t.match(add.message, /net_bind_service/);
});

t.test('a PSP whose MustRunAs has no ranges is skipped', async (t) => {
  const noRanges = structuredClone(articlePolicies.restricted) as { metadata: { name: string }; spec: Record<string, unknown> };
  noRanges.metadata.name = 'a-no-ranges';
  noRanges.spec.runAsUser = { rule: 'MustRunAs' };
  const grantAll = [
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'all' }, rules: [{ apiGroups: ['policy'], resources: ['podsecuritypolicies'], verbs: ['use'] }] },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'all' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'all' }, subjects: [{ kind: 'Group', name: 'system:authenticated', apiGroup: 'rbac.authorization.k8s.io' }] },
  ];
  const a = await ask({ policies: [noRanges as unknown as JsonObject, articlePolicies.restricted], rbac: grantAll });
  t.equal(a.invalid, undefined, 'the API server accepts such a PSP');
  t.equal(a.psp, 'restricted', 'a-no-ranges sorts first but is skipped');
});

t.test('without a usable PSP the pod is denied; the PSP the user may use is the only candidate', async (t) => {
  const none = await ask({ rbac: [], pod: pod() });
  t.equal(none.allowed, false);
  t.equal(none.psp, null);
  t.match(none.message, /PodSecurityPolicy: unable to admit pod/);
  const anonymous = await ask({ userInfo: { username: 'system:anonymous', groups: ['system:unauthenticated'] } });
  t.equal(anonymous.psp, 'restricted', "the pod's service account (group system:serviceaccounts) may use restricted");
});

t.test('on UPDATE nothing is defaulted; ownerReferences/finalizers-only updates are not checked', async (t) => {
  const created = await ask({ policies: [articlePolicies.restricted] });
  const stored = { ...created.pod!, metadata: { ...(created.pod!.metadata as JsonObject), resourceVersion: '1' } };
  const relabelled = { ...stored, metadata: { ...(stored.metadata as JsonObject), labels: { v: '2' } } };
  const ok = await ask({ policies: [articlePolicies.restricted], operation: 'UPDATE', oldPod: stored, pod: relabelled });
  t.equal(ok.allowed, true, 'the stored (defaulted) pod validates as it is');
  t.equal(ok.psp, 'restricted', 'named by the PSP that validated it');

  const bare = { ...pod(), metadata: { name: 'p', resourceVersion: '1' } };
  const denied = await ask({ policies: [articlePolicies.restricted], operation: 'UPDATE', oldPod: bare, pod: { ...bare, metadata: { name: 'p', resourceVersion: '1', labels: { v: '2' } } } });
  t.equal(denied.allowed, false, 'a pod that would need defaulting is denied on UPDATE');
  t.match(denied.message, /unable to validate pod/);

  const gc = await ask({ policies: [articlePolicies.restricted], operation: 'UPDATE', oldPod: bare, pod: { ...bare, metadata: { name: 'p', resourceVersion: '1', finalizers: ['example.com/x'] } } });
  t.equal(gc.allowed, true, 'a finalizers-only update is skipped');
  t.equal(gc.psp, null, 'and names no PSP');
});

t.test('the pod is decoded as the API server does: v1 defaults before admission', async (t) => {
  const a = await ask({ policies: [articlePolicies.restricted], pod: pod({ hostNetwork: true, containers: [container('c'), { ...container('d'), ports: [{ containerPort: 8080 }] }] }) });
  const ports = ((a.input as { spec: { containers: Sc[] } }).spec.containers[1]!.ports as Sc[])[0];
  t.equal(ports!.hostPort, 8080, 'hostNetwork defaults hostPort to containerPort');
  t.equal(a.allowed, false);
  t.match(a.message, /Host network is not allowed/);
});

t.test('protocol errors are answered in order, never fatal', async (t) => {
  const bad = parseOracleAnswer(await oracle.ask('{"id": "x", "policies": 3}'));
  t.equal(bad.id, 'x');
  t.match(bad.error, /not valid JSON of the protocol/);
  const notJson = parseOracleAnswer(await oracle.ask('garbage'));
  t.equal(notJson.id, '');
  t.ok(notJson.error);
  const invalidPsp = await ask({ policies: [{ ...articlePolicies.restricted, spec: { ...(articlePolicies.restricted.spec as JsonObject), allowedCapabilities: ['ALL'] } }] });
  t.match(invalidPsp.invalid, /PodSecurityPolicy "restricted".*allowedCapabilities/, 'a PSP the API server refuses is reported, not run');
  const after = await ask({});
  t.equal(after.allowed, true, 'the oracle goes on answering');
});

t.test('members of system:masters may use every PSP, whatever RBAC grants (kube-apiserver authorizes them first)', async (t) => {
  const admin = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };
  const netBind = pod({ serviceAccountName: 'app', containers: [container('c', { capabilities: { add: ['NET_BIND_SERVICE'] } })] });
  const a = await ask({ userInfo: admin, namespace: 'team-a', pod: netBind });
  t.equal(a.allowed, true);
  t.equal(a.psp, 'unbound', 'unbound, bound only to the unbound service account, is usable by an admin');
  const none = await ask({ userInfo: admin, rbac: [] });
  t.equal(none.psp, 'restricted', 'with no RBAC at all');
});
