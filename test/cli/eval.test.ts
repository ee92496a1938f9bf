import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import t from 'tap';
import { cli, evalCommand as run, sharedEngine, wasmgate } from '../helpers/eval-cli.js';
import { compilePolicies, repoRoot, shippedBundle } from '../helpers/policies.js';

const goodPolicy = join(repoRoot, 'test', 'harness', 'policies', 'good');
const compiled = await compilePolicies(goodPolicy);
const shared = await sharedEngine(compiled, (fn) => t.teardown(fn));

/** In process, on the shared engine unless the run must load its own (--policy, --data). */
const evalCommand = (args: string[], stdin = '', options: { ownEngine?: boolean; tty?: boolean; env?: NodeJS.ProcessEnv } = {}) =>
  run(args, stdin, { ...options, ...(options.ownEngine ? {} : { openEngine: shared }) });

const evalJson = async (args: string[], input?: string) => {
  const run = await evalCommand(['--policy', compiled, '-o', 'json', ...args], input);
  return { ...run, report: run.stdout ? JSON.parse(run.stdout) : undefined };
};

const pod = (name: string, image: string, team = true, extra = '') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
${team ? '  labels: {team: shop}\n' : ''}${extra}spec:
  containers:
    - name: main
      image: ${image}
`;

const dir = mkdtempSync(join(tmpdir(), 'wasmgate-cli-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
};
const allowed = file('ok/allowed.yaml', pod('fine', 'good.io/app:1'));
const denied = file('bad/denied.yaml', `${pod('fine', 'good.io/app:1')}---\n${pod('evil', 'evil.io/app:1')}`);
const warned = file('warn.yaml', pod('plain', 'good.io/app:1', false));
const broken = file('broken/broken.yaml', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n');

t.test('help answers for the program and each command', async (t) => {
  const [root, evalHelp, testHelp] = [['--help'], ['eval', '--help'], ['test', '--help']].map((args) => wasmgate(args));
  for (const run of [root, evalHelp, testHelp]) {
    t.equal(run!.code, 0);
    t.match(run!.stdout, /^Usage: wasmgate/);
  }
  t.match(root!.stdout, /eval \[options\] \[paths\.\.\.\]/);
  t.match(evalHelp!.stdout, /--output <format>\s+output format \(choices: "text", "json", "junit",\s+"tap", "sarif", "github", "yaml", default:\s+"text"\)/);
  t.match(evalHelp!.stdout, /Exit codes: 0 nothing denied, 1 something denied/);
  t.match(testHelp!.stdout, /# expect: allow \| deny \| warn/);
});

t.test('usage errors exit 2 with a hint', async (t) => {
  const unknown = wasmgate(['eval', '--bogus', allowed]);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, /unknown option '--bogus'/);
  t.match(unknown.stderr, /run with --help for usage/);
  t.match(wasmgate(['eval', '--outptu', 'json', allowed]).stderr, /Did you mean --output\?/);
  const format = await evalCommand(['-o', 'xml', allowed]);
  t.equal(format.code, 2);
  t.match(format.stderr, /Allowed choices are text, json, junit, tap, sarif, github, yaml/);
  const operation = await evalCommand(['--operation', 'PATCH', allowed]);
  t.equal(operation.code, 2);
  t.match(operation.stderr, /expected one of CREATE, UPDATE, DELETE, CONNECT/);
  const none = await evalCommand([]);
  t.equal(none.code, 2);
  t.match(none.stderr, /name the manifests to evaluate/);
  t.notMatch(unknown.stderr + format.stderr + none.stderr, /\n\s+at /, 'no stack traces');
});

t.test('exit codes: 0 allowed, 1 denied, warnings fail only with --fail-on-warn', async (t) => {
  t.equal((await evalJson([allowed])).code, 0);
  t.equal((await evalJson([denied])).code, 1);
  t.equal((await evalJson([warned])).code, 0);
  t.equal((await evalJson(['--fail-on-warn', warned])).code, 1);
  // The same through the real process: its exit status is what CI sees.
  t.equal(wasmgate(['eval', '--policy', compiled, allowed]).code, 0);
  t.equal(wasmgate(['eval', '--policy', compiled, denied]).code, 1);
  t.equal(wasmgate(['eval', '--policy', compiled, broken]).code, 2);
});

t.test('a file: each result names file, line, document and object', async (t) => {
  const { report } = await evalJson([denied]);
  t.same(
    report.results.map((r: Record<string, unknown>) => [r.file, r.line, r.document, r.kind, r.namespace, r.name, r.outcome]),
    [
      [denied, 1, 0, 'Pod', 'default', 'fine', 'allowed'],
      [denied, 11, 1, 'Pod', 'default', 'evil', 'denied'],
    ],
  );
  t.match(report.results[1].violations, [{ policy: 'registries', path: 'spec.containers[0].image', line: 19 }], 'the line of the image itself');
});

t.test('a directory is searched recursively; standard input is -', async (t) => {
  const { report, code } = await evalJson([join(dir, 'ok'), join(dir, 'bad')]);
  t.equal(code, 1);
  t.same(report.results.map((r: { name: string }) => r.name), ['fine', 'fine', 'evil']);
  const piped = wasmgate(['eval', '--policy', compiled, '-o', 'json', '-'], pod('from-stdin', 'evil.io/x'));
  t.equal(piped.code, 1);
  t.match(JSON.parse(piped.stdout).results, [{ file: '<stdin>', line: 1, name: 'from-stdin', outcome: 'denied' }]);
});

t.test('a cluster dump (kind: List) is an audit of every item', async (t) => {
  const dump = `apiVersion: v1
kind: List
metadata:
  resourceVersion: ""
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: shop
    namespace: prod
    labels: {team: shop}
  spec:
    template:
      spec:
        containers:
        - name: web
          image: docker.io/nginx
- apiVersion: v1
  kind: Namespace
  metadata:
    name: prod
    labels: {team: ops}
`;
  const { report, code } = await evalJson(['-'], dump);
  t.equal(code, 1);
  t.same(
    report.results.map((r: Record<string, unknown>) => [r.line, r.item, r.kind, r.namespace, r.name, r.outcome]),
    [
      [6, 0, 'Deployment', 'prod', 'shop', 'denied'],
      [18, 1, 'Namespace', undefined, 'prod', 'allowed'],
    ],
  );
  t.match(report.results[0].violations[0], { path: 'spec.template.spec.containers[0].image', line: 17 });
});

t.test('an AdmissionReview document is evaluated as it is', async (t) => {
  const review = (user: string) =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'r1',
        kind: { group: '', version: 'v1', kind: 'ConfigMap' },
        resource: { group: '', version: 'v1', resource: 'configmaps' },
        namespace: 'locked',
        operation: 'CREATE',
        userInfo: { username: user },
        object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm', namespace: 'locked', labels: { team: 'a' } } },
      },
    });
  const asUser = await evalJson(['-'], review('mallory'));
  t.equal(asUser.code, 1);
  t.match(asUser.report.results[0], { kind: 'ConfigMap', namespace: 'locked', name: 'cm', outcome: 'denied' });
  t.equal((await evalJson(['-'], review('root'))).code, 0, 'its own userInfo is used, not the --user default');
});

t.test('--namespace, --operation, --user and --group shape the request', async (t) => {
  const cm = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {team: a}\n';
  t.equal((await evalJson(['-'], cm)).code, 0);
  const locked = await evalJson(['--namespace', 'locked', '-'], cm);
  t.equal(locked.code, 1);
  t.match(locked.report.results[0].violations[0].message, /user "wasmgate-eval" may not change namespace locked/);
  t.equal((await evalJson(['-n', 'locked', '--user', 'root', '--group', 'a', '--group', 'b', '-'], cm)).code, 0);
  const ns = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: prod\n  labels: {team: a}\n';
  t.equal((await evalJson(['-'], ns)).code, 0);
  const del = await evalJson(['--operation', 'delete', '-'], ns);
  t.equal(del.code, 1);
  t.match(del.report.results[0].violations, [{ policy: 'keep', message: 'Namespace prod may not be deleted' }]);
});

t.test('a malformed file among good ones: the others are still decided, the error names file:line, exit 2', async (t) => {
  const { report, code, stderr } = await evalJson([allowed, broken, denied]);
  t.equal(code, 2);
  t.equal(stderr, '');
  t.equal(report.results.length, 3, 'every document of the good files');
  t.match(report.errors, [{ file: broken, line: 4, message: /YAML syntax error/ }]);
  const text = await evalCommand(['--policy', compiled, allowed, broken, denied]);
  t.equal(text.code, 2);
  t.match(text.stdout, new RegExp(`${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n\\s+✗ input error\\s+line 4\\s+YAML syntax error`));
  const empty = await evalJson(['-'], '# only a comment\n---\n');
  t.equal(empty.code, 2, 'input with no objects at all is an error, not "all allowed"');
  t.match(empty.report.errors, [{ file: '<stdin>', message: 'nothing to evaluate: the input holds no Kubernetes objects' }]);
  const missing = await evalJson([allowed, join(dir, 'nope.yaml'), '-'], 'just: text\n');
  t.equal(missing.code, 2);
  t.match(missing.report.errors, [{ file: join(dir, 'nope.yaml'), message: 'no such file or directory' }, { file: '<stdin>', message: /has no apiVersion/ }]);
});

t.test('1,000 documents in one run, decided on the worker pool', async (t) => {
  const docs = Array.from({ length: 1000 }, (_, i) => pod(`p${i}`, i % 3 === 0 ? `evil.io/app:${i}` : `good.io/app:${i}`, i % 3 !== 1));
  const big = file('big.yaml', docs.join('---\n'));
  const { report, code } = await evalJson(['--workers', '2', big]);
  t.equal(code, 1);
  t.match(report.summary, { documents: 1000, denied: 334, warned: 333, allowed: 333, errors: 0, evaluationErrors: 0 });
  t.same(
    report.results.map((r: { name: string }) => r.name),
    docs.map((_, i) => `p${i}`),
    'results stay in input order',
  );
  const lines = docs.map((_, i) => 1 + docs.slice(0, i).reduce((n, d) => n + d.split('\n').length, 0));
  t.same(
    report.results.map((r: { line: number; document: number }) => [r.line, r.document]),
    lines.map((line, i) => [line, i]),
    'every document keeps its line and index',
  );
});

t.test('--policy takes a directory of Rego (compiled first) and --data replaces its data', async (t) => {
  const rego = mkdtempSync(join(tmpdir(), 'wasmgate-rego-'));
  cpSync(goodPolicy, rego, { recursive: true });
  const evil = pod('evil', 'evil.io/app:1');
  const own = { ownEngine: true };
  const fromSource = await evalCommand(['--policy', rego, '-o', 'json', '-'], evil, own);
  t.equal(fromSource.code, 1);
  // Compiled here, or copied from .cache/builds/ where an earlier run compiled the same files.
  t.match(fromSource.stderr, /compiled (.* with OPA|before with the same files)/);
  const data = file('data.yaml', 'config:\n  registry: evil.io/\n  admins: []\n');
  const swapped = await evalCommand(['--policy', rego, '--data', data, '-'], evil, own);
  t.equal(swapped.code, 0, 'the replaced data allows what the default data denies');
  const invalid = file('invalid-data.yaml', 'config:\n  registry: 42\n');
  const rejected = await evalCommand(['--policy', compiled, '--data', invalid, '-'], evil, own);
  t.equal(rejected.code, 2);
  t.match(rejected.stderr, /cannot load the policy: .*config\.registry must be a string/s);
  const nothing = await evalCommand(['--policy', join(dir, 'ok'), '-'], evil, own);
  t.equal(nothing.code, 2);
  t.match(nothing.stderr, /holds neither policy\.wasm nor \.rego files/);
});

t.test('text is coloured on a terminal only, and never with NO_COLOR', async (t) => {
  const ansi = /\u001b\[\d+m/;
  t.match((await evalCommand(['--policy', compiled, denied], '', { tty: true, env: {} })).stdout, ansi);
  t.notMatch((await evalCommand(['--policy', compiled, denied], '', { tty: false, env: {} })).stdout, ansi);
  t.notMatch((await evalCommand(['--policy', compiled, denied], '', { tty: true, env: { NO_COLOR: '' } })).stdout, ansi);
  t.notMatch((await evalCommand(['--policy', compiled, '-o', 'json', denied], '', { tty: true, env: {} })).stdout, ansi, 'only text is coloured');
});

t.test('a reader that stops early (| head) ends the output, not with a stack trace', async (t) => {
  const docs = Array.from({ length: 300 }, (_, i) => pod(`p${i}`, `evil.io/app:${i}`));
  const many = file('many.yaml', docs.join('---\n'));
  // A shell pipe, as a user has it: head exits after 10 bytes and the pipe closes under the writer.
  const run = spawnSync('sh', ['-c', `"${process.execPath}" "${cli}" eval --policy "${compiled}" -o json "${many}" | head -c 10 > /dev/null; echo "$?"`], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  t.equal(run.stderr, '', 'nothing on stderr: no unhandled EPIPE');
  t.equal(run.stdout.trim(), '0', "head's own status");
});

t.test('every output format through the command line, same exit code', async (t) => {
  for (const format of ['text', 'json', 'junit', 'tap', 'sarif', 'github']) {
    const run = await evalCommand(['--policy', compiled, '-o', format, denied]);
    t.equal(run.code, 1, format);
    t.match(run.stdout, /evil/, `${format} names the denied object`);
  }
});

t.test('-o json: each document\'s patch and PSP, the pod decided as it is after the mutation', async (t) => {
  const manifests = [
    pod('bare', 'good.io/app:1'),
    pod('pulled', 'good.io/app:1', true, '').replace('image: good.io/app:1', 'image: good.io/app:1\n      imagePullPolicy: Always'),
    pod('evil', 'evil.io/app:1'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {team: a}\n',
  ].join('---\n');
  const { report, code } = await evalJson(['-'], manifests);
  t.equal(code, 1);
  t.same(
    report.results.map((r: Record<string, unknown>) => [r.name, r.outcome, r.profile, r.patch]),
    [
      ['bare', 'allowed', 'good', [{ op: 'add', path: '/spec/containers/0/imagePullPolicy', value: 'Always' }]],
      ['pulled', 'allowed', 'good', []],
      ['evil', 'denied', null, []],
      ['cm', 'allowed', null, []],
    ],
  );
  t.match(report.results[2].violations, [{ policy: 'registries' }, { policy: 'stale-images' }], 'what the mutation left undefaulted is decided as sent');
  const update = await evalJson(['--operation', 'UPDATE', '-'], pod('bare', 'good.io/app:1'));
  t.match(update.report.results, [{ outcome: 'warned', profile: null, patch: [], violations: [{ policy: 'stale-images', path: 'spec.containers[0].imagePullPolicy' }] }], 'no mutating webhook on UPDATE: the pod is decided as it is');
});

t.test('text says what would be defaulted, and by which PSP', async (t) => {
  const run = await evalCommand(['--policy', compiled, '-'], `${pod('bare', 'good.io/app:1')}---\n${pod('evil', 'evil.io/app:1')}`);
  t.equal(run.code, 1);
  t.match(run.stdout, /✓ allowed {2}Pod default\/bare {2}line 1, document 0\n {6}defaulted by PSP good: spec\.containers\[0\]\.imagePullPolicy="Always"\n/);
  t.notMatch(run.stdout, /evil[^\n]*\n {6}defaulted/, 'nothing is said of a pod no PSP admits');
  const quiet = await evalCommand(['--policy', compiled, '--operation', 'DELETE', '-'], pod('bare', 'good.io/app:1'));
  t.notMatch(quiet.stdout, /defaulted/);
});

t.test('-o yaml prints the objects as they would be stored, defaults applied, denied ones left out', async (t) => {
  const input = file('stream.yaml', [pod('bare', 'good.io/app:1'), pod('evil', 'evil.io/app:1'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  labels: {team: a}\n'].join('---\n'));
  const run = await evalCommand(['--policy', compiled, '-o', 'yaml', input]);
  t.equal(run.code, 1, 'the exit code is the decisions\'');
  const docs = yaml.loadAll(run.stdout).filter((d) => d !== null && d !== undefined) as Record<string, any>[];
  t.same(docs.map((d) => `${d.kind}/${d.metadata.name}`), ['Pod/bare', 'ConfigMap/cm']);
  t.same(docs[0]!.spec.containers, [{ name: 'main', image: 'good.io/app:1', imagePullPolicy: 'Always' }]);
  t.equal(docs[0]!.metadata.namespace, 'default', 'with the namespace the API server fills in');
  t.match(run.stdout, /^# Pod default\/bare at .*stream\.yaml:1 \(document 0\): defaulted by PSP good\n/);
  t.match(run.stdout, /# Pod default\/evil at .*stream\.yaml:11 \(document 1\): denied, left out\n# ConfigMap default\/cm/);
  t.match(run.stdout, /# 3 documents in 1 file: 2 allowed, 0 warned, 1 denied\n$/);
});

t.test('a mutation that fails is an evaluation error for its document, never "nothing to default"', async (t) => {
  const echo = await compilePolicies(join(repoRoot, 'test', 'server', 'policies', 'echo'));
  const asked = (name: string, mutation: unknown) =>
    `apiVersion: v1\nkind: Pod\nmetadata:\n  name: ${name}\nspec:\n  mutation: ${JSON.stringify(mutation)}\n  containers: [{name: a, image: x}]\n`;
  const run = await evalCommand(
    ['--policy', echo, '-o', 'json', '-'],
    [asked('malformed', { patch: 'all', profile: null }), asked('unappliable', { patch: [{ op: 'add', path: '/metadata/annotations/x', value: 'y' }], profile: 'p' })].join('---\n'),
    { ownEngine: true },
  );
  t.equal(run.code, 2);
  const results = JSON.parse(run.stdout).results;
  t.match(results, [
    { name: 'malformed', outcome: 'error', patch: [], profile: null, error: /could not default Pod default\/malformed: the policy returned a malformed mutation: patch is not an array/ },
    { name: 'unappliable', outcome: 'error', error: /could not default Pod default\/unappliable: the policy's patch cannot be applied: operation 0 \(add \/metadata\/annotations\/x\)/ },
  ]);
});

t.test('the default policies: PSP defaulting in eval, the chosen PSP, and the pods as they would be stored', async (t) => {
  const psPod = (name: string, namespace: string, extra: Record<string, unknown> = {}, container: Record<string, unknown> = {}) =>
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace },
      spec: { ...extra, containers: [{ name: 'app', image: 'quay.io/cybozu/unbound:1.19', resources: { limits: { cpu: '100m', memory: '64Mi' } }, ...container }] },
    });
  const input = [
    psPod('bare', 'app-a'),
    psPod('dns', 'internet-egress', { serviceAccountName: 'unbound' }, { securityContext: { capabilities: { add: ['NET_BIND_SERVICE'] } } }),
    psPod('root', 'app-a', {}, { securityContext: { privileged: true } }),
  ].join('\n---\n');
  const own = { ownEngine: true };
  const json = await evalCommand(['-o', 'json', '--group', 'system:masters', '-'], input, own);
  t.equal(json.code, 1, json.stderr);
  const results = JSON.parse(json.stdout).results;
  t.same(results.map((r: Record<string, unknown>) => [r.name, r.outcome, r.profile]), [
    ['bare', 'allowed', 'restricted'],
    ['dns', 'allowed', 'unbound'],
    ['root', 'denied', null],
  ]);
  t.same(results[2].patch, [], 'no PSP admits a privileged pod: nothing is defaulted');
  t.match(results[2].violations, [{ policy: /^pod-security\./ }]);

  const text = await evalCommand(['--group', 'system:masters', '-'], input, own);
  t.match(text.stdout, /Pod app-a\/bare {2}line 1, document 0\n {6}defaulted by PSP restricted: spec\.containers\[0\]\.securityContext\.allowPrivilegeEscalation=false, .*spec\.securityContext\.fsGroup=1, spec\.securityContext\.supplementalGroups=\[1\]\n/);
  t.match(text.stdout, /Pod internet-egress\/dns {2}line \d+, document 1\n {6}defaulted by PSP unbound: spec\.containers\[0\]\.securityContext\.allowPrivilegeEscalation=false, spec\.containers\[0\]\.securityContext\.readOnlyRootFilesystem=true\n/);

  const stored = await evalCommand(['-o', 'yaml', '--group', 'system:masters', '-'], input, own);
  const docs = yaml.loadAll(stored.stdout).filter((d) => d !== null && d !== undefined) as Record<string, any>[];
  t.same(docs.map((d) => [d.metadata.name, d.metadata.annotations]), [
    ['bare', { 'kubernetes.io/psp': 'restricted' }],
    ['dns', { 'kubernetes.io/psp': 'unbound' }],
  ]);
  t.same(docs[0]!.spec.securityContext, { fsGroup: 1, supplementalGroups: [1] });
  // What eval printed is what the cluster would store: sent again, it needs no defaulting and passes as it is.
  const again = await evalCommand(['-o', 'json', '--group', 'system:masters', '-'], docs.map((d) => JSON.stringify(d)).join('\n---\n'), own);
  t.equal(again.code, 0);
  t.same(JSON.parse(again.stdout).results.map((r: Record<string, unknown>) => [r.name, r.outcome, r.profile, (r.patch as unknown[]).length]), [
    ['bare', 'allowed', 'restricted', 0],
    ['dns', 'allowed', 'unbound', 0],
  ], 'idempotent: the defaulted pods get no patch');
});

t.test('the default policies: a workload is stored as sent, and eval reports what its pods will get', async (t) => {
  const deployment = JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop' },
    spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'quay.io/cybozu/ubuntu:22.04', resources: { limits: { cpu: '100m', memory: '64Mi' } } }] } } },
  });
  const privileged = deployment.replace('"name":"web","image"', '"name":"web","securityContext":{"privileged":true},"image"');
  const own = { ownEngine: true };
  // The default set only: a policy an author added could warn about this Deployment.
  const shipped = ['--policy', await shippedBundle()];
  const json = await evalCommand([...shipped, '-o', 'json', '-'], `${deployment}\n---\n${privileged}`, own);
  const [admitted, refused] = JSON.parse(json.stdout).results;
  t.match(admitted, { kind: 'Deployment', outcome: 'allowed', patch: [], profile: null, pods: { profile: 'restricted' } }, 'the Deployment itself is not mutated');
  t.ok(admitted.pods.patch.every((op: { path: string }) => op.path.startsWith('/spec/template/')), 'its pods\' patch is in the Deployment\'s paths');
  t.match(admitted.pods.patch, [{ op: 'add', path: '/spec/template/metadata/annotations', value: { 'kubernetes.io/psp': 'restricted' } }]);
  t.match(refused, { outcome: 'denied', pods: { profile: null, patch: [] } });

  const text = await evalCommand([...shipped, '-'], deployment, own);
  t.match(text.stdout, /✓ allowed {2}Deployment shop\/web {2}line 1, document 0\n {6}its pods defaulted by PSP restricted: spec\.template\.spec\.containers\[0\]\.securityContext\.allowPrivilegeEscalation=false, .*spec\.template\.spec\.securityContext\.fsGroup=1/);
  const stored = await evalCommand([...shipped, '-o', 'yaml', '-'], deployment, own);
  t.match(stored.stdout, /^# Deployment shop\/web at <stdin>:1 \(document 0\): its pods will be defaulted by PSP restricted\n/);
  t.same((yaml.load(stored.stdout.split('\n---\n')[0]!) as Record<string, any>).spec, JSON.parse(deployment).spec, 'printed as sent');
});
