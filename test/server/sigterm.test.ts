// The real `wasmgate serve` process: SIGTERM under load answers every request it accepted, then exits 0.
import { spawn } from 'node:child_process';
import { Agent } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/policies.js';
import { admit, buildEcho, call, review, sample, serveProcess } from './helpers.js';

const bundle = await buildEcho();

t.test('SIGTERM during load: every accepted request is answered, new connections are refused, exit 0', async (t) => {
  const { child, exited, lines, logLine, port, ca, stderr } = await serveProcess(t, bundle, ['--workers', '2', '--eval-timeout', '1m', '--shutdown-delay', '0s']);
  t.equal((await admit(port, ca, review('warm'))).json.response.allowed, true);

  // Eight slow requests (each about four million steps of policy work) on two workers: in flight
  // together. The deadline is generous so that a loaded machine does not turn them into timeouts.
  const uids = Array.from({ length: 8 }, (_, i) => `slow-${i}`);
  let answered = 0;
  // Keep-alive connections, one each: the server, not the client, must close them for the drain to end.
  const agent = new Agent({ keepAlive: true, maxSockets: uids.length, ca });
  t.teardown(() => agent.destroy());
  const slow = uids.map((uid) =>
    admit(port, ca, review(uid, { spin: 2000 }), { agent }).then((reply) => {
      answered++;
      return reply;
    }),
  );
  // Wait until the server holds all of them (in flight or already answered), then send SIGTERM.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const inFlight = sample((await call(port, '/metrics', { ca })).text, 'wasmgate_admission_requests_in_flight') ?? 0;
    if (inFlight + answered >= uids.length || Date.now() > deadline) break;
  }
  t.ok(answered < uids.length, `SIGTERM lands with requests in flight (${uids.length - answered})`);
  child.kill('SIGTERM');
  await logLine((l) => l.msg?.startsWith('stopped accepting connections'));

  const refused = await admit(port, ca, review('too-late')).then(
    (reply) => `answered ${reply.status}`,
    (err: NodeJS.ErrnoException) => err.code,
  );
  t.equal(refused, 'ECONNREFUSED', 'a new connection after SIGTERM is refused');

  const replies = await Promise.all(slow);
  t.same(
    replies.map((r) => [r.status, r.json?.response?.uid, r.json?.response?.allowed]),
    uids.map((uid) => [200, uid, true]),
    'every accepted request got its answer',
  );
  t.ok(replies.every((r) => r.headers.connection === 'close'), 'answers during the drain close their connections');
  t.equal(await exited, 0, 'exit code 0');
  t.ok(lines.some((l) => l.msg === 'shutdown complete'));
  t.notOk(lines.some((l) => /shutdown timeout/.test(l.msg)), 'the drain ended by itself, not by the shutdown timeout');
  t.same(lines.filter((l) => uids.includes(l.uid)).map((l) => l.decision), uids.map(() => 'allowed'), 'a decision line for each');
  t.equal(stderr(), '', 'nothing on stderr');
});

t.test('with the default shutdownDelay, reviews still arriving on keep-alive connections after SIGTERM are all answered', async (t) => {
  const { child, exited, lines, logLine, port, ca, stderr } = await serveProcess(t, bundle, ['--workers', '1']);
  // An API server's connection pool: keep-alive connections, opened before the SIGTERM.
  const agent = new Agent({ keepAlive: true, maxSockets: 2, ca });
  t.teardown(() => agent.destroy());
  await Promise.all(['warm-0', 'warm-1'].map((uid) => admit(port, ca, review(uid), { agent })));
  child.kill('SIGTERM');
  await logLine((l) => l.msg?.startsWith('shutting down'));
  // Until the endpoint removal reaches it, the API server keeps sending on the connections it has.
  const outcomes: string[] = [];
  for (let i = 0; i < 20; i++) {
    const uid = `late-${i}`;
    outcomes.push(
      await admit(port, ca, review(uid), { agent }).then(
        (r) => (r.status === 200 && r.json?.response?.uid === uid && r.json.response.allowed === true ? 'answered' : `wrong: ${r.status} ${r.text}`),
        (err: NodeJS.ErrnoException) => `lost: ${err.code ?? err.message}`,
      ),
    );
  }
  t.same(outcomes, Array(20).fill('answered'), 'none is lost');
  t.equal((await call(port, '/readyz', { ca })).status, 503, 'while readiness fails');
  agent.destroy();
  t.equal(await exited, 0);
  t.match(lines.find((l) => l.msg?.startsWith('shutting down')), { delayMs: 5000 }, 'the default delay is 5 s');
  t.equal(stderr(), '');
});

t.test('a bad setting stops the start with exit 2, naming the key and where it came from', async (t) => {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'serve', '--port', 'eighty', '--bundle', bundle], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WASMGATE_BODY_LIMIT: 'huge' },
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 2);
  t.match(stderr, /port \(--port\): expected a whole number/);
  t.match(stderr, /bodyLimit \(WASMGATE_BODY_LIMIT\): expected a size/);
});

t.test('a port already in use stops the start with exit 2 and a clear message', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const { port } = blocker.address() as AddressInfo;
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'dist', 'cli', 'main.js'), 'serve', '--bundle', bundle, '--host', '127.0.0.1', '--port', String(port), '--workers', '1'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 2, 'exits (the watches and workers do not keep it alive)');
  t.match(stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`));
});
