// maxConnections: past the cap a new connection is closed as it is accepted, counted and logged, and the
// connections already open keep being served.
import { EventEmitter } from 'node:events';
import type { Server } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import t from 'tap';
import { createLogger } from '../../dist/observability/logger.js';
import { WebhookMetrics } from '../../dist/observability/metrics.js';
import { capConnections, refusalLogIntervalMs } from '../../dist/server/connections.js';
import { admit, buildEcho, call, review, sample, startServer, testConfig } from './helpers.js';

const bundle = await buildEcho();

/** A TLS connection: resolves once its handshake is done, or with the error that ended it before. */
function open(port: number, ca: Buffer): Promise<{ socket?: TLSSocket; error?: Error; closedBeforeHandshake?: boolean }> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, ca });
    socket.once('secureConnect', () => resolve({ socket }));
    socket.once('error', (error) => resolve({ error }));
    socket.once('close', () => resolve({ closedBeforeHandshake: true }));
  });
}

/** Resolves once the server holds fewer than `n` connections (it sees a client's close a moment after). */
async function connectionsBelow(server: Server, n: number): Promise<void> {
  for (;;) {
    const count = await new Promise<number>((resolve, reject) => server.getConnections((err, c) => (err ? reject(err) : resolve(c))));
    if (count < n) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

t.test('past maxConnections a new connection is closed before its handshake; the open ones are served', async (t) => {
  const s = await startServer({ bundle, maxConnections: '2' });
  t.teardown(s.stop);
  const first = await open(s.port, s.ca);
  const second = await open(s.port, s.ca);
  t.ok(first.socket && second.socket, 'two connections up to the cap');
  const third = await open(s.port, s.ca);
  t.notOk(third.socket, 'the third gets no handshake');
  t.ok(third.error !== undefined || third.closedBeforeHandshake, 'it is closed or reset');

  const refusals = s.logs.filter((l) => l.msg !== undefined && /refused 1 connection\(s\)/.test(String(l.msg)));
  t.equal(refusals.length, 1, 'one warning');
  t.match(refusals[0], { level: 'warn', maxConnections: 2, refused: 1 });

  first.socket!.destroy();
  await connectionsBelow(s.server.https, 2);
  const answer = await admit(s.port, s.ca, review('after-refusal'));
  t.equal(answer.json.response.allowed, true, 'a slot freed by a closed connection serves a review');
  const metrics = await call(s.port, '/metrics', { ca: s.ca });
  t.equal(sample(metrics.text, 'wasmgate_connections_refused_total'), 1, 'the refusal is counted');
  second.socket!.destroy();
});

t.test('by default the cap is 1024, and 0 lifts it', async (t) => {
  t.equal(testConfig({ bundle }).maxConnections, 1024);
  const s = await startServer({ bundle, maxConnections: '0' });
  t.teardown(s.stop);
  t.notOk(s.server.https.maxConnections, 'no cap set on the server');
});

t.test('a burst of refusals is one warning per interval, with its count; the metric counts each', async (t) => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
  const metrics = new WebhookMetrics();
  const server = Object.assign(new EventEmitter(), { maxConnections: undefined as number | undefined });
  let clock = 1_000_000;
  capConnections(server as unknown as Server, 8, logger, metrics, () => clock);
  t.equal(server.maxConnections, 8);
  server.emit('drop');
  for (let i = 0; i < 5; i++) {
    clock += 1000;
    server.emit('drop');
  }
  clock += refusalLogIntervalMs;
  server.emit('drop');
  t.same(
    lines.map((l) => l.refused),
    [1, 6],
    'the first at once, then the next five and this one together once the interval has passed',
  );
  t.equal(sample(await metrics.registry.metrics(), 'wasmgate_connections_refused_total'), 7);
});

t.test('a cap that is not a whole number of at least 0 is refused by name', async (t) => {
  t.throws(() => testConfig({ bundle, maxConnections: '-1' }), /maxConnections/);
  t.throws(() => testConfig({ bundle, maxConnections: 'many' }), /maxConnections/);
});
