// The review POSTs the API server sends (Content-Length, identity, UTF-8 JSON) are answered without
// express (src/server/review-fast-path.ts); the same request sent chunked goes through express. Both
// must answer, log and count alike, for good reviews, bad ones, and a client that goes mid-body.
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:tls';
import t from 'tap';
import { createLogger } from '../../dist/observability/logger.js';
import { WebhookMetrics } from '../../dist/observability/metrics.js';
import type { AppContext } from '../../dist/server/handlers.js';
import { reviewFastPath } from '../../dist/server/review-fast-path.js';
import { WebhookServer } from '../../dist/server/server.js';
import { admit as admitTo, buildEcho, call, recorded, review, sample, startServer, testConfig, type Reply } from './helpers.js';

const bundle = await buildEcho();
const running = await startServer({ bundle });
const { port, ca, logs } = running;
t.teardown(running.stop);

/** POSTs `body` to `path` either with Content-Length (the fast path) or chunked (express). */
function post(path: string, body: string, chunked: boolean): Promise<Reply> {
  const framing = chunked ? { 'transfer-encoding': 'chunked' } : { 'content-length': String(Buffer.byteLength(body)) };
  return call(port, path, { ca, method: 'POST', headers: { 'content-type': 'application/json', ...framing }, body });
}

const metricsText = async () => (await call(port, '/metrics', { ca })).text;
/** The headers that say anything about the answer (Date and the connection's own differ by nature). */
const answerHeaders = (h: Record<string, string | string[] | undefined>) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'date' && k !== 'transfer-encoding'));

t.test('the fast path and express answer the same reviews with the same status, headers, body, log line and metrics', async (t) => {
  const cases: { name: string; path: string; body: (uid: string) => string }[] = [
    { name: 'allowed', path: '/validate', body: (uid) => JSON.stringify(review(uid)) },
    { name: 'denied', path: '/validate', body: (uid) => JSON.stringify(review(uid, { violations: [{ policy: 'limits', message: 'no memory limit', action: 'deny' }] })) },
    { name: 'mutation', path: '/mutate', body: (uid) => JSON.stringify(review(uid)) },
    { name: 'not JSON', path: '/validate', body: () => '{"apiVersion": ' },
    { name: 'not an AdmissionReview', path: '/validate', body: (uid) => JSON.stringify({ ...review(uid), kind: 'Pod' }) },
    { name: 'empty', path: '/validate', body: () => '' },
  ];
  for (const c of cases) {
    const replies = [];
    const lines = [];
    for (const chunked of [false, true]) {
      const uid = `${c.name}-${chunked ? 'b' : 'a'}`; // of one length: Content-Length is compared
      const before = logs.length;
      const reply = await post(c.path, c.body(uid), chunked);
      replies.push({ status: reply.status, headers: answerHeaders(reply.headers), json: JSON.parse(reply.text.replaceAll(uid, 'UID')) });
      await recorded();
      const logged = logs.slice(before).map(({ time: _time, uid: _uid, durationMs, name, ...rest }) => ({ ...rest, name: typeof name === 'string' ? name.replaceAll(uid, 'UID') : name, timed: typeof durationMs === 'number' }));
      lines.push(logged);
    }
    t.same(replies[0], replies[1], `${c.name}: the same answer`);
    t.same(lines[0], lines[1], `${c.name}: the same log lines`);
    t.ok(lines[0]!.length > 0, `${c.name}: logged`);
  }
  const metrics = await metricsText();
  t.equal(sample(metrics, 'wasmgate_admission_requests_total', { decision: 'allowed', kind: 'ConfigMap', operation: 'CREATE' }), 2, 'both allowed reviews counted');
  t.equal(sample(metrics, 'wasmgate_admission_requests_total', { decision: 'denied', kind: 'ConfigMap', operation: 'CREATE' }), 2, 'both denied reviews counted');
  t.equal(sample(metrics, 'wasmgate_mutation_requests_total', { operation: 'CREATE', result: 'unchanged' }), 2, 'both mutations counted');
  t.equal(sample(metrics, 'wasmgate_bad_requests_total', { status: '400' }), 6, 'each bad body counted once, on either path');
  t.equal(sample(metrics, 'wasmgate_admission_requests_in_flight'), 0, 'none left in flight');
});

t.test('a client that goes before its body is complete is a bad request, logged and counted, and leaves nothing in flight, on either path', async (t) => {
  const bad = async () => sample(await metricsText(), 'wasmgate_bad_requests_total', { status: '400' }) ?? 0;
  const heads = {
    fast: 'Content-Length: 1000\r\n\r\n{"apiVersion":',
    express: 'Transfer-Encoding: chunked\r\n\r\n3e8\r\n{"apiVersion":',
  };
  const seen = [];
  for (const [path, head] of Object.entries(heads)) {
    const before = await bad();
    const logged = logs.length;
    await new Promise<void>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, ca }, () => {
        socket.write(`POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${head}`, () => {
          // Once the server holds the headers and part of the body (the review is in flight), the client goes.
          void (async () => {
            while ((sample(await metricsText(), 'wasmgate_admission_requests_in_flight') ?? 0) < 1);
            socket.destroy();
            resolve();
          })().catch(reject);
        });
      });
      socket.on('error', () => {});
    });
    while (logs.slice(logged).every((l) => l.msg !== 'bad request')) await new Promise((r) => setImmediate(r));
    const { time: _time, remote: _remote, ...line } = logs.slice(logged).find((l) => l.msg === 'bad request')!;
    t.match(line, { level: 'warn', status: 400, method: 'POST', path: '/validate', reason: 'the client aborted the request before its body was complete' }, `${path}: logged`);
    seen.push(line);
    t.equal(await bad(), before + 1, `${path}: counted as a 400`);
    t.equal(sample(await metricsText(), 'wasmgate_admission_requests_in_flight'), 0, `${path}: no longer in flight`);
  }
  t.same(seen[0], seen[1], 'the same log line');
});

t.test('which requests the fast path takes: only what it answers exactly as express would; the rest reaches express unread', async (t) => {
  const config = testConfig({ bodyLimit: '1KiB' });
  const ctx = { config, metrics: new WebhookMetrics({ processMetrics: false }), logger: createLogger({ level: 'silent' }), state: { draining: false } } as unknown as AppContext;
  // Which of the two answered, and (for express) whether the body was still all there to read.
  const answerers = new Map([[config.path, async (body: unknown, res: ServerResponse) => void res.end(`fast ${(body as Buffer).length}`)]]);
  const express = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => res.end(`express ${Buffer.concat(chunks).length}`));
  };
  const server = createServer(reviewFastPath(ctx, answerers, express));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const { port: plain } = server.address() as AddressInfo;
  const send = (options: { method?: string; path?: string; headers?: Record<string, string | number>; body?: string; chunked?: boolean }) =>
    new Promise<string>((resolve, reject) => {
      const body = options.body ?? '{"a":1}';
      const headers = { 'content-type': 'application/json', ...(options.chunked ? {} : { 'content-length': Buffer.byteLength(body) }), ...options.headers };
      const req = httpRequest({ host: '127.0.0.1', port: plain, path: options.path ?? config.path, method: options.method ?? 'POST', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text));
      });
      req.on('error', reject);
      if (options.chunked) req.write(body.slice(0, 3));
      req.end(options.chunked ? body.slice(3) : body);
    });

  t.equal(await send({}), 'fast 7', 'POST of JSON with a Content-Length');
  t.equal(await send({ path: `${config.path}?timeout=10s` }), 'fast 7', 'with the API server\'s timeout');
  t.equal(await send({ headers: { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'identity' } }), 'fast 7', 'UTF-8 and identity said outright');
  t.equal(await send({ body: 'x'.repeat(1024) }), 'fast 1024', 'a body of exactly the limit');
  for (const [what, options] of [
    ['chunked (no Content-Length)', { chunked: true }],
    ['a body over the limit', { body: 'x'.repeat(1025) }],
    ['gzip', { headers: { 'content-encoding': 'gzip' } }],
    ['text/plain', { headers: { 'content-type': 'text/plain' } }],
    ['ISO-8859-1', { headers: { 'content-type': 'application/json; charset=iso-8859-1' } }],
    ['another path', { path: '/validate/' }],
    ['the path in other case', { path: config.path.toUpperCase() }],
    ['PUT', { method: 'PUT' }],
  ] as const) {
    t.equal(await send(options), `express ${(options as { body?: string }).body?.length ?? 7}`, `${what}: express, the body unread`);
  }
  t.equal(sample(await ctx.metrics.text(), 'wasmgate_admission_requests_in_flight'), 0);
});

t.test('at log level error a review\'s info line is not written, a failed one\'s error line still is, on both endpoints', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'error', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const server = await WebhookServer.build(testConfig({ bundle, logObjects: true }), { logger });
  const { port: quiet } = await server.listen();
  t.teardown(() => server.shutdown());
  const sendTo = (path: string, body: unknown) => admitTo(quiet, ca, body, { path, ca: readFileSync(server.tlsFiles.certFile) });
  t.equal((await sendTo('/validate', review('quiet-ok'))).json.response.allowed, true);
  t.equal((await sendTo('/mutate', review('quiet-mutate'))).json.response.allowed, true);
  t.equal((await sendTo('/validate', review('quiet-trap', { conflict: true }))).json.response.allowed, false);
  t.same(lines.map((l) => [l.uid, l.level, l.decision]), [['quiet-trap', 'error', 'failed_closed']]);
  t.match(lines[0], { object: { kind: 'ConfigMap' } }, 'with its object (log.objects)');
});
