// Deterministic, realistic benchmark inputs: AdmissionReviews of Pods and Deployments sized to a target,
// a mixed-kind manifest corpus for the offline workload (some documents violating), and a 5 MB outlier.
// Everything derives from a seeded PRNG, so every run and every peer sees the same bytes.

/** mulberry32: small, fast, seeded. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (r, list) => list[Math.floor(r() * list.length)];
const hex = (r, n) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

const allowedImages = ['quay.io/cybozu/nginx:1.27', 'ghcr.io/cybozu/redis:7.4', 'ghcr.io/cybozu-go/moco-agent:0.13', 'registry.k8s.io/pause:3.10'];
const namespaces = ['team-a', 'team-b', 'payments', 'search', 'monitoring'];

function container(r, index, { violate }) {
  const name = `c${index}-${hex(r, 4)}`;
  const env = Array.from({ length: 4 + Math.floor(r() * 8) }, (_, i) => ({ name: `ENV_${i}_${hex(r, 3).toUpperCase()}`, value: hex(r, 12 + Math.floor(r() * 20)) }));
  return {
    name,
    image: violate === 'registry' && index === 0 ? `docker.io/library/nginx:1.27` : pick(r, allowedImages),
    imagePullPolicy: 'IfNotPresent',
    args: ['--port=8080', `--log-level=${pick(r, ['info', 'debug', 'warn'])}`],
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    env,
    resources: {
      requests: { cpu: `${100 + Math.floor(r() * 400)}m`, memory: `${64 + Math.floor(r() * 448)}Mi` },
      limits: { cpu: `${1 + Math.floor(r() * 2)}`, memory: `${512 + Math.floor(r() * 512)}Mi` },
    },
    volumeMounts: [
      { name: 'config', mountPath: '/etc/app', readOnly: true },
      { name: 'tmp', mountPath: '/tmp' },
    ],
    livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 10, periodSeconds: 10 },
    readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 5 },
    securityContext:
      violate === 'privileged' && index === 0
        ? { privileged: true, allowPrivilegeEscalation: true }
        : {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
          },
  };
}

function podSpec(r, containers, opts) {
  return {
    serviceAccountName: 'default',
    // As the validating webhook sees a pod the PSP mutation already defaulted (no seccompProfile:
    // the default restricted PodSecurityPolicy allows none).
    securityContext: { runAsNonRoot: true, runAsUser: 10000, fsGroup: 10000, supplementalGroups: [10000] },
    containers: Array.from({ length: containers }, (_, i) => container(r, i, opts)),
    volumes: [
      { name: 'config', configMap: { name: `cfg-${hex(r, 6)}` } },
      { name: 'tmp', emptyDir: {} },
    ],
    ...(opts.violate === 'hostNetwork' ? { hostNetwork: true } : {}),
  };
}

function metadata(r, name, namespace, extraAnnotations) {
  const annotations = {};
  for (let i = 0; i < extraAnnotations; i++) annotations[`example.com/note-${i}`] = hex(r, 40);
  return {
    name,
    namespace,
    uid: `${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}`,
    labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'bench', team: namespace },
    annotations,
  };
}

/** A Pod or Deployment object with `containers` containers; `pad` extra annotations fine-tune its size. */
export function workloadObject({ seed, kind, containers, pad = 0, violate, namespace }) {
  const r = rng(seed);
  const ns = namespace ?? pick(r, namespaces);
  const name = `${kind.toLowerCase()}-${hex(r, 6)}`;
  if (kind === 'Pod') {
    return { apiVersion: 'v1', kind: 'Pod', metadata: metadata(r, name, ns, pad), spec: podSpec(r, containers, { violate }) };
  }
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(r, name, ns, pad),
    spec: {
      replicas: 3,
      selector: { matchLabels: { 'app.kubernetes.io/name': name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: { metadata: { labels: { 'app.kubernetes.io/name': name } }, spec: podSpec(r, containers, { violate }) },
    },
  };
}

const groupOf = (apiVersion) => (apiVersion.includes('/') ? apiVersion.split('/')[0] : '');
const versionOf = (apiVersion) => (apiVersion.includes('/') ? apiVersion.split('/')[1] : apiVersion);
const plural = { Pod: 'pods', Deployment: 'deployments', ConfigMap: 'configmaps', Service: 'services', Namespace: 'namespaces', NetworkPolicy: 'networkpolicies' };

/** Wraps an object into the AdmissionReview v1 a kube-apiserver sends for its CREATE. */
export function admissionReview(object, uid = '705ab4f5-6393-11e8-b7cc-42010a800002') {
  const { apiVersion, kind } = object;
  const gvk = { group: groupOf(apiVersion), version: versionOf(apiVersion), kind };
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: gvk,
      resource: { group: gvk.group, version: gvk.version, resource: plural[kind] ?? `${kind.toLowerCase()}s` },
      requestKind: gvk,
      requestResource: { group: gvk.group, version: gvk.version, resource: plural[kind] ?? `${kind.toLowerCase()}s` },
      name: object.metadata?.name,
      namespace: object.metadata?.namespace,
      operation: 'CREATE',
      userInfo: { username: 'alice@example.com', uid: 'u-1', groups: ['developers', 'system:authenticated'] },
      object,
      oldObject: null,
      dryRun: false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' },
    },
  };
}

/**
 * The W1 sizes: AdmissionReviews of about 2, 6, 12 and 20 KB (Pods and Deployments with 1–6
 * containers), each padded with annotations to within a few percent of its target.
 */
export const sizedCases = [
  { id: '2KB', targetBytes: 2 * 1024, kind: 'Pod', containers: 1, seed: 11 },
  { id: '6KB', targetBytes: 6 * 1024, kind: 'Deployment', containers: 2, seed: 12 },
  { id: '12KB', targetBytes: 12 * 1024, kind: 'Deployment', containers: 4, seed: 13 },
  { id: '20KB', targetBytes: 20 * 1024, kind: 'Pod', containers: 6, seed: 14 },
];

export function sizedReview({ targetBytes, kind, containers, seed }) {
  let best;
  for (let pad = 0; pad < 400; pad++) {
    const review = admissionReview(workloadObject({ seed, kind, containers, pad, namespace: 'team-a' }));
    const bytes = Buffer.byteLength(JSON.stringify(review));
    best = { review, bytes };
    if (bytes >= targetBytes * 0.97) break;
  }
  return best;
}

/** A ~5 MB AdmissionReview: a ConfigMap-carrying... no, a Pod with a very large annotation set. */
export function outlierReview(targetBytes = 5 * 1024 * 1024) {
  const object = workloadObject({ seed: 99, kind: 'Pod', containers: 6, namespace: 'team-b' });
  const r = rng(100);
  const chunk = 4000;
  for (let i = 0; i * chunk < targetBytes; i++) object.metadata.annotations[`bulk.example.com/${i}`] = hex(r, chunk);
  return admissionReview(object, 'outlier-5mb');
}

const violations = [undefined, undefined, undefined, 'registry', 'privileged', 'hostNetwork'];
const corpusViolations = [...Array(9).fill(undefined), 'registry', 'privileged', 'hostNetwork'];

/**
 * The offline corpus: `count` manifests of mixed kinds (Deployments, Pods, ConfigMaps, Services), about
 * one in six carrying a violation, as objects. Deterministic for a given count.
 */
export function manifestCorpus(count, seed = 7) {
  const r = rng(seed);
  const out = [];
  for (let i = 0; i < count; i++) {
    const kind = pick(r, ['Deployment', 'Deployment', 'Pod', 'ConfigMap', 'Service']);
    const ns = pick(r, namespaces);
    if (kind === 'ConfigMap') {
      out.push({ apiVersion: 'v1', kind, metadata: { name: `cm-${i}`, namespace: ns }, data: { 'app.conf': `key=${hex(r, 32)}\nother=${hex(r, 16)}` } });
    } else if (kind === 'Service') {
      out.push({ apiVersion: 'v1', kind, metadata: { name: `svc-${i}`, namespace: ns }, spec: { selector: { app: `a${i}` }, ports: [{ port: 80, targetPort: 8080 }] } });
    } else {
      const object = workloadObject({ seed: seed * 1_000_003 + i, kind, containers: 1 + Math.floor(r() * 3), violate: pick(r, corpusViolations), namespace: ns });
      object.metadata.name = `${kind.toLowerCase()}-${i}`;
      delete object.metadata.uid;
      out.push(object);
    }
  }
  return out;
}

/**
 * The W5 input mix: 64 distinct reviews of varied sizes (1–6 containers, Pods and Deployments, some
 * violating), so evaluations do not all hit one cached shape.
 */
export function variedReviews(n = 64) {
  return Array.from({ length: n }, (_, i) =>
    admissionReview(
      workloadObject({ seed: 500 + i, kind: i % 2 ? 'Pod' : 'Deployment', containers: 1 + (i % 6), pad: i % 13, violate: violations[i % violations.length] }),
      `varied-${i}`,
    ),
  );
}
