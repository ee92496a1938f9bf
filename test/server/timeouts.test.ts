// Slow clients cannot pin the server: the TLS handshake, the headers and the whole request are bounded.
import { connect as tcpConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import t from 'tap';
import { admit, buildEcho, review, startServer } from './helpers.js';

const bundle = await buildEcho();
const s = await startServer({ bundle, headersTimeout: '300ms', requestTimeout: '600ms' });
t.teardown(s.stop);

/** Opens a TLS connection, writes `text`, and resolves with everything the server sent once it closed. */
function stall(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = tlsConnect({ host: '127.0.0.1', port: s.port, ca: s.ca }, () => socket.write(text));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

t.test('headers that never finish: 408 and the connection is closed', async (t) => {
  const answer = stall('POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n');
  t.equal((await admit(s.port, s.ca, review('meanwhile-1'))).json.response.allowed, true, 'others are served meanwhile');
  t.match(await answer, /^HTTP\/1\.1 408/);
});

t.test('a body that never finishes: 408 and the connection is closed', async (t) => {
  const answer = stall('POST /validate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"apiVersion":');
  t.equal((await admit(s.port, s.ca, review('meanwhile-2'))).json.response.allowed, true, 'others are served meanwhile');
  t.match(await answer, /^HTTP\/1\.1 408/);
});

t.test('a TCP connection that never starts TLS is closed', async (t) => {
  const closed = await new Promise<boolean>((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port: s.port });
    socket.on('error', () => {});
    socket.on('close', () => resolve(true));
  });
  t.ok(closed);
});

t.test('answers advertise a keep-alive longer than the API server\'s 90 s idle timeout', async (t) => {
  const running = await startServer({ bundle });
  t.teardown(running.stop);
  const reply = await admit(running.port, running.ca, review('keep-alive'), { headers: { 'content-type': 'application/json', connection: 'keep-alive' } });
  t.equal(reply.headers['keep-alive'], 'timeout=120');
});
