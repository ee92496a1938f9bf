import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { evalCommand, sharedEngine } from '../helpers/eval-cli.js';
import { compilePolicies, repoRoot } from '../helpers/policies.js';

// `wasmgate eval` sends what the API server would send: each test has a small manifest of its own,
// decided by a stand-in policy whose `locked` rule denies anything in namespace "locked".
const compiled = await compilePolicies(join(repoRoot, 'test', 'harness', 'policies', 'good'));
const openEngine = await sharedEngine(compiled, (fn) => t.teardown(fn));

const dir = mkdtempSync(join(tmpdir(), 'wasmgate-fidelity-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};

const evalJson = async (args: string[], stdin = '') => {
  const run = await evalCommand(['-o', 'json', ...args], stdin, { openEngine });
  return { ...run, report: run.stdout ? JSON.parse(run.stdout) : undefined };
};

const crd = (kind: string, plural: string, scope: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${plural}.example.com
spec:
  group: example.com
  names: {kind: ${kind}, plural: ${plural}}
  scope: ${scope}
  versions: [{name: v1, served: true, storage: true}]
`;

const widget = (kind: string) => `apiVersion: example.com/v1
kind: ${kind}
metadata:
  name: w
  namespace: locked
  labels: {team: a}
`;

t.test('a cluster-scoped object is sent without its metadata.namespace', async (t) => {
  const role = 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: locked\n  labels: {team: a}\nrules: []\n';
  const { code, report } = await evalJson(['-'], role);
  t.equal(code, 0, 'the namespace the API server drops does not lock it');
  t.match(report.results, [{ kind: 'ClusterRole', name: 'reader', outcome: 'allowed' }]);
  t.notOk('namespace' in report.results[0]);
  const cm = await evalJson(['-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: locked\n  labels: {team: a}\n');
  t.equal(cm.code, 1, 'a namespaced object keeps its namespace');
});

t.test('a CRD among the inputs decides its kind’s scope and plural', async (t) => {
  const both = file('crd/both.yaml', `${crd('Pool', 'pools', 'Cluster')}---\n${widget('Pool')}`);
  const { code, report } = await evalJson([both]);
  t.equal(code, 0);
  t.match(report.results[1], { kind: 'Pool', name: 'w', outcome: 'allowed' });
  t.same(report.notes, [], 'no note: the scope is known');
  // The CRD may come after its objects, in another file.
  const later = await evalJson([file('crd/objects.yaml', widget('Pool')), file('crd/defs.yaml', crd('Pool', 'pools', 'Cluster'))]);
  t.equal(later.code, 0);
  const namespaced = await evalJson([file('crd/ns.yaml', `${crd('Pool', 'pools', 'Namespaced')}---\n${widget('Pool')}`)]);
  t.equal(namespaced.code, 1, 'a Namespaced CRD keeps the namespace');
  t.match(namespaced.report.results[1], { namespace: 'locked', outcome: 'denied' });
});

t.test('--crds names CRDs that are read for scope, not decided', async (t) => {
  const defs = file('crds/pool.yaml', crd('Pool', 'pools', 'Cluster'));
  const { code, report } = await evalJson(['--crds', defs, '-'], widget('Pool'));
  t.equal(code, 0);
  t.equal(report.results.length, 1, 'only the object is decided');
  t.equal(report.summary.files, 1);
  const missing = await evalJson(['--crds', join(dir, 'none.yaml'), '-'], widget('Pool'));
  t.equal(missing.code, 2);
  t.match(missing.report.errors, [{ file: join(dir, 'none.yaml'), message: 'no such file or directory' }]);
});

t.test('the plural of a CRD is the request’s resource', async (t) => {
  const show = await evalCommand(['--show-request', '--crds', file('crds/oddity.yaml', crd('Octopus', 'octopodes', 'Namespaced')), '-'], widget('Octopus'), { openEngine });
  t.equal(show.code, 0);
  t.match(JSON.parse(show.stdout).request.resource, { group: 'example.com', version: 'v1', resource: 'octopodes' });
});

t.test('a kind nothing defines is taken as namespaced, with a note saying so once', async (t) => {
  const { code, report } = await evalJson(['-'], `${widget('Gadget')}---\n${widget('Gadget')}`);
  t.equal(code, 1);
  t.match(report.results, [{ namespace: 'locked', outcome: 'denied' }, { namespace: 'locked', outcome: 'denied' }]);
  t.equal(report.notes.length, 1);
  t.match(report.notes[0], { file: '<stdin>', line: 1, document: 0, message: /Gadget \(example\.com\/v1\) is not a built-in kind .* taken as namespaced, resource "gadgets"; give its CRD with --crds/ });
  const text = await evalCommand(['-'], widget('Gadget'), { openEngine });
  t.match(text.stdout, /i note\s+line 1, document 0\s+Gadget/);
});

t.test('API-server defaulting: a hostNetwork Pod’s ports get hostPort = containerPort, in every container list', async (t) => {
  const hostPorts = await compilePolicies(join(repoRoot, 'test', 'cli', 'policies', 'host-ports'));
  const engine = await sharedEngine(hostPorts, (fn) => t.teardown(fn));
  const pod = (hostNetwork: boolean) => `apiVersion: v1
kind: Pod
metadata:
  name: dns
spec:
  hostNetwork: ${hostNetwork}
  initContainers:
    - name: setup
      image: x
      ports:
        - containerPort: 8080
  containers:
    - name: dns
      image: x
      ports:
        - containerPort: 53
          protocol: UDP
`;
  const run = await evalCommand(['-o', 'json', '-'], pod(true), { openEngine: engine });
  t.equal(run.code, 1, 'denied offline as the cluster denies it');
  t.match(JSON.parse(run.stdout).results[0].violations, [
    { path: 'spec.containers[0].ports[0].hostPort', message: 'container "dns" uses host port 53', line: 16 },
    { path: 'spec.initContainers[0].ports[0].hostPort', message: 'container "setup" uses host port 8080', line: 11 },
  ]);
  t.equal((await evalCommand(['-'], pod(false), { openEngine: engine })).code, 0, 'without hostNetwork nothing is defaulted');
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: {name: dns}
spec:
  template:
    spec:
      hostNetwork: true
      containers: [{name: dns, image: x, ports: [{containerPort: 53}]}]
`;
  const shown = JSON.parse((await evalCommand(['--show-request', '-'], deployment, { openEngine: engine })).stdout);
  t.same(shown.request.object.spec.template.spec.containers[0].ports, [{ containerPort: 53, protocol: 'TCP' }], 'pod templates are not given host ports (Kubernetes ≥ 1.28)');
});

t.test('YAML kubectl refuses is an input error at file:line; the other files are still decided', async (t) => {
  const unrendered = file('chart/pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: {{ .Values.image }}\n');
  const fine = file('chart-ok/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {team: a}\n');
  const { code, report } = await evalJson([unrendered, fine]);
  t.equal(code, 2);
  t.match(report.results, [{ name: 'c', outcome: 'allowed' }]);
  t.match(report.errors, [{ file: unrendered, line: 8, message: /a mapping is used as a mapping key, which kubectl refuses/ }]);
  const github = await evalCommand(['-o', 'github', unrendered], '', { openEngine });
  t.match(github.stdout, /::error file=.*pod\.yaml,line=8,col=13,title=wasmgate%3A input error::YAML syntax error: a mapping is used as a mapping key/);
});

t.test('a key given twice keeps the later value, as kubectl does, with a note', async (t) => {
  const { code, report } = await evalJson(['-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: locked\n  labels: {team: a}\n  namespace: open\n');
  t.equal(code, 0, 'namespace "open", the later one, is what kubectl sends');
  t.match(report.results, [{ namespace: 'open', outcome: 'allowed' }]);
  t.match(report.notes, [{ file: '<stdin>', line: 7, message: 'the key "namespace" is given twice in one mapping (lines 5 and 7): the later value is used, as kubectl does' }]);
});

t.test('lines are those of the field itself, in every output, also inside an AdmissionReview document', async (t) => {
  const review = `apiVersion: admission.k8s.io/v1
kind: AdmissionReview
request:
  uid: u1
  kind: {group: "", version: v1, kind: Pod}
  resource: {group: "", version: v1, resource: pods}
  namespace: shop
  operation: CREATE
  userInfo: {username: alice}
  object:
    apiVersion: v1
    kind: Pod
    metadata:
      name: p
    spec:
      containers:
      - name: c
        image: evil.io/x
        imagePullPolicy: Always
`;
  const path = file('review.yaml', review);
  const { report } = await evalJson([path]);
  t.match(report.results[0].violations, [
    { policy: 'labels', path: 'metadata.labels', line: 13 },
    { policy: 'registries', path: 'spec.containers[0].image', line: 18 },
  ], 'a missing labels: the line of metadata; the image: its own line');
  const github = await evalCommand(['-o', 'github', path], '', { openEngine });
  t.match(github.stdout, /::error file=[^,]*review\.yaml,line=18,title=registries/);
  const sarif = JSON.parse((await evalCommand(['-o', 'sarif', path], '', { openEngine })).stdout);
  t.same(sarif.runs[0].results.map((r: { locations: { physicalLocation: { region: { startLine: number } } }[] }) => r.locations[0]!.physicalLocation.region.startLine), [13, 18]);
  const text = await evalCommand([path], '', { openEngine });
  t.match(text.stdout, /\(spec\.containers\[0\]\.image, line 18\)/);
});

t.test('a kustomize source tree is decided, not an input error: its kustomization is skipped with a note', async (t) => {
  file('tree/kustomization.yaml', 'resources: [cm.yaml]\npatches: [{path: patch.yaml}]\n');
  file('tree/cm.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: {team: a}\n');
  file('tree/patch.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n');
  file('tree/values.yaml', 'replicas: 2\n');
  file('tree/ignored/bad.yaml', 'not: [valid\n');
  const { code, report } = await evalJson(['--ignore', 'ignored', join(dir, 'tree')]);
  t.equal(code, 0);
  t.match(report.results, [{ name: 'c', outcome: 'allowed' }]);
  t.equal(report.results.length, 1, 'the patch is not decided as an object');
  t.same(report.errors, []);
  t.same(report.notes.map((n: { file: string }) => n.file.slice(dir.length + 1)), ['tree/kustomization.yaml', 'tree/values.yaml', 'tree/patch.yaml']);
  const text = await evalCommand(['--ignore', 'ignored', join(dir, 'tree')], '', { openEngine });
  t.match(text.stdout, /tree\/kustomization\.yaml\n\s+i note\s+a kustomization, not a manifest: skipped \(decide what it builds: kustomize build .*tree \| wasmgate eval -\)/);
  t.match(text.stdout, /1 document in 1 file: 1 allowed, 0 warned, 0 denied\n$/);
});

t.test('-o json: summary.errors counts the errors list', async (t) => {
  const { code, report } = await evalJson([file('summary/ok.yaml', widget('ConfigMap').replace('example.com/v1', 'v1').replace('locked', 'open')), join(dir, 'summary', 'missing.yaml')]);
  t.equal(code, 2);
  t.equal(report.errors.length, 1);
  t.match(report.summary, { errors: 1, evaluationErrors: 0, documents: 1, allowed: 1 });
});

t.test('a bad --data file is reported in eval’s words, not the server’s reload wording', async (t) => {
  const bad = file('data/bad.yaml', 'config:\n  registry: 42\n  admins: []\n');
  const run = await evalCommand(['--policy', compiled, '--data', bad, '-'], widget('ConfigMap'));
  t.equal(run.code, 2);
  t.equal(run.stderr, `wasmgate eval: cannot load the policy: --data ${bad} is rejected by the policy's config_errors:\n  - config.registry must be a string\n`);
  t.notMatch(run.stderr, /previous data/);
});

t.test('-o github names files relative to the working directory', async (t) => {
  const path = join(repoRoot, 'deploy', 'deployment.yaml');
  const run = await evalCommand(['-o', 'github', path], '', { openEngine });
  t.match(run.stdout, /^::error file=deploy\/deployment\.yaml,line=\d+,title=registries/m, 'an absolute path under the working directory becomes relative');
  const stdin = await evalCommand(['-o', 'github', '-'], widget('Gadget'), { openEngine });
  t.match(stdin.stdout, /^::error file=<stdin>,line=1,title=locked/m);
});

t.test('with the project’s own policy: the quantity "-0" is zero, a ClusterRole has no namespace', async (t) => {
  const pod = (cpu: string) => `apiVersion: v1
kind: Pod
metadata: {name: p, namespace: shop}
spec:
  containers:
  - name: c
    image: ghcr.io/cybozu/app:1
    resources:
      requests: {cpu: "${cpu}", memory: 1Mi}
      limits: {cpu: "1", memory: 1Mi}
`;
  const limits = async (cpu: string) => {
    const run = await evalCommand(['-o', 'json', '-'], pod(cpu));
    return (JSON.parse(run.stdout).results[0].violations as { policy: string; message: string }[]).filter((v) => v.policy.startsWith('limits'));
  };
  t.same(await limits('-0'), [], 'no limits violation for "-0"');
  // And the ClusterRole: system-namespaces does not see the namespace the API server drops.
  const role = await evalCommand(['-o', 'json', '-'], 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n  namespace: kube-system\nrules: []\n');
  t.equal(role.code, 0);
  t.same(JSON.parse(role.stdout).results[0].violations, []);
  t.match(await limits('-1'), [{ policy: 'limits.invalid' }], 'a negative quantity still is one');
});

t.test('--show-request prints the AdmissionReview of each document, one JSON a line, and decides nothing', async (t) => {
  const noEngine = async () => {
    throw new Error('--show-request must not load a policy');
  };
  const input = `${widget('ConfigMap').replace('example.com/v1', 'v1')}---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: true\n  containers: [{name: c, image: evil.io/x, ports: [{containerPort: 80}]}]\n`;
  const run = await evalCommand(['--show-request', '--operation', 'UPDATE', '--user', 'alice', '--group', 'dev', '-n', 'shop', '-'], input, { openEngine: noEngine });
  t.equal(run.code, 0);
  t.equal(run.stderr, '');
  const reviews = run.stdout.trimEnd().split('\n').map((line) => JSON.parse(line));
  t.equal(reviews.length, 2);
  t.match(reviews[0], {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { kind: { kind: 'ConfigMap' }, resource: { resource: 'configmaps' }, namespace: 'locked', operation: 'UPDATE', userInfo: { username: 'alice', groups: ['dev', 'system:authenticated'] }, dryRun: true },
  });
  t.same(reviews[0].request.object, reviews[0].request.oldObject, 'UPDATE sends the object as old and new');
  t.match(reviews[1].request, { namespace: 'shop', object: { metadata: { namespace: 'shop' }, spec: { containers: [{ ports: [{ containerPort: 80, hostPort: 80, protocol: 'TCP' }] }] } } }, 'normalised and defaulted as the API server does');
  t.not(reviews[0].request.uid, reviews[1].request.uid);

  // What it prints is what eval decides: fed back, an AdmissionReview is decided as it is.
  const direct = await evalJson(['--operation', 'UPDATE', '--user', 'alice', '-n', 'shop', '-'], input);
  const replayed = await evalJson(['-'], run.stdout.trimEnd().split('\n').join('\n---\n'));
  const decisions = (report: { results: { outcome: string; violations: { line?: number }[] }[] }) =>
    report.results.map((r) => [r.outcome, r.violations.map(({ line: _line, ...v }) => v)]);
  t.same(decisions(replayed.report), decisions(direct.report));
  t.equal(direct.code, 1);

  const bad = await evalCommand(['--show-request', '-'], 'apiVersion: v1\nkind: Pod\nmetadata: {}\n', { openEngine: noEngine });
  t.equal(bad.code, 2);
  t.equal(bad.stdout, '');
  t.equal(bad.stderr, 'wasmgate eval: <stdin>:1 (document 0): the Pod has no metadata.name\n');
});
