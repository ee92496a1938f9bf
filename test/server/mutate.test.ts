// The mutating endpoint over real HTTPS on 127.0.0.1: JSONPatch answers in v1 and v1beta1, empty patches,
// idempotence, the failure policy, bad requests, metrics and logs.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { applyJsonPatch } from '../../dist/engine/index.js';
import { compilePolicies } from '../helpers/policies.js';
import { admit, buildEcho, call, recorded, review, sample, startServer, type Call, type Reply } from './helpers.js';

const bundle = await buildEcho();
const running = await startServer({ bundle });
const { port, ca, logs } = running;
t.teardown(running.stop);

const mutate = (target: number, body: unknown, extra: Partial<Call> = {}): Promise<Reply> => admit(target, extra.ca ?? ca, body, { path: '/mutate', ...extra });

/** A Pod CREATE whose spec.labels asks the echo policy to default those labels. */
function podReview(uid: string, labels: Record<string, string>, options: { apiVersion?: string; existing?: Record<string, string> } = {}) {
  return review(uid, {}, {
    apiVersion: options.apiVersion,
    kind: 'Pod',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `obj-${uid}`, namespace: 'team-a', ...(options.existing ? { labels: options.existing } : {}) },
      spec: { labels, containers: [{ name: 'app', image: 'registry.example/app:1' }] },
    },
  });
}

const decoded = (reply: Reply) => JSON.parse(Buffer.from(reply.json.response.patch, 'base64').toString('utf8'));

t.test('a defaulting answers a JSONPatch in v1 and v1beta1; applying it and asking again patches nothing', async (t) => {
  for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']) {
    const uid = `patch-${apiVersion}`;
    const body = podReview(uid, { 'team/name': 'shop', tier: 'web' }, { apiVersion, existing: { tier: 'db' } });
    const reply = await mutate(port, body);
    t.equal(reply.status, 200);
    t.equal(reply.json.apiVersion, apiVersion);
    t.equal(reply.json.kind, 'AdmissionReview');
    t.same(Object.keys(reply.json.response).sort(), ['allowed', 'patch', 'patchType', 'uid']);
    t.match(reply.json.response, { uid, allowed: true, patchType: 'JSONPatch' });
    t.match(reply.json.response.patch, /^[A-Za-z0-9+/]+=*$/, 'the patch is base64');
    const patch = decoded(reply);
    t.same(patch, [{ op: 'add', path: '/metadata/labels/team~1name', value: 'shop' }], 'only the missing label, the present one kept');

    const defaulted = applyJsonPatch(body.request.object, patch);
    t.same(defaulted.metadata.labels, { tier: 'db', 'team/name': 'shop' });
    const again = await mutate(port, { ...body, request: { ...body.request, uid: `${uid}-again`, object: defaulted } });
    t.same(again.json, { apiVersion, kind: 'AdmissionReview', response: { uid: `${uid}-again`, allowed: true } }, 'idempotent: the second pass sends no patch');
  }
});

t.test('nothing to default: allowed, with no patch fields at all', async (t) => {
  for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']) {
    const reply = await mutate(port, review(`none-${apiVersion}`, {}, { apiVersion }));
    t.same(reply.json, { apiVersion, kind: 'AdmissionReview', response: { uid: `none-${apiVersion}`, allowed: true } });
  }
  const labelled = await mutate(port, podReview('labelled', { tier: 'web' }, { existing: { tier: 'web' } }));
  t.same(labelled.json.response, { uid: 'labelled', allowed: true }, 'a profile chosen without a change sends no patch either');
});

t.test('the validating endpoint is unchanged beside it', async (t) => {
  const body = review('both', { violations: [{ policy: 'p', message: 'no', action: 'deny' }], labels: { a: 'b' } });
  const validated = await call(port, '/validate', { ca, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  t.equal(validated.json.response.allowed, false);
  t.equal(validated.json.response.patch, undefined);
  const mutated = await mutate(port, body);
  t.equal(mutated.json.response.allowed, true, 'the mutating endpoint never denies what the policy only rejects');
  t.same(decoded(mutated), [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }]);
});

t.test('a malformed mutation fails closed (denied, status 500), logged and counted', async (t) => {
  const reply = await mutate(port, review('malformed', { mutation: { patch: [{ op: 'add', path: 'metadata' , value: 1 }], profile: null } }));
  t.equal(reply.json.response.allowed, false);
  t.equal(reply.json.response.status.code, 500);
  t.match(reply.json.response.status.message, /could not evaluate the policy: the policy failed while evaluating this request \(request uid malformed\).*fail closed/);
  t.equal(reply.json.response.patch, undefined);
  await recorded();
  const line = logs.find((l) => l.uid === 'malformed');
  t.match(line, { level: 'error', mutation: 'failed_closed', failure: { reason: 'failed', code: 'EVAL_FAILED', message: /patch\[0\]\.path is "metadata", not a JSON pointer/ } });
  const metrics = (await call(port, '/metrics', { ca })).text;
  t.ok(sample(metrics, 'wasmgate_mutation_requests_total', { operation: 'CREATE', result: 'failed_closed' })! >= 1);
  t.ok(sample(metrics, 'wasmgate_evaluation_errors_total', { reason: 'failed' })! >= 1);
});

t.test('fail open: a failed or late mutation is allowed unchanged, with a warning saying so', async (t) => {
  const open = await startServer({ bundle, failOpen: true, evalTimeout: '300ms' });
  t.teardown(open.stop);
  const malformed = await mutate(open.port, review('open-malformed', { mutation: 'everything' }), { ca: open.ca });
  t.match(malformed.json.response, { uid: 'open-malformed', allowed: true, warnings: [/could not evaluate the policy.*allowed without policy checks \(fail open\)/] });
  t.equal(malformed.json.response.patch, undefined);
  const late = await mutate(open.port, review('open-late', { spin: 100000 }), { ca: open.ca });
  t.match(late.json.response, { allowed: true, warnings: [/did not finish within its deadline of 300 ms/] });
  await recorded();
  t.match(open.logs.find((l) => l.uid === 'open-late'), { mutation: 'failed_open', failure: { reason: 'timeout', code: 'EVAL_TIMEOUT' } });
  const after = await mutate(open.port, podReview('open-after', { a: 'b' }), { ca: open.ca });
  t.same(decoded(after), [{ op: 'add', path: '/metadata/labels', value: { a: 'b' } }], 'the replacement worker answers');
});

t.test('bad requests to /mutate get the same clear errors as /validate', async (t) => {
  const get = await call(port, '/mutate', { ca });
  t.equal(get.status, 405);
  t.equal(get.headers.allow, 'POST');
  const text = await mutate(port, JSON.stringify(review('x')), { headers: { 'content-type': 'text/plain' } });
  t.equal(text.status, 415);
  const notReview = await mutate(port, { ...review('x'), kind: 'Pod' });
  t.equal(notReview.status, 400);
  t.match(notReview.json.message, /kind is "Pod", expected "AdmissionReview"/);
  const noObject = await mutate(port, { ...review('x'), request: { ...review('x').request, object: undefined } });
  t.equal(noObject.status, 400);
  t.match(noObject.json.message, /request.object is missing for CREATE/);
});

t.test('one mutation log line per request, and metrics by operation and result', async (t) => {
  await mutate(port, podReview('logged', { a: 'b', c: 'd' }, { existing: { x: 'y' } }));
  await recorded();
  const lines = logs.filter((l) => l.uid === 'logged');
  t.equal(lines.length, 1, 'exactly one line');
  t.match(lines[0], {
    level: 'info',
    msg: 'mutation patched',
    kind: 'Pod',
    namespace: 'team-a',
    name: 'obj-logged',
    operation: 'CREATE',
    user: 'alice@example.com',
    mutation: 'patched',
    profile: 'labels',
    patched: ['add /metadata/labels/a', 'add /metadata/labels/c'],
    revision: running.server.policy.current.revision,
  });
  t.type(lines[0]!.durationMs, 'number');
  t.notMatch(JSON.stringify(lines[0]), /"value"/, 'patched values stay out of the log');
  const metrics = (await call(port, '/metrics', { ca })).text;
  t.ok(sample(metrics, 'wasmgate_mutation_requests_total', { operation: 'CREATE', result: 'patched' })! >= 1);
  t.ok(sample(metrics, 'wasmgate_mutation_requests_total', { operation: 'CREATE', result: 'unchanged' })! >= 1);
  t.ok(sample(metrics, 'wasmgate_mutation_duration_seconds_bucket', { operation: 'CREATE', result: 'patched', le: '10' })! >= 1);
  t.equal(sample(metrics, 'wasmgate_admission_requests_in_flight'), 0, 'mutations count in flight like decisions');
});

t.test('the default policies over HTTPS: PSP restricted defaults a bare pod, /validate admits the result, a second pass patches nothing', async (t) => {
  const real = await startServer({});
  t.teardown(real.stop);
  for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']) {
    const body = review(`psp-${apiVersion}`, {}, {
      apiVersion,
      kind: 'Pod',
      object: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'web', namespace: 'team-a' },
        spec: { containers: [{ name: 'web', image: 'quay.io/cybozu/ubuntu:22.04', resources: { limits: { cpu: '100m', memory: '64Mi' } } }] },
      },
    });
    const validateAs = (object: unknown, uid: string) => admit(real.port, real.ca, { ...body, request: { ...body.request, uid, object } });
    t.equal((await validateAs(body.request.object, 'as-sent')).json.response.allowed, false, 'as sent, no PSP admits it unchanged');

    const mutated = await mutate(real.port, body, { ca: real.ca });
    t.match(mutated.json, { apiVersion, response: { uid: `psp-${apiVersion}`, allowed: true, patchType: 'JSONPatch' } });
    const patch = decoded(mutated);
    const defaulted = applyJsonPatch(body.request.object, patch);
    t.same(defaulted.metadata.annotations, { 'kubernetes.io/psp': 'restricted' });
    t.same(defaulted.spec.securityContext, { fsGroup: 1, supplementalGroups: [1] });
    t.match(defaulted.spec.containers[0].securityContext, { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true, runAsNonRoot: true });
    t.same(patch.map((op: { path: string }) => op.path), [...patch.map((op: { path: string }) => op.path)].sort(), 'operations sorted by path');

    t.equal((await validateAs(defaulted, 'defaulted')).json.response.allowed, true, 'defaulted, /validate admits it');
    const again = await mutate(real.port, { ...body, request: { ...body.request, object: defaulted } }, { ca: real.ca });
    t.same(again.json.response, { uid: `psp-${apiVersion}`, allowed: true }, 'idempotent: no patch the second time');
  }
  await recorded();
  t.match(real.logs.find((l) => l.msg === 'mutation patched'), { profile: 'restricted', patched: ['add /metadata/annotations', /^add \/spec\//] });
});

t.test('a policy without the mutation entrypoint is refused: by the build, and by serve\'s self-check', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-no-mutation-'));
  writeFileSync(join(dir, 'main.rego'), 'package wasmgate.main\n\ndecision := {"allowed": true, "violations": []}\n\nconfig_errors := set()\n');
  await t.rejects(compilePolicies(dir), { code: 'INPUT_INVALID', message: /does not define data\.wasmgate\.main\.mutation\. A policy directory must define/ });
  const foreign = await compilePolicies(dir, ['wasmgate/main/decision', 'wasmgate/main/config_errors']);
  await t.rejects(startServer({ bundle: foreign }), { code: 'BUNDLE_INVALID', message: /self-check: the policy has no entrypoint wasmgate\/main\/mutation/ });
});
