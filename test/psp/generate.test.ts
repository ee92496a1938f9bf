// The case generator is deterministic per seed and reaches every PSP field of issue #10, with the
// pod fields that meet them.
import t from 'tap';
import { generateCases } from '../../dist/psp-diff/generate.js';

const cases = generateCases(600, 7);

t.test('the same seed gives the same cases, another seed others', async (t) => {
  t.same(generateCases(50, 7), cases.slice(0, 50));
  t.notSame(generateCases(50, 8), cases.slice(0, 50));
  t.same(generateCases(0, 7), []);
  t.throws(() => generateCases(-1, 7), /non-negative integer/);
});

t.test('some requests come from a member of system:masters, some from users RBAC alone decides for', async (t) => {
  const isAdmin = (g: { case: { userInfo: { groups: readonly string[] } } }) => g.case.userInfo.groups.includes('system:masters');
  t.ok(cases.some(isAdmin));
  t.ok(cases.some((g) => !isAdmin(g)));
});

t.test('every PSP field is exercised', async (t) => {
  const specKeys = new Set<string>();
  const annotationKeys = new Set<string>();
  const values = new Set<string>();
  for (const g of cases) {
    for (const p of g.case.policies) {
      const spec = p.spec as Record<string, unknown>;
      for (const [k, v] of Object.entries(spec)) {
        specKeys.add(k);
        values.add(`${k}=${JSON.stringify(v)}`);
      }
      for (const k of Object.keys(((p.metadata as { annotations?: object }).annotations ?? {}) as object)) annotationKeys.add(k);
    }
  }
  for (const field of [
    'privileged', 'allowPrivilegeEscalation', 'defaultAllowPrivilegeEscalation', 'allowedCapabilities', 'requiredDropCapabilities',
    'defaultAddCapabilities', 'volumes', 'allowedHostPaths', 'allowedFlexVolumes', 'allowedCSIDrivers', 'hostNetwork', 'hostPorts',
    'hostPID', 'hostIPC', 'runAsUser', 'runAsGroup', 'supplementalGroups', 'fsGroup', 'seLinux', 'readOnlyRootFilesystem',
    'allowedUnsafeSysctls', 'forbiddenSysctls', 'allowedProcMountTypes', 'runtimeClass',
  ]) {
    t.ok(specKeys.has(field), `spec.${field}`);
  }
  for (const key of [
    'seccomp.security.alpha.kubernetes.io/allowedProfileNames', 'seccomp.security.alpha.kubernetes.io/defaultProfileName',
    'apparmor.security.beta.kubernetes.io/allowedProfileNames', 'apparmor.security.beta.kubernetes.io/defaultProfileName',
  ]) {
    t.ok(annotationKeys.has(key), key);
  }
  for (const value of ['allowedCapabilities=["*"]', 'volumes=["*"]', 'runAsUser={"rule":"MustRunAs","ranges":[]}', 'seLinux={"rule":"MustRunAs"}']) {
    t.ok(values.has(value), value);
  }
  t.ok([...values].some((v) => v.startsWith('requiredDropCapabilities=') && v.includes('"all"')), 'a lower-case drop');
  t.ok(values.has('volumes=["configMap","bogus"]') || values.has('runAsUser={"rule":"MustRunAsRoot"}') || values.has('fsGroup={"rule":"MayRunAs"}'), 'some PSPs the API server refuses');
});

t.test('pods meet them: every container kind, volumes, host namespaces, seccomp/AppArmor, RBAC kinds, UPDATE', async (t) => {
  const text = JSON.stringify(cases);
  for (const needle of [
    '"initContainers"', '"ephemeralContainers"', '"hostPath"', '"flexVolume"', '"csi"', '"hostNetwork":true', '"hostPID":true', '"hostIPC":true',
    '"hostPort"', '"procMount":"Unmasked"', '"sysctls"', '"runtimeClassName"', '"seLinuxOptions"', '"net_bind_service"', '"add":["NET_BIND_SERVICE"',
    'seccomp.security.alpha.kubernetes.io/pod', 'container.seccomp.security.alpha.kubernetes.io/', 'container.apparmor.security.beta.kubernetes.io/',
    '"seccompProfile"', '"kind":"RoleBinding"', '"kind":"Role"', '"kind":"ClusterRoleBinding"', '"kind":"ServiceAccount"', '"apiGroups":["extensions"]',
  ]) {
    t.ok(text.includes(needle), needle);
  }
  const updates = new Set(cases.flatMap((g) => (g.update ? [g.update] : [])));
  t.same([...updates].sort(), ['annotation', 'image', 'label', 'owner-references', 'psp-annotation']);
  t.ok(cases.some((g) => g.case.rbac.length === 4 && g.case.policies.length === 2), "the article's PSPs and RBAC as shipped");
});
