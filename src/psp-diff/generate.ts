import fc from 'fast-check';
import type { Json, JsonObject, PspCase, UserInfo } from './protocol.js';

/**
 * Seeded cases for the differential test: pods × PSP sets × RBAC × requesting user × service account,
 * drawn with fast-check so that every PSP field and its interplay with pod fields is exercised. The
 * values come from small pools chosen around each field's edges (case variants of capabilities, `*`,
 * path prefixes that share a string but not a segment, ranges that exclude 0, …). Objects are kept
 * valid for the API server where that is cheap (the oracle reports the rest as `invalid`).
 */

const rbacGroup = 'rbac.authorization.k8s.io';
const image = 'quay.io/cybozu/ubuntu:22.04';

/** The article's PSPs and RBAC (the defaults of policies/data.yaml). */
export const articlePolicies: Record<'restricted' | 'unbound', JsonObject> = {
  restricted: {
    apiVersion: 'policy/v1beta1',
    kind: 'PodSecurityPolicy',
    metadata: { name: 'restricted' },
    spec: {
      privileged: false,
      allowPrivilegeEscalation: false,
      requiredDropCapabilities: ['ALL'],
      volumes: ['configMap', 'emptyDir', 'projected', 'secret', 'downwardAPI', 'persistentVolumeClaim'],
      hostNetwork: false,
      hostIPC: false,
      hostPID: false,
      runAsUser: { rule: 'MustRunAsNonRoot' },
      seLinux: { rule: 'RunAsAny' },
      supplementalGroups: { rule: 'MustRunAs', ranges: [{ min: 1, max: 65535 }] },
      fsGroup: { rule: 'MustRunAs', ranges: [{ min: 1, max: 65535 }] },
      readOnlyRootFilesystem: true,
    },
  },
  unbound: {
    apiVersion: 'policy/v1beta1',
    kind: 'PodSecurityPolicy',
    metadata: { name: 'unbound' },
    spec: {
      allowPrivilegeEscalation: false,
      allowedCapabilities: ['NET_BIND_SERVICE'],
      volumes: ['configMap', 'emptyDir'],
      hostNetwork: false,
      runAsUser: { rule: 'RunAsAny' },
      seLinux: { rule: 'RunAsAny' },
      supplementalGroups: { rule: 'RunAsAny' },
      fsGroup: { rule: 'RunAsAny' },
      readOnlyRootFilesystem: true,
    },
  },
};

function clusterRole(name: string, rule: JsonObject): JsonObject {
  return { apiVersion: `${rbacGroup}/v1`, kind: 'ClusterRole', metadata: { name }, rules: [rule] };
}

function useRule(
  pspNames: readonly string[] | undefined,
  apiGroups: readonly string[] = ['policy'],
  verbs: readonly string[] = ['use'],
  resources: readonly string[] = ['podsecuritypolicies'],
): JsonObject {
  return {
    apiGroups: [...apiGroups],
    resources: [...resources],
    verbs: [...verbs],
    ...(pspNames ? { resourceNames: [...pspNames] } : {}),
  };
}

function subject(kind: 'User' | 'Group' | 'ServiceAccount', name: string, namespace?: string): JsonObject {
  return kind === 'ServiceAccount' ? { kind, name, namespace: namespace ?? 'default' } : { kind, name, apiGroup: rbacGroup };
}

function clusterRoleBinding(name: string, role: string, subjects: JsonObject[]): JsonObject {
  return { apiVersion: `${rbacGroup}/v1`, kind: 'ClusterRoleBinding', metadata: { name }, roleRef: { apiGroup: rbacGroup, kind: 'ClusterRole', name: role }, subjects };
}

function roleBinding(name: string, namespace: string, roleKind: 'Role' | 'ClusterRole', role: string, subjects: JsonObject[]): JsonObject {
  return { apiVersion: `${rbacGroup}/v1`, kind: 'RoleBinding', metadata: { name, namespace }, roleRef: { apiGroup: rbacGroup, kind: roleKind, name: role }, subjects };
}

export const articleRbac: readonly JsonObject[] = [
  clusterRole('psp:restricted', useRule(['restricted'])),
  clusterRoleBinding('psp:restricted', 'psp:restricted', [subject('Group', 'system:serviceaccounts'), subject('Group', 'system:authenticated')]),
  clusterRole('psp:unbound', useRule(['unbound'])),
  roleBinding('psp:unbound', 'internet-egress', 'ClusterRole', 'psp:unbound', [subject('ServiceAccount', 'unbound', 'internet-egress')]),
];

const namespaces = ['default', 'internet-egress', 'team-a'] as const;
const serviceAccounts = ['default', 'unbound', 'app'] as const;

const users: readonly UserInfo[] = [
  { username: 'alice', groups: ['system:authenticated'] },
  { username: 'bob', groups: ['system:authenticated', 'team-a-devs'] },
  // Pods of Deployments are created by this controller, with the pod's service account deciding.
  {
    username: 'system:serviceaccount:kube-system:replicaset-controller',
    groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
  },
  { username: 'system:anonymous', groups: ['system:unauthenticated'] },
];

// ---- PSP specs ------------------------------------------------------------------------------------

/** `arb` in `percent`% of draws, else undefined (the field is left out). */
const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: fc.constant(undefined), weight: 100 - percent }, { arbitrary: arb, weight: percent });
/** One of the values, each drawn with its weight. */
const weighted = <T>(...choices: [T, number][]): fc.Arbitrary<T> =>
  fc.oneof(...choices.map(([value, weight]) => ({ arbitrary: fc.constant(value), weight })));
/** A record whose fields are each present in `percent`% of draws. */
function sparse<T extends Record<string, unknown>>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }, percent: number): fc.Arbitrary<Partial<T>> {
  const fields = Object.fromEntries(Object.entries(model).map(([k, arb]) => [k, sometimes(arb as fc.Arbitrary<unknown>, percent)]));
  return fc.record(fields).map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Partial<T>);
}
const subset = <T>(values: readonly T[], maxLength?: number): fc.Arbitrary<T[]> =>
  fc.subarray([...values], maxLength === undefined ? {} : { maxLength });

const range = (min: number, max: number): JsonObject => ({ min, max });
const idRanges: readonly JsonObject[][] = [
  [range(1, 65535)],
  [range(1000, 2000)],
  [range(0, 0)],
  [range(100, 200), range(1000, 1000)],
  [range(0, 65535)],
];

const mustOrMay = (rules: readonly string[], allowEmptyMustRunAs: boolean): fc.Arbitrary<JsonObject> =>
  fc.constantFrom(...rules).chain((rule): fc.Arbitrary<JsonObject> => {
    if (rule === 'RunAsAny' || rule === 'MustRunAsNonRoot') return fc.constant({ rule });
    // A MustRunAs without ranges passes validation but its provider cannot be built: PSP skips it.
    const ranges = allowEmptyMustRunAs && rule === 'MustRunAs' ? fc.constantFrom<Json[]>(...idRanges, []) : fc.constantFrom<Json[]>(...idRanges);
    return ranges.map((r) => ({ rule, ranges: r }));
  });

const seLinuxStrategy: fc.Arbitrary<JsonObject> = fc.oneof(
  { arbitrary: fc.constant({ rule: 'RunAsAny' }), weight: 4 },
  {
    arbitrary: fc.constantFrom<JsonObject>(
      { rule: 'MustRunAs', seLinuxOptions: { level: 's0:c1,c2' } },
      { rule: 'MustRunAs', seLinuxOptions: { user: 'system_u', role: 'system_r', type: 'container_t', level: 's0:c1,c2' } },
      // No options: the provider cannot be built, the PSP is skipped.
      { rule: 'MustRunAs' },
    ),
    weight: 1,
  },
);

const capabilityNames = ['NET_BIND_SERVICE', 'CHOWN', 'SYS_ADMIN', 'NET_RAW', 'KILL', 'net_bind_service'] as const;

function sysctlOverlaps(a: string, b: string): boolean {
  const covers = (pattern: string, name: string) => pattern === name || (pattern.endsWith('*') && name.startsWith(pattern.slice(0, -1)));
  return covers(a, b) || covers(b, a);
}

const allVolumeTypes = ['configMap', 'emptyDir', 'projected', 'secret', 'downwardAPI', 'persistentVolumeClaim', 'hostPath', 'flexVolume', 'csi', 'nfs', 'ephemeral'];
const articleVolumeTypes = ['configMap', 'emptyDir', 'projected', 'secret', 'downwardAPI', 'persistentVolumeClaim'];

const pspSpec: fc.Arbitrary<JsonObject> = fc
  .record({
    privileged: sometimes(fc.boolean(), 30),
    allowPrivilegeEscalation: sometimes(fc.boolean(), 70),
    defaultAllowPrivilegeEscalation: sometimes(fc.boolean(), 25),
    allowedCapabilities: sometimes(fc.oneof({ arbitrary: subset(capabilityNames, 3), weight: 4 }, { arbitrary: fc.constant(['*']), weight: 1 }), 40),
    requiredDropCapabilities: sometimes(fc.oneof(fc.constant(['ALL']), subset(['ALL', 'all', 'NET_RAW', 'CHOWN'], 2)), 40),
    defaultAddCapabilities: sometimes(subset(['NET_BIND_SERVICE', 'KILL', 'CHOWN', 'net_raw'], 2), 20),
    volumes: sometimes(
      fc.oneof(
        { arbitrary: subset(allVolumeTypes.filter((v) => !articleVolumeTypes.includes(v)), 2).map((extra) => [...articleVolumeTypes, ...extra]), weight: 5 },
        { arbitrary: fc.constant(['*']), weight: 2 },
        { arbitrary: subset(allVolumeTypes), weight: 3 },
      ),
      95,
    ),
    allowedHostPaths: sometimes(
      subset<JsonObject>(
        [{ pathPrefix: '/var/log', readOnly: true }, { pathPrefix: '/var/log' }, { pathPrefix: '/var/log/' }, { pathPrefix: '/data' }, { pathPrefix: '/dat' }, { pathPrefix: '/', readOnly: true }],
        2,
      ),
      30,
    ),
    allowedFlexVolumes: sometimes(fc.constantFrom<Json[]>([{ driver: 'example/lvm' }], [{ driver: 'example/lvm' }, { driver: 'example/nfs' }]), 20),
    allowedCSIDrivers: sometimes(fc.constantFrom<Json[]>([{ name: 'csi.example.com' }], [{ name: 'csi.example.com' }, { name: 'secrets-store.csi.k8s.io' }]), 20),
    hostNetwork: sometimes(fc.boolean(), 30),
    hostPorts: sometimes(subset([range(80, 80), range(8000, 9000), range(53, 53), range(0, 65535)], 2), 30),
    hostPID: sometimes(fc.boolean(), 20),
    hostIPC: sometimes(fc.boolean(), 20),
    runAsUser: mustOrMay(['MustRunAs', 'MustRunAsNonRoot', 'RunAsAny', 'RunAsAny'], true),
    runAsGroup: sometimes(mustOrMay(['MustRunAs', 'MayRunAs', 'RunAsAny'], false), 30),
    supplementalGroups: mustOrMay(['MustRunAs', 'MayRunAs', 'RunAsAny', 'RunAsAny'], false),
    fsGroup: mustOrMay(['MustRunAs', 'MayRunAs', 'RunAsAny', 'RunAsAny'], false),
    seLinux: seLinuxStrategy,
    readOnlyRootFilesystem: sometimes(fc.boolean(), 50),
    allowedUnsafeSysctls: sometimes(fc.constantFrom<string[]>(['kernel.msg*'], ['net.core.somaxconn'], ['kernel.msg*', 'net.core.somaxconn'], ['*']), 20),
    forbiddenSysctls: sometimes(fc.constantFrom<string[]>(['kernel.shm_rmid_forced'], ['net.*'], ['*']), 20),
    allowedProcMountTypes: sometimes(fc.constantFrom<string[]>(['Default'], ['Default', 'Unmasked']), 20),
    runtimeClass: sometimes(
      fc.constantFrom<JsonObject>(
        { allowedRuntimeClassNames: ['gvisor'] },
        { allowedRuntimeClassNames: ['gvisor'], defaultRuntimeClassName: 'gvisor' },
        { allowedRuntimeClassNames: ['*'], defaultRuntimeClassName: 'kata' },
        { allowedRuntimeClassNames: [] },
      ),
      15,
    ),
  })
  .map((spec) => {
    const s: Record<string, unknown> = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
    // Keep the spec valid: drops may not meet adds, `*` allows no drops, default escalation needs escalation.
    const drops = (s.requiredDropCapabilities as string[] | undefined) ?? [];
    const allowed = s.allowedCapabilities as string[] | undefined;
    if (allowed?.includes('*')) delete s.requiredDropCapabilities;
    else if (allowed) s.allowedCapabilities = allowed.filter((c) => !drops.includes(c));
    if (s.defaultAddCapabilities) s.defaultAddCapabilities = (s.defaultAddCapabilities as string[]).filter((c) => !drops.includes(c));
    if (s.defaultAllowPrivilegeEscalation === true && s.allowPrivilegeEscalation === false) delete s.defaultAllowPrivilegeEscalation;
    const forbidden = s.forbiddenSysctls as string[] | undefined;
    if (forbidden && s.allowedUnsafeSysctls) {
      s.allowedUnsafeSysctls = (s.allowedUnsafeSysctls as string[]).filter((a) => !forbidden.some((f) => sysctlOverlaps(a, f)));
    }
    return s as JsonObject;
  });

const pspAnnotations: fc.Arbitrary<JsonObject> = fc.record(
  {
    'seccomp.security.alpha.kubernetes.io/allowedProfileNames': fc.constantFrom('runtime/default', 'runtime/default,docker/default', '*', 'localhost/p.json'),
    'seccomp.security.alpha.kubernetes.io/defaultProfileName': fc.constantFrom('runtime/default', 'docker/default'),
    'apparmor.security.beta.kubernetes.io/allowedProfileNames': fc.constantFrom('runtime/default', 'runtime/default,localhost/custom'),
    'apparmor.security.beta.kubernetes.io/defaultProfileName': fc.constant('runtime/default'),
  },
  { requiredKeys: [] },
);

const pspNames = ['a-open', 'm-mid', 'restricted', 'unbound', 'z-last'] as const;

function psp(name: string, spec: JsonObject, annotations: JsonObject): JsonObject {
  return {
    apiVersion: 'policy/v1beta1',
    kind: 'PodSecurityPolicy',
    metadata: { name, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec,
  };
}

// ---- RBAC -----------------------------------------------------------------------------------------

type SubjectChoice = readonly ['User' | 'Group' | 'ServiceAccount', string, string?];
const subjectChoices: readonly SubjectChoice[] = [
  ['Group', 'system:authenticated'],
  ['Group', 'system:serviceaccounts'],
  ['Group', 'system:serviceaccounts:team-a'],
  ['Group', 'system:serviceaccounts:internet-egress'],
  ['Group', 'team-a-devs'],
  ['User', 'alice'],
  ['User', 'bob'],
  ['ServiceAccount', 'unbound', 'internet-egress'],
  ['ServiceAccount', 'app', 'team-a'],
  ['ServiceAccount', 'default', 'default'],
  // The controller that creates a Deployment's pods, as the requesting user.
  ['ServiceAccount', 'replicaset-controller', 'kube-system'],
];

interface Grant {
  readonly allPolicies: boolean;
  readonly apiGroups: readonly string[];
  readonly verbs: readonly string[];
  readonly resources: readonly string[];
  readonly scope: 'cluster' | 'namespace-clusterrole' | 'namespace-role';
  readonly namespace: string;
  readonly subjects: readonly SubjectChoice[];
}


const grant: fc.Arbitrary<Grant> = fc.record({
  // A role without resourceNames grants every PSP.
  allPolicies: weighted([false, 3], [true, 1]),
  // Only policy and extensions (and *) grant "use" on PSPs; apps and get/list never do.
  apiGroups: weighted<string[]>([['policy'], 5], [['extensions'], 1], [['*'], 1], [['apps'], 1]),
  verbs: weighted<string[]>([['use'], 5], [['*'], 1], [['get', 'list'], 1]),
  // cluster-admin's rule ('*' on '*') grants "use" too; a rule on pods does not.
  resources: weighted<string[]>([['podsecuritypolicies'], 6], [['*'], 1], [['pods'], 1]),
  scope: weighted<Grant['scope']>(['cluster', 3], ['namespace-clusterrole', 2], ['namespace-role', 1]),
  namespace: fc.constantFrom(...namespaces),
  subjects: fc.oneof(
    { arbitrary: fc.constantFrom<SubjectChoice[]>([subjectChoices[0]!], [subjectChoices[1]!], [subjectChoices[0]!, subjectChoices[1]!]), weight: 2 },
    { arbitrary: subset(subjectChoices.slice(2), 2).filter((chosen) => chosen.length > 0), weight: 3 },
  ),
});

function rbacFor(pspName: string, grants: readonly Grant[], index: number): JsonObject[] {
  const out: JsonObject[] = [];
  grants.forEach((g, j) => {
    const name = `psp:${pspName}:${index}-${j}`;
    const rule = useRule(g.allPolicies ? undefined : [pspName], g.apiGroups, g.verbs, g.resources);
    const subjects = g.subjects.map(([kind, n, ns]) => subject(kind, n, ns));
    if (g.scope === 'cluster') {
      out.push(clusterRole(name, rule), clusterRoleBinding(name, name, subjects));
    } else if (g.scope === 'namespace-clusterrole') {
      out.push(clusterRole(name, rule), roleBinding(name, g.namespace, 'ClusterRole', name, subjects));
    } else {
      out.push({ apiVersion: `${rbacGroup}/v1`, kind: 'Role', metadata: { name, namespace: g.namespace }, rules: [rule] });
      out.push(roleBinding(name, g.namespace, 'Role', name, subjects));
    }
  });
  return out;
}

// ---- pods -----------------------------------------------------------------------------------------

const volumeChoices: Record<string, JsonObject> = {
  cm: { configMap: { name: 'settings' } },
  ed: { emptyDir: {} },
  sec: { secret: { secretName: 'token' } },
  sat: { projected: { sources: [{ serviceAccountToken: { path: 'token' } }, { configMap: { name: 'kube-root-ca.crt' } }, { downwardAPI: { items: [{ path: 'namespace', fieldRef: { fieldPath: 'metadata.namespace' } }] } }] } },
  proj: { projected: { sources: [{ configMap: { name: 'settings' } }, { secret: { name: 'token' } }] } },
  dapi: { downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
  pvc: { persistentVolumeClaim: { claimName: 'data' } },
  'hp-log': { hostPath: { path: '/var/log' } },
  'hp-pods': { hostPath: { path: '/var/log/pods', type: 'Directory' } },
  'hp-data': { hostPath: { path: '/data/x' } },
  'hp-etc': { hostPath: { path: '/etc' } },
  'hp-slash': { hostPath: { path: '/var/log/' } },
  'hp-case': { hostPath: { path: '/VAR/log' } },
  'hp-exact': { hostPath: { path: '/data' } },
  'ed-mem': { emptyDir: { medium: 'Memory' } },
  eph: { ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } },
  flex: { flexVolume: { driver: 'example/lvm' } },
  'flex-other': { flexVolume: { driver: 'other/driver' } },
  csi: { csi: { driver: 'csi.example.com' } },
  'csi-other': { csi: { driver: 'other.csi.example.com' } },
  nfs: { nfs: { server: 'nfs.example.com', path: '/exports' } },
};

const commonVolumes = ['cm', 'ed', 'sec', 'sat', 'proj', 'dapi', 'pvc'];
const exoticVolumes = Object.keys(volumeChoices).filter((name) => !commonVolumes.includes(name));

const seccompField = fc.constantFrom<JsonObject>({ type: 'RuntimeDefault' }, { type: 'Unconfined' }, { type: 'Localhost', localhostProfile: 'p.json' });
const seccompAnnotationFor: Record<string, string> = { RuntimeDefault: 'runtime/default', Unconfined: 'unconfined', Localhost: 'localhost/p.json' };
const seLinuxOptions = fc.constantFrom<JsonObject>(
  { level: 's0:c1,c2' },
  { level: 's0:c3' },
  { user: 'system_u', role: 'system_r', type: 'container_t', level: 's0:c1,c2' },
  { type: 'spc_t' },
);
const ids = [0, 1, 1000, 1500, 70000] as const;

/**
 * A container's securityContext; `risk` is the percentage of draws that set each field. The fields
 * PSPs usually default (escalation, drops, read-only root, non-root) are set more often, as manifests do.
 */
const containerSecurityContext = (risk: number): fc.Arbitrary<JsonObject> =>
  fc
    .tuple(
      sparse(
        {
          privileged: fc.boolean(),
          capabilities: fc.record({ add: subset(capabilityNames, 2), drop: fc.oneof(fc.constant(['ALL']), subset(['ALL', 'all', 'NET_RAW', 'CHOWN', 'KILL'], 2)) }, { requiredKeys: [] }),
          runAsUser: fc.constantFrom(...ids),
          runAsGroup: fc.constantFrom(...ids),
          seLinuxOptions,
          procMount: fc.constantFrom('Default', 'Unmasked'),
          seccompProfile: seccompField,
        },
        risk,
      ),
      // Manifests written for PSP mostly set these to the values PSPs require.
      sparse({ allowPrivilegeEscalation: weighted([false, 3], [true, 1]), readOnlyRootFilesystem: weighted([true, 3], [false, 1]), runAsNonRoot: weighted([true, 3], [false, 1]) }, 35),
    )
    .map(([risky, common]) => {
      const s: Record<string, unknown> = { ...risky, ...common };
      // The API server refuses allowPrivilegeEscalation: false with privileged or CAP_SYS_ADMIN.
      const caps = s.capabilities as { add?: string[] } | undefined;
      if (s.allowPrivilegeEscalation === false && (s.privileged === true || caps?.add?.includes('SYS_ADMIN'))) delete s.allowPrivilegeEscalation;
      return s as JsonObject;
    });

interface ContainerDraft {
  readonly securityContext?: JsonObject;
  readonly mounts: readonly string[];
  readonly readOnlyMounts: boolean;
  readonly port?: { containerPort: number; hostPort?: number };
}

const containerDraft = (risk: number): fc.Arbitrary<ContainerDraft> =>
  fc.record({
    securityContext: sometimes(containerSecurityContext(risk), 60),
    mounts: subset(Object.keys(volumeChoices), 3),
    readOnlyMounts: fc.boolean(),
    port: sometimes(fc.record({ containerPort: fc.constantFrom(53, 80, 8080), hostPort: sometimes(fc.constantFrom(53, 80, 8080, 8500, 9443), 30) }), 30),
  });

const podSecurityContext = (risk: number): fc.Arbitrary<JsonObject> =>
  sparse(
    {
      runAsUser: fc.constantFrom(...ids),
      runAsGroup: fc.constantFrom(...ids),
      runAsNonRoot: fc.boolean(),
      fsGroup: fc.constantFrom(...ids),
      // Never []: the plugin sees an explicitly empty list as set (and refuses it under MustRunAs), but
      // a webhook is sent the pod re-encoded, where [] is dropped; no webhook can tell the two apart.
      supplementalGroups: fc.subarray([...ids], { minLength: 1, maxLength: 2 }),
      seLinuxOptions,
      sysctls: subset<JsonObject>(
        [
          { name: 'kernel.shm_rmid_forced', value: '0' },
          { name: 'net.core.somaxconn', value: '1024' },
          { name: 'kernel.msgmax', value: '65536' },
          { name: 'net.ipv4.ip_local_port_range', value: '1024 65535' },
        ],
        2,
      ),
      seccompProfile: seccompField,
    },
    risk,
  );

interface PodDraft {
  readonly spec: {
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    runtimeClassName?: string;
    serviceAccountName: string;
    securityContext?: JsonObject;
  };
  readonly volumes: readonly string[];
  readonly containers: readonly ContainerDraft[];
  readonly initContainers: readonly ContainerDraft[];
  readonly ephemeralContainers: readonly ContainerDraft[];
  readonly podSeccompAnnotation?: string;
  readonly containerSeccompAnnotation?: string;
  readonly appArmor?: string;
  readonly pspHint?: string;
}

const podDraftWith = (risk: number): fc.Arbitrary<PodDraft> =>
  fc.record({
    spec: fc
      .tuple(
        sparse({ hostNetwork: fc.boolean(), hostPID: fc.boolean(), hostIPC: fc.boolean(), runtimeClassName: fc.constantFrom('gvisor', 'kata') }, Math.ceil(risk / 2)),
        sometimes(podSecurityContext(risk), 50),
        // The ServiceAccount admission plugin, which runs before PSP, always sets serviceAccountName.
        fc.constantFrom(...serviceAccounts),
      )
      .map(([host, securityContext, serviceAccountName]) => ({ ...host, serviceAccountName, ...(securityContext ? { securityContext } : {}) })),
    volumes: fc
      .tuple(subset(commonVolumes, 3), fc.oneof({ arbitrary: fc.constant([]), weight: 100 - risk }, { arbitrary: subset(exoticVolumes, 1), weight: risk }))
      .map(([common, exotic]) => [...common, ...exotic]),
    containers: fc.array(containerDraft(risk), { minLength: 1, maxLength: 2 }),
    initContainers: fc.array(containerDraft(risk), { maxLength: 1 }),
    ephemeralContainers: fc.array(containerDraft(risk), { maxLength: 1 }),
    podSeccompAnnotation: sometimes(fc.constantFrom('runtime/default', 'docker/default', 'unconfined', 'localhost/p.json'), risk),
    containerSeccompAnnotation: sometimes(fc.constantFrom('runtime/default', 'unconfined'), risk),
    appArmor: sometimes(fc.constantFrom('runtime/default', 'localhost/custom', 'unconfined'), risk),
    pspHint: sometimes(fc.constantFrom(...pspNames), 10),
  });

/** Most pods touch few risky fields (as real manifests do), some touch many. */
const podDraft: fc.Arbitrary<PodDraft> = fc.constantFrom(1, 3, 8, 20, 45).chain(podDraftWith);

/** Turns a draft into a v1 Pod the API server accepts (names unique, mounts of existing volumes, …). */
function buildPod(d: PodDraft): JsonObject {
  const annotations: Record<string, string> = {};
  const podSc = d.spec.securityContext as Record<string, Json> | undefined;
  const podSeccomp = podSc?.seccompProfile as { type: string } | undefined;
  // Annotation and field, when both are set, must agree.
  if (d.podSeccompAnnotation && (!podSeccomp || seccompAnnotationFor[podSeccomp.type] === d.podSeccompAnnotation)) {
    annotations['seccomp.security.alpha.kubernetes.io/pod'] = d.podSeccompAnnotation;
  }
  const usedHostPorts = new Set<number>();
  const container = (prefix: string, ephemeral: boolean) => (c: ContainerDraft, i: number): JsonObject => {
    const name = `${prefix}${i}`;
    const mounts = c.mounts.filter((m) => d.volumes.includes(m));
    const out: Record<string, Json> = { name, image };
    if (!ephemeral) out.resources = { limits: { cpu: '100m', memory: '64Mi' } };
    if (mounts.length > 0) out.volumeMounts = mounts.map((m) => ({ name: m, mountPath: `/mnt/${m}`, ...(c.readOnlyMounts ? { readOnly: true } : {}) }));
    if (c.port && !ephemeral) {
      let hostPort = d.spec.hostNetwork ? c.port.containerPort : c.port.hostPort;
      if (hostPort !== undefined && usedHostPorts.has(hostPort)) hostPort = undefined;
      if (hostPort !== undefined) usedHostPorts.add(hostPort);
      // Under hostNetwork the API server defaults hostPort to containerPort, so two containers must not share one.
      if (!(d.spec.hostNetwork && hostPort === undefined)) {
        out.ports = [{ containerPort: c.port.containerPort, ...(hostPort !== undefined ? { hostPort } : {}) }];
      }
    }
    if (c.securityContext) {
      const sc = { ...c.securityContext } as Record<string, Json>;
      const field = sc.seccompProfile as { type: string } | undefined;
      if (d.containerSeccompAnnotation && (!field || seccompAnnotationFor[field.type] === d.containerSeccompAnnotation) && i === 0 && !ephemeral) {
        annotations[`container.seccomp.security.alpha.kubernetes.io/${name}`] = d.containerSeccompAnnotation;
      }
      out.securityContext = sc;
    } else if (d.containerSeccompAnnotation && i === 0 && !ephemeral) {
      annotations[`container.seccomp.security.alpha.kubernetes.io/${name}`] = d.containerSeccompAnnotation;
    }
    if (d.appArmor && i === 0 && !ephemeral) annotations[`container.apparmor.security.beta.kubernetes.io/${name}`] = d.appArmor;
    return out as JsonObject;
  };
  const containers = d.containers.map(container('c', false));
  const initContainers = d.initContainers.map(container('i', false));
  const ephemeralContainers = d.ephemeralContainers.map(container('e', true));
  if (d.pspHint) annotations['kubernetes.io/psp'] = d.pspHint;
  const spec: Record<string, Json> = { ...(d.spec as Record<string, Json>), containers };
  if (initContainers.length > 0) spec.initContainers = initContainers;
  if (ephemeralContainers.length > 0) spec.ephemeralContainers = ephemeralContainers;
  if (d.volumes.length > 0) spec.volumes = d.volumes.map((name) => ({ name, ...volumeChoices[name]! }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', labels: { app: 'p' }, ...(Object.keys(annotations).length > 0 ? { annotations } : {}) },
    spec,
  };
}

// ---- cases ----------------------------------------------------------------------------------------

export type UpdateKind = 'label' | 'image' | 'annotation' | 'owner-references' | 'psp-annotation';

interface CaseDraft {
  readonly article: boolean;
  readonly policies: readonly { name: string; spec: JsonObject; annotations: JsonObject; grants: readonly Grant[] }[];
  readonly articleExtra: boolean;
  readonly user: UserInfo;
  readonly namespace: string;
  readonly pod: PodDraft;
  readonly update?: UpdateKind;
  readonly breakage?: Breakage;
}

/**
 * Mistakes the API server refuses, put into the first PSP (or its RBAC) of a few cases: wasmgate's
 * config_errors must refuse that data too.
 */
const breakages = {
  'drop-meets-allowed': (spec: Record<string, unknown>) => ({ ...spec, allowedCapabilities: ['CHOWN'], requiredDropCapabilities: ['CHOWN'] }),
  'drop-with-wildcard': (spec: Record<string, unknown>) => ({ ...spec, allowedCapabilities: ['*'], requiredDropCapabilities: ['ALL'] }),
  'default-escalation-without-escalation': (spec: Record<string, unknown>) => ({ ...spec, allowPrivilegeEscalation: false, defaultAllowPrivilegeEscalation: true }),
  'may-run-as-without-ranges': (spec: Record<string, unknown>) => ({ ...spec, fsGroup: { rule: 'MayRunAs' } }),
  'range-min-above-max': (spec: Record<string, unknown>) => ({ ...spec, supplementalGroups: { rule: 'MustRunAs', ranges: [{ min: 10, max: 1 }] } }),
  'unknown-rule': (spec: Record<string, unknown>) => ({ ...spec, runAsUser: { rule: 'MustRunAsRoot' } }),
  'unknown-volume': (spec: Record<string, unknown>) => ({ ...spec, volumes: ['configMap', 'bogus'] }),
  'host-path-backsteps': (spec: Record<string, unknown>) => ({ ...spec, allowedHostPaths: [{ pathPrefix: '/var/../etc' }] }),
  'sysctl-overlap': (spec: Record<string, unknown>) => ({ ...spec, allowedUnsafeSysctls: ['net.core.somaxconn'], forbiddenSysctls: ['net.*'] }),
  'runtime-class-default-not-allowed': (spec: Record<string, unknown>) => ({ ...spec, runtimeClass: { allowedRuntimeClassNames: ['gvisor'], defaultRuntimeClassName: 'kata' } }),
  'proc-mount-unknown': (spec: Record<string, unknown>) => ({ ...spec, allowedProcMountTypes: ['Masked'] }),
} as const;
type Breakage = keyof typeof breakages;

const randomPolicies = fc.uniqueArray(
  fc.record({
    name: fc.constantFrom(...pspNames),
    spec: pspSpec,
    annotations: fc.oneof({ arbitrary: fc.constant({}), weight: 2 }, { arbitrary: pspAnnotations, weight: 1 }),
    grants: fc.oneof({ arbitrary: fc.constant([]), weight: 1 }, { arbitrary: fc.array(grant, { minLength: 1, maxLength: 2 }), weight: 5 }),
  }),
  { minLength: 1, maxLength: 3, selector: (p) => p.name },
);

const caseDraft = (requesters: readonly UserInfo[]): fc.Arbitrary<CaseDraft> =>
  fc.record(
    {
      // Half the cases run under the article's two PSPs exactly as the defaults ship them.
      article: fc.boolean(),
      policies: randomPolicies,
      articleExtra: fc.boolean(),
      user: fc.constantFrom(...requesters),
      namespace: fc.constantFrom(...namespaces),
      pod: podDraft,
      update: sometimes(fc.constantFrom<UpdateKind>('label', 'image', 'annotation', 'owner-references', 'psp-annotation'), 20),
      breakage: sometimes(fc.constantFrom(...(Object.keys(breakages) as Breakage[])), 3),
    },
  );

function toCase(d: CaseDraft, id: string): GeneratedCase {
  let policies: JsonObject[];
  let rbac: JsonObject[];
  if (d.article) {
    policies = [articlePolicies.restricted, articlePolicies.unbound];
    rbac = [...articleRbac];
  } else {
    // Random PSPs, with the article's restricted sometimes beside them (never under the same name).
    const random = d.policies.filter((p) => !(d.articleExtra && p.name === 'restricted'));
    policies = random.map((p, i) => psp(p.name, i === 0 && d.breakage ? (breakages[d.breakage](p.spec) as JsonObject) : p.spec, p.annotations));
    rbac = random.flatMap((p, i) => rbacFor(p.name, p.grants, i));
    if (d.articleExtra) {
      policies.push(articlePolicies.restricted);
      rbac.push(articleRbac[0]!, articleRbac[1]!);
    }
  }
  return { case: { id, policies, rbac, userInfo: d.user, namespace: d.namespace, operation: 'CREATE', pod: buildPod(d.pod) }, ...(d.update ? { update: d.update } : {}) };
}

/**
 * The UPDATE of a stored pod (what an earlier CREATE left, e.g. the oracle's admitted pod): `kind`
 * says what the update changes. Ephemeral containers are only ever added through their subresource
 * (PSP does not see that), so a stored pod's stay as they are on both sides.
 */
export function updateOf(create: PspCase, stored: JsonObject, kind: UpdateKind): PspCase {
  // Objects read back from the API server carry a resourceVersion, which an update must send.
  const oldPod = structuredClone(stored) as { metadata: Record<string, Json> };
  oldPod.metadata.resourceVersion = '1';
  const updated = structuredClone(oldPod) as { metadata: Record<string, Json>; spec: { containers: Record<string, Json>[] } };
  const annotations = (updated.metadata.annotations ?? {}) as Record<string, Json>;
  switch (kind) {
    case 'label':
      updated.metadata.labels = { app: 'p', version: 'v2' };
      break;
    case 'image':
      updated.spec.containers[0]!.image = 'quay.io/cybozu/ubuntu:24.04';
      break;
    case 'annotation':
      updated.metadata.annotations = { ...annotations, 'example.com/rev': '2' };
      break;
    case 'owner-references':
      updated.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: '6f1d5c3e-0000-4000-8000-000000000001' }];
      updated.metadata.finalizers = ['example.com/keep'];
      break;
    case 'psp-annotation':
      updated.metadata.annotations = { ...annotations, 'kubernetes.io/psp': 'z-last' };
      break;
  }
  return { ...create, id: `${create.id}-update`, operation: 'UPDATE', pod: updated as unknown as JsonObject, oldPod: oldPod as unknown as JsonObject };
}

export interface GeneratedCase {
  /** A CREATE. */
  readonly case: PspCase;
  /** When set, the case is followed by an UPDATE of the pod it stored (see updateOf). */
  readonly update?: UpdateKind;
}

/** A member of system:masters, whom kube-apiserver lets use every PSP whatever RBAC says. */
export const systemMastersUser: UserInfo = { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] };

/** `count` cases drawn deterministically from `seed` (ids `<seed>-<n>`). */
export function generateCases(count: number, seed: number): GeneratedCase[] {
  if (!Number.isInteger(count) || count < 0) throw new Error(`case count ${count}: must be a non-negative integer`);
  if (count === 0) return [];
  return fc.sample(caseDraft([...users, systemMastersUser]), { seed, numRuns: count }).map((d, i) => toCase(d, `${seed}-${i}`));
}
