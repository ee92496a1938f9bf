// `wasmgate eval` against the real thing: each manifest goes through `kubectl create --dry-run=server`
// on a real kube-apiserver (no webhooks registered, so the object comes back as the API server has
// normalised and defaulted it) and through `wasmgate eval --show-request`; every field eval claims to
// normalise or default (README, "Offline") must be what the API server made of it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';
import { startCluster } from './cluster.js';
import { stopAll } from './processes.js';

type Obj = Record<string, any>;

const dir = mkdtempSync(join(tmpdir(), 'wasmgate-e2e-eval-'));
t.teardown(async () => {
  await stopAll();
  if (t.passing()) rmSync(dir, { recursive: true, force: true });
  else console.error(`e2e: logs of etcd and kube-apiserver kept in ${dir}`);
});

const cluster = await startCluster(dir);
const kubectl = cluster.admin.kubectl;

/** What the API server stores for a manifest (a server-side dry run). */
async function stored(manifest: Obj): Promise<Obj> {
  const run = await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], JSON.stringify(manifest));
  if (run.code !== 0) throw new Error(`kubectl create --dry-run=server failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as Obj;
}

/** The object of the review `wasmgate eval` builds for a manifest. */
function sent(manifest: Obj): Obj {
  const run = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'eval', '--show-request', '-'], { input: JSON.stringify(manifest), encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`wasmgate eval --show-request failed: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { request: { object: Obj } }).request.object;
}

/** What eval defaults in a pod spec: ports, resources, volumes (without the defaultMode it leaves alone). */
function defaulted(spec: Obj): Obj {
  const lists = ['containers', 'initContainers'].map((list) => (spec[list] ?? []).map((c: Obj) => ({ ports: c.ports, resources: c.resources })));
  const volumes = (spec.volumes ?? []).map((v: Obj) => (v.configMap ? { ...v, configMap: { name: v.configMap.name } } : v));
  return { lists, volumes };
}

const podSpec = {
  hostNetwork: true,
  volumes: [{ name: 'scratch' }, { name: 'conf', configMap: { name: 'c' } }],
  initContainers: [{ name: 'init', image: 'x', ports: [{ containerPort: 80, hostPort: 8080 }, { containerPort: 81 }], resources: { limits: { cpu: '1' } } }],
  containers: [{ name: 'main', image: 'x', ports: [{ containerPort: 53, protocol: 'UDP' }, { containerPort: 9 }], resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m' } } }],
};

t.before(async () => {
  await kubectl(['create', 'namespace', 'shop']);
  // No controller-manager makes the namespace's default service account, which admission of a Pod needs.
  await kubectl(['create', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'shop' }, automountServiceAccountToken: false }));
});

t.test('a hostNetwork Pod: host ports, requests from limits, TCP, emptyDir', async (t) => {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: podSpec };
  const [real, ours] = [await stored(pod), sent(pod)];
  t.same(defaulted(ours.spec), defaulted(real.spec));
  t.equal(real.spec.containers[0].ports[1].hostPort, 9, 'the API server did default a host port (the check is not vacuous)');
});

t.test('a Deployment’s pod template: TCP and emptyDir, but no host ports and no requests from limits', async (t) => {
  const workload = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'd' } }, template: { metadata: { labels: { app: 'd' } }, spec: podSpec } } };
  const [real, ours] = [await stored(workload), sent(workload)];
  t.same(defaulted(ours.spec.template.spec), defaulted(real.spec.template.spec));
  t.equal(real.spec.template.spec.containers[0].ports[1].hostPort, undefined);
});

t.test('a cluster-scoped object loses its namespace; a Namespace gets its name label', async (t) => {
  const role = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r', namespace: 'kube-system' }, rules: [] };
  const [realRole, ourRole] = [await stored(role), sent(role)];
  t.equal(realRole.metadata.namespace, undefined);
  t.equal(ourRole.metadata.namespace, realRole.metadata.namespace);
  const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fresh' } };
  t.same(sent(namespace).metadata.labels, (await stored(namespace)).metadata.labels);
});

t.test('YAML the real kubectl refuses, eval refuses at its line; what kubectl reads, eval reads the same', async (t) => {
  const unrendered = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: shop\ndata:\n  a: {{ .Values.a }}\n';
  const refused = await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], unrendered);
  t.not(refused.code, 0);
  t.match(refused.stderr, /error converting YAML to JSON/);
  const ours = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'eval', '-o', 'json', '-'], { input: unrendered, encoding: 'utf8' });
  t.equal(ours.status, 2);
  t.match(JSON.parse(ours.stdout).errors, [{ file: '<stdin>', line: 7, message: /used as a mapping key, which kubectl refuses/ }]);

  const twice = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: shop\ndata:\n  a: first\n  a: second\n';
  const read = await kubectl(['create', '--dry-run=server', '-o', 'json', '-f', '-'], twice);
  t.equal(read.code, 0, read.stderr);
  const shown = spawnSync(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'eval', '--show-request', '-'], { input: twice, encoding: 'utf8' });
  t.same(JSON.parse(shown.stdout).request.object.data, JSON.parse(read.stdout).data, 'a key given twice: the later value, as kubectl');
});
