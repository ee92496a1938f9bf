// The webhook over real HTTPS on 127.0.0.1: answers, bad requests, warnings, metrics and decision logs.
import { connect } from 'node:tls';
import { gzipSync } from 'node:zlib';
import t from 'tap';
import { reviewBody } from '../../dist/server/review.js';
import { admit, buildEcho, call, recorded, review, sample, startServer } from './helpers.js';

const bundle = await buildEcho();
const running = await startServer({ bundle });
const { port, ca, logs } = running;
t.teardown(running.stop);

const decisionLog = (uid: string) => logs.find((l) => l.uid === uid && typeof l.decision === 'string');

t.test('allowed and denied reviews in v1 and v1beta1 echo the uid and the apiVersion', async (t) => {
  for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1']) {
    const allowed = await admit(port, ca, review(`ok-${apiVersion}`, {}, { apiVersion }));
    t.equal(allowed.status, 200);
    t.same(allowed.json, { apiVersion, kind: 'AdmissionReview', response: { uid: `ok-${apiVersion}`, allowed: true } });

    const violations = [
      { policy: 'registries', message: 'image evil.example/x is not from an allowed registry', action: 'deny' },
      { policy: 'limits', message: 'container app has no memory limit', action: 'deny' },
      { policy: 'labels', message: 'no team label', action: 'warn' },
    ];
    const deniedReview = review(`no-${apiVersion}`, { violations }, { apiVersion });
    const denied = await admit(port, ca, deniedReview);
    t.equal(denied.status, 200);
    t.equal(denied.json.apiVersion, apiVersion);
    t.equal(denied.json.kind, 'AdmissionReview');
    t.equal(denied.json.response.uid, `no-${apiVersion}`);
    t.equal(denied.json.response.allowed, false);
    t.equal(denied.json.response.status.code, 403);
    // One line per deny-mode violation, in the order the policy gives them (here a Rego set's WASM order).
    const order = running.server.policy.current.engine
      .evaluateSync(deniedReview)
      .violations.filter((v) => v.action === 'deny')
      .map((v) => `[${v.policy}] ${v.message}`);
    t.same(new Set(order), new Set(['[limits] container app has no memory limit', '[registries] image evil.example/x is not from an allowed registry']));
    t.same(denied.json.response.status.message.split('\n'), order, 'in the policy\'s order, unsorted');
    t.same(denied.json.response.warnings, ['[labels] no team label']);
  }
});

t.test('a dry-run request is evaluated like a real one', async (t) => {
  const body = review('dry', { violations: [{ policy: 'p', message: 'no', action: 'deny' }] });
  body.request.dryRun = true;
  const reply = await admit(port, ca, body);
  t.equal(reply.json.response.allowed, false);
  await recorded();
  t.equal(decisionLog('dry')?.dryRun, true);
});

t.test('every class of bad request gets a clear JSON error with the right status, and the server keeps serving', async (t) => {
  const valid = JSON.stringify(review('valid'));
  const cases: { name: string; status: number; message: RegExp; run: () => ReturnType<typeof call> }[] = [
    { name: 'GET on the review path', status: 405, message: /GET is not allowed.*use POST/, run: () => call(port, '/validate', { ca }) },
    {
      name: 'PUT on the review path',
      status: 405,
      message: /PUT is not allowed/,
      run: () => call(port, '/validate', { ca, method: 'PUT', headers: { 'content-type': 'application/json' }, body: valid }),
    },
    {
      name: 'POST to /healthz',
      status: 405,
      message: /POST is not allowed on \/healthz/,
      run: () => call(port, '/healthz', { ca, method: 'POST', body: '' }),
    },
    {
      name: 'text/plain',
      status: 415,
      message: /text\/plain.*application\/json/,
      run: () => admit(port, ca, valid, { headers: { 'content-type': 'text/plain' } }),
    },
    {
      name: 'no content type',
      status: 415,
      message: /no Content-Type/,
      run: () => admit(port, ca, valid, { headers: {} }),
    },
    {
      name: 'a charset other than UTF-8',
      status: 415,
      message: /charset iso-8859-1/,
      run: () => admit(port, ca, valid, { headers: { 'content-type': 'application/json; charset=ISO-8859-1' } }),
    },
    {
      name: 'an unknown content encoding',
      status: 415,
      message: /unsupported content encoding/,
      run: () => admit(port, ca, valid, { headers: { 'content-type': 'application/json', 'content-encoding': 'br2' } }),
    },
    ...(
      [
        ['gzip', () => Buffer.from('not gzip at all')],
        ['gzip', () => gzipSync(valid).subarray(0, 40)],
        ['deflate', () => Buffer.from('not deflate either')],
        ['br', () => Buffer.from('not brotli, no')],
      ] as const
    ).map(([encoding, body], i) => ({
      name: `a corrupt ${encoding} body (${i})`,
      status: 400,
      message: new RegExp(`^the body is not valid ${encoding} data \\(Content-Encoding: ${encoding}\\)`),
      run: () => admit(port, ca, body(), { headers: { 'content-type': 'application/json', 'content-encoding': encoding } }),
    })),
    { name: 'not JSON', status: 400, message: /^the body is not valid JSON/, run: () => admit(port, ca, '{"apiVersion": "admission.k8s.io/v1", ') },
    { name: 'an empty body', status: 400, message: /no body/, run: () => admit(port, ca, '') },
    { name: 'a JSON array', status: 400, message: /not a JSON object/, run: () => admit(port, ca, '[1,2]') },
    {
      name: 'another kind',
      status: 400,
      message: /kind is "Pod", expected "AdmissionReview"/,
      run: () => admit(port, ca, { ...review('x'), kind: 'Pod' }),
    },
    {
      name: 'an unknown apiVersion',
      status: 400,
      message: /apiVersion is "admission.k8s.io\/v2"/,
      run: () => admit(port, ca, { ...review('x'), apiVersion: 'admission.k8s.io/v2' }),
    },
    {
      name: 'no request.uid',
      status: 400,
      message: /request.uid is missing/,
      run: () => {
        const body = review('x') as { request: Record<string, unknown> };
        delete body.request.uid;
        return admit(port, ca, body);
      },
    },
    ...['CREATE', 'UPDATE'].map((operation) => ({
      name: `${operation} without an object`,
      status: 400,
      message: new RegExp(`request\\.object is missing for ${operation}`),
      run: () => {
        const body = review('x', {}, { operation }) as { request: Record<string, unknown> };
        delete body.request.object;
        return admit(port, ca, body);
      },
    })),
    {
      name: 'no request',
      status: 400,
      message: /it has no request/,
      run: () => admit(port, ca, { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }),
    },
    {
      name: 'a body over the limit (default 8 MiB)',
      status: 413,
      message: /larger than the limit of 8 MiB/,
      run: () => admit(port, ca, review('huge', { padding: 'x'.repeat(9 * 1024 * 1024) })),
    },
    { name: 'an unknown path', status: 404, message: /nothing is served at \/nope/, run: () => call(port, '/nope', { ca }) },
  ];
  for (const c of cases) {
    const reply = await c.run();
    t.equal(reply.status, c.status, `${c.name}: status`);
    t.match(reply.headers['content-type'], /^application\/json/, `${c.name}: JSON`);
    t.equal(reply.json?.status, c.status, `${c.name}: status in the body`);
    t.match(reply.json?.message, c.message, `${c.name}: message`);
    t.notMatch(reply.text, /at .*\.js:\d+/, `${c.name}: no stack trace`);
    const after = await admit(port, ca, review(`after-${c.name}`));
    t.equal(after.json?.response?.allowed, true, `${c.name}: the server keeps serving`);
  }
  t.equal((await call(port, '/validate', { ca, method: 'PUT' })).headers.allow, 'POST', '405 says what is allowed');
  const zipped = await admit(port, ca, gzipSync(valid), { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
  t.equal(zipped.json?.response?.allowed, true, `a valid gzip body is decided (${zipped.status} ${zipped.text})`);
  t.same(logs.filter((l) => l.level === 'error' && l.msg === 'request failed'), [], 'no bad request is logged as a server error (with its stack)');
});

t.test('400s and logs echo request content bounded, and objects by type only', async (t) => {
  const bigKind = await admit(port, ca, { ...review('x'), kind: 'Pod'.repeat(350_000) });
  t.equal(bigKind.status, 400);
  t.match(bigKind.json.message, /^not a valid AdmissionReview: kind is "PodPod.*…" \(1050000 characters\), expected "AdmissionReview"$/);
  t.ok(bigKind.text.length < 300, `a 1 MiB kind comes back as ${bigKind.text.length} bytes`);

  const hidden = await admit(port, ca, { ...review('x'), apiVersion: { password: 'hunter2' } });
  t.match(hidden.json.message, /apiVersion is an object, expected one of/);
  t.notMatch(hidden.text, /hunter2|password/, 'an object is described by its type, never its values');
  t.match((await admit(port, ca, { ...review('x'), apiVersion: ['a'] })).json.message, /apiVersion is a list/);
  t.match((await admit(port, ca, { ...review('x'), apiVersion: 7 })).json.message, /apiVersion is a number/);

  const longType = await admit(port, ca, '{}', { headers: { 'content-type': `text/${'x'.repeat(8000)}` } });
  t.equal(longType.status, 415);
  t.ok(longType.text.length < 400, `a long Content-Type comes back cut (${longType.text.length} bytes)`);
  const longPath = await call(port, `/${'p'.repeat(8000)}`, { ca });
  t.equal(longPath.status, 404);
  t.ok(longPath.text.length < 400, `a long path comes back cut (${longPath.text.length} bytes)`);
  t.ok(JSON.stringify(logs.filter((l) => l.msg === 'bad request').map((l) => [l.path, l.reason])).length < 4000, 'and the log lines are bounded too');

  const odd = review('odd-fields') as any;
  odd.request.userInfo.username = { password: 'hunter2' };
  odd.request.namespace = ['team', 'a'];
  odd.request.name = 'n'.repeat(5000);
  odd.request.kind.group = 42;
  t.equal((await admit(port, ca, odd)).json.response.allowed, true);
  await recorded();
  const line = decisionLog('odd-fields')!;
  t.match(line, { user: '<an object>', namespace: '<a list>', group: '<a number>' }, 'non-strings are logged as their type');
  t.equal([...(line.name as string)].length, 256, 'a long name is cut');
  t.notMatch(JSON.stringify(line), /hunter2/);
});

t.test('an unexpected error is a 500 that says nothing of it; the log has the details', async (t) => {
  const m = await startServer({ bundle });
  t.teardown(m.stop);
  const detail = 'ENOENT: open /srv/wasmgate/secret-path.json at Object.readFileSync (node:fs:453:20)';
  m.server.metrics.text = async () => {
    throw new Error(detail);
  };
  const reply = await call(m.port, '/metrics', { ca: m.ca });
  t.equal(reply.status, 500);
  t.same(reply.json, { status: 500, error: 'Internal Server Error', message: 'internal server error' }, 'exactly this body');
  t.notMatch(reply.text, /ENOENT|secret-path|readFileSync/);
  const logged = m.logs.find((l) => l.msg === 'request failed');
  t.match(logged, { level: 'error', status: 500, path: '/metrics', err: { message: detail } }, 'the details go to the log');
  t.equal((await admit(m.port, m.ca, review('after-500'))).json.response.allowed, true, 'and the server keeps serving');
});

t.test('a 1 MiB review (a large Pod update) is accepted under the default limit', async (t) => {
  const reply = await admit(port, ca, review('big', { padding: 'x'.repeat(1024 * 1024) }));
  t.equal(reply.status, 200);
  t.equal(reply.json.response.allowed, true);
});

t.test('the body reaches the workers without being parsed or serialised again', async (t) => {
  const body = JSON.stringify(review('bytes', { padding: 'y'.repeat(2 * 1024 * 1024) }));
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  let bigStringifies = 0;
  let bigParses = 0;
  JSON.stringify = function (...args: Parameters<typeof stringify>) {
    const out = stringify.apply(JSON, args);
    if (typeof out === 'string' && out.length >= body.length / 2) bigStringifies++;
    return out;
  } as typeof JSON.stringify;
  JSON.parse = function (...args: Parameters<typeof parse>) {
    if (typeof args[0] === 'string' && args[0].length >= body.length / 2) bigParses++;
    return parse.apply(JSON, args);
  } as typeof JSON.parse;
  let reply;
  try {
    // The client here stringified already; count only what the server does.
    reply = await admit(port, ca, body);
  } finally {
    JSON.stringify = stringify;
    JSON.parse = parse;
  }
  t.equal(reply.json.response.allowed, true);
  t.equal(bigParses, 0, 'the server never parses the body: the worker reads its envelope (envelope.test.ts)');
  t.equal(bigStringifies, 0, 'and never serialises it: the workers get the bytes as they came');
});

t.test('read from its envelope, a body is copied to the worker and stays; parsed here, one of 4 KiB or more is moved', async (t) => {
  // As raw-body hands it over: Buffer.concat of the socket's chunks.
  const asReceived = (value: unknown) => Buffer.concat([Buffer.from(JSON.stringify(value))]);
  const settings = { failOpen: false, timeoutMs: 2000 };
  const kept = asReceived(review('kept', { padding: 'z'.repeat(64 * 1024) }));
  const keptBytes = kept.byteLength;
  t.equal((await reviewBody(kept, running.server.policy, settings)).decision, 'allowed');
  t.equal(kept.byteLength, keptBytes, 'the Buffer stays, for the shape check should the evaluation fail');

  // With log.objects the body is parsed here, and then handed over as before.
  const large = asReceived(review('large', { padding: 'z'.repeat(64 * 1024) }));
  const largeBytes = large.byteLength;
  const result = await reviewBody(large, running.server.policy, { ...settings, wholeObjects: true });
  t.equal(result.decision, 'allowed');
  t.equal(large.byteLength, 0, `the ${largeBytes} bytes were transferred: the Buffer here is now detached`);

  const small = asReceived(review('small'));
  const smallBytes = small.byteLength;
  t.ok(smallBytes < 4096);
  await reviewBody(small, running.server.policy, { ...settings, wholeObjects: true });
  t.equal(small.byteLength, smallBytes, 'a pooled Buffer stays: its bytes were copied out');
});

t.test('warnings stay within the API server budget over the wire', async (t) => {
  const violations = Array.from({ length: 80 }, (_, i) => ({ policy: `p${i % 4}`, message: `warning ${i} ${'w'.repeat(150)}`, action: 'warn' }));
  const reply = await admit(port, ca, review('warnings', { violations }));
  const warnings: string[] = reply.json.response.warnings;
  const total = warnings.reduce((n, w) => n + [...w].length, 0);
  t.ok(total <= 4096, `total ${total}`);
  t.ok(warnings.every((w) => [...w].length <= 120));
  t.match(warnings.at(-1), /^…and \d+ more warnings from p\d/);
});

t.test('/healthz and /readyz', async (t) => {
  t.same((await call(port, '/healthz', { ca })).json, { status: 'ok' });
  const ready = await call(port, '/readyz', { ca });
  t.equal(ready.status, 200);
  t.equal(ready.json.status, 'ready');
  t.equal(ready.json.policy.revision, running.server.policy.current.revision);
});

t.test('TLS below 1.2 is refused', async (t) => {
  const err = await new Promise<Error | undefined>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => {
      socket.end();
      resolve(undefined);
    });
    socket.on('error', resolve);
  });
  t.ok(err, `handshake refused (${err?.message})`);
});

t.test('metrics count requests by operation, kind, decision and policy, exactly, with latency and revision', async (t) => {
  // A server of its own, so every count is known.
  const m = await startServer({ bundle, bodyLimit: '2KiB' });
  t.teardown(m.stop);
  const deny = (policy: string) => ({ violations: [{ policy, message: 'x', action: 'deny' }] });
  await admit(m.port, m.ca, review('m1', deny('registries'), { operation: 'UPDATE', kind: 'Secret' }));
  for (const uid of ['m2', 'm3']) await admit(m.port, m.ca, review(uid, { violations: [{ policy: 'labels', message: 'y', action: 'warn' }] }));
  await admit(m.port, m.ca, JSON.stringify(review('m4')), { headers: { 'content-type': 'text/plain' } });
  await admit(m.port, m.ca, review('m5', { padding: 'p'.repeat(4096) }));
  const reply = await call(m.port, '/metrics', { ca: m.ca });
  t.equal(reply.status, 200);
  t.match(reply.headers['content-type'], /^text\/plain/);
  const text = reply.text;
  t.equal(sample(text, 'wasmgate_admission_requests_total', { operation: 'UPDATE', kind: 'Secret', decision: 'denied' }), 1);
  t.equal(sample(text, 'wasmgate_admission_requests_total', { operation: 'CREATE', kind: 'ConfigMap', decision: 'allowed' }), 2);
  t.equal(sample(text, 'wasmgate_admission_violations_total', { operation: 'UPDATE', policy: 'registries', action: 'deny', kind: 'Secret' }), 1);
  t.equal(sample(text, 'wasmgate_admission_violations_total', { operation: 'CREATE', policy: 'labels', action: 'warn', kind: 'ConfigMap' }), 2);
  t.equal(sample(text, 'wasmgate_admission_duration_seconds_count', { operation: 'UPDATE', decision: 'denied' }), 1);
  t.equal(sample(text, 'wasmgate_admission_duration_seconds_count', { operation: 'CREATE', decision: 'allowed' }), 2);
  t.ok(sample(text, 'wasmgate_admission_duration_seconds_bucket', { operation: 'UPDATE', decision: 'denied', le: '0.0005' }) !== undefined, '0.5 ms bucket');
  t.equal(sample(text, 'wasmgate_admission_duration_seconds_bucket', { operation: 'UPDATE', decision: 'denied', le: '10' }), 1, '10 s bucket');
  t.equal(sample(text, 'wasmgate_policy_info', { revision: m.server.policy.current.revision }), 1);
  t.equal(sample(text, 'wasmgate_bad_requests_total', { status: '415' }), 1);
  t.equal(sample(text, 'wasmgate_bad_requests_total', { status: '413' }), 1);
  t.equal(sample(text, 'wasmgate_admission_requests_in_flight'), 0);
  t.equal(sample(text, 'wasmgate_evaluation_errors_total', { reason: 'timeout' }), undefined, 'no evaluation failed');
  t.match(text, /# TYPE wasmgate_evaluation_errors_total counter/);
  t.ok(sample(text, 'wasmgate_certificate_expiry_timestamp_seconds')! > Date.now() / 1000);
  t.match(text, /process_cpu_user_seconds_total/, 'process metrics too');
});

t.test('metric labels take bounded values: made-up kinds are "other", policy ids are capped', async (t) => {
  const m = await startServer({ bundle });
  t.teardown(m.stop);
  await admit(m.port, m.ca, review('known', { violations: [{ policy: 'registries', message: 'x', action: 'deny' }] }, { kind: 'Pod' }));
  const before = (await call(m.port, '/metrics', { ca: m.ca })).text.length;
  // 300 reviews, each of a kind nobody knows with a policy id of its own.
  const uids = Array.from({ length: 300 }, (_, i) => i);
  for (let i = 0; i < uids.length; i += 20) {
    await Promise.all(
      uids.slice(i, i + 20).map((n) => admit(m.port, m.ca, review(`made-up-${n}`, { violations: [{ policy: `p${n}`, message: 'x', action: 'deny' }] }, { kind: `MadeUp${n}` }))),
    );
  }
  const text = (await call(m.port, '/metrics', { ca: m.ca })).text;
  t.equal(sample(text, 'wasmgate_admission_requests_total', { operation: 'CREATE', kind: 'other', decision: 'denied' }), 300);
  t.equal(sample(text, 'wasmgate_admission_requests_total', { operation: 'CREATE', kind: 'Pod', decision: 'denied' }), 1, 'known kinds keep their name');
  t.notMatch(text, /MadeUp/, 'no made-up kind becomes a label value');
  const series = text.split('\n').filter((l) => l.startsWith('wasmgate_admission_violations_total{'));
  t.equal(series.length, 200 + 1, '200 policy ids (registries among them) and "other"');
  // registries took one of the 200: p0 … p198 are named, the other 101 reviews count as "other".
  t.equal(sample(text, 'wasmgate_admission_violations_total', { kind: 'other', policy: 'other' }), 101);
  t.ok(text.length - before < 64 * 1024, `/metrics grew by ${text.length - before} bytes`);
});

t.test('one decision log line per request with what it promises', async (t) => {
  const uid = 'logged-1';
  await admit(
    port,
    ca,
    review(uid, {
      violations: [
        { policy: 'registries', message: 'secret message text', action: 'deny' },
        { policy: 'labels', message: 'x', action: 'warn' },
      ],
    }),
  );
  await recorded();
  const lines = logs.filter((l) => l.uid === uid);
  t.equal(lines.length, 1, 'exactly one line');
  const line = lines[0]!;
  t.match(line, {
    level: 'info',
    uid,
    kind: 'ConfigMap',
    namespace: 'team-a',
    name: `obj-${uid}`,
    operation: 'CREATE',
    user: 'alice@example.com',
    decision: 'denied',
    denied: ['registries'],
    warned: ['labels'],
    revision: running.server.policy.current.revision,
  });
  t.type(line.durationMs, 'number');
  t.equal(line.object, undefined, 'no object by default');
  t.notMatch(JSON.stringify(line), /secret message text/, 'violation messages are not logged');
});

t.test('Secret data never reaches the log', async (t) => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'db',
      namespace: 'team-a',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}' },
    },
    type: 'Opaque',
    data: { password: Buffer.from('hunter2').toString('base64') },
    stringData: { token: 'hunter2-token' },
  };
  const leaks = /hunter2|aHVudGVyMg/;
  await admit(port, ca, review('secret-default', {}, { kind: 'Secret', object: secret }));
  t.notMatch(JSON.stringify(logs), leaks, 'nothing of it by default');

  const verbose = await startServer({ bundle, logObjects: true });
  t.teardown(verbose.stop);
  await admit(verbose.port, verbose.ca, review('secret-verbose', {}, { kind: 'Secret', object: secret }));
  await admit(
    verbose.port,
    verbose.ca,
    review('pod-verbose', {}, { kind: 'Pod', object: { kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'a', env: [{ name: 'DB_PASSWORD', value: 'hunter2' }, { name: 'MODE', value: 'fast' }] }] } } }),
  );
  await recorded();
  const secretLine = verbose.logs.find((l) => l.uid === 'secret-verbose')!;
  t.notMatch(JSON.stringify(verbose.logs), leaks, 'masked even when objects are logged');
  t.match(secretLine.object, { kind: 'Secret', metadata: { name: 'db' }, type: 'Opaque', data: { password: '<masked>' }, stringData: { token: '<masked>' } });
  const podLine = verbose.logs.find((l) => l.uid === 'pod-verbose')!;
  t.match(podLine.object, { spec: { containers: [{ env: [{ name: 'DB_PASSWORD', value: '<masked>' }, { name: 'MODE', value: 'fast' }] }] } }, 'objects are logged when asked');
});
