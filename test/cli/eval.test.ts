import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { cli, evalCommand as run, sharedEngine, wasmgate } from '../helpers/eval-cli.js';
import { compilePolicies, repoRoot } from '../helpers/policies.js';

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
  t.match(evalHelp!.stdout, /--output <format>\s+output format \(choices: "text", "json", "junit",\s+"tap", "sarif", "github", default: "text"\)/);
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
  t.match(format.stderr, /Allowed choices are text, json, junit, tap, sarif, github/);
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
  t.match(fromSource.stderr, /compiled .* with OPA/);
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
