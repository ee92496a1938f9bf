// The real `wasmgate serve` process and its log on standard output: a reader that stops reading (a
// full pipe) does not stall reviews, and every line queued meanwhile is written, up to the last one at exit;
// lines are written in batches, yet one line alone on an idle server still comes out while it runs; no line
// names a key twice; and a start that fails still writes what it logged before it exits.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { repoRoot } from '../helpers/policies.js';
import { admit, buildEcho, review, spawnServe } from './helpers.js';

const bundle = await buildEcho();

/**
 * The lines that read differently once parsed and written again: a key given twice is JSON that
 * readers take apart differently (most keep the last one).
 */
const namingAKeyTwice = (texts: readonly string[]) => texts.filter((text) => text !== '' && JSON.stringify(JSON.parse(text)) !== text);

t.test('a log reader that stops reading stalls nothing, and no line is lost through exit', async (t) => {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'dist', 'cli', 'main.js'), 'serve', '--bundle', bundle, '--host', '127.0.0.1', '--port', '0', '--no-watch', '--workers', '1', '--shutdown-delay', '0s', '--log-objects'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, WASMGATE_LOG_LEVEL: 'info' } },
  );
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const closed = new Promise((resolve) => child.stdout.once('close', resolve));
  let text = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const lines = () =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
  // Read until the server listens, then stop reading: the pipe fills up behind the reader.
  await new Promise<void>((resolve) => {
    const check = () => {
      if (lines().some((l) => l.msg?.startsWith('listening')) && lines().some((l) => typeof l.certFile === 'string')) {
        child.stdout.off('data', check);
        child.stdout.pause();
        resolve();
      }
    };
    child.stdout.on('data', check);
  });
  const port = lines().find((l) => l.msg?.startsWith('listening'))!.port as number;
  const ca = readFileSync(lines().find((l) => typeof l.certFile === 'string')!.certFile as string);

  // Each decision line carries the object (~8 KB): 200 of them are many times what a pipe holds.
  const agent = new Agent({ keepAlive: true, maxSockets: 4, ca });
  t.teardown(() => agent.destroy());
  const filler = 'x'.repeat(8000);
  const uids = Array.from({ length: 200 }, (_, i) => `log-${i}`);
  const replies = await Promise.all(uids.map((uid) => admit(port, ca, review(uid, { filler }, { kind: 'Deployment' }), { agent })));
  t.same(
    replies.filter((r) => r.status !== 200 || r.json?.response?.allowed !== true).map((r) => r.text),
    [],
    'every review answered while nobody read the log',
  );

  child.stdout.resume();
  child.kill('SIGTERM');
  t.equal(await exited, 0, 'exit 0');
  await closed;
  const logged = lines();
  const decided = new Set(logged.filter((l) => l.msg === 'admission allowed').map((l) => l.uid as string));
  t.same([...uids].filter((uid) => !decided.has(uid)), [], 'a decision line for every review');
  t.ok(logged.filter((l) => l.msg === 'admission allowed').every((l) => l.object?.spec?.filler === filler), 'each whole');
  t.equal(logged.at(-1)?.msg, 'shutdown complete', 'the last line, written at exit');
  t.same(namingAKeyTwice(text.split('\n')), [], 'no line names a key twice');
});

/** `wasmgate serve` with one worker and no shutdown delay, its log read as JSON lines. */
const serve = (t: Test, args: string[]) => spawnServe(t, bundle, ['--workers', '1', '--shutdown-delay', '0s', ...args]);

t.test('one decision line on an otherwise idle server is written while it runs, not only at exit', async (t) => {
  const s = serve(t, ['--port', '0']);
  const listening = await s.logLine((l) => l.msg?.startsWith('listening'));
  const ca = readFileSync((await s.logLine((l) => typeof l.certFile === 'string')).certFile as string);
  const reply = await admit(listening.port as number, ca, review('alone'));
  t.equal(reply.json?.response?.allowed, true);
  // Far less than a batch: it comes out on the flush timer its first line set (if it never did, this would wait forever).
  const line = await s.logLine((l) => l.uid === 'alone');
  t.equal(line.msg, 'admission allowed');
  t.equal(s.child.exitCode, null, 'while the server still runs');
  s.child.kill('SIGTERM');
  t.equal(await s.exited, 0);
  await s.closed;
  t.same(namingAKeyTwice(s.texts), [], 'no line names a key twice');
  t.equal(line.name, 'obj-alone', "the decision line's name is the object's");
});

t.test('a start that fails still writes every line it logged before it exits', async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const s = serve(t, ['--port', String((blocker.address() as AddressInfo).port)]);
  t.equal(await s.exited, 2);
  await s.closed;
  t.ok(s.lines.some((l) => l.msg === 'policy loaded and self-checked'), 'the lines before the failure');
  t.match(s.lines.at(-1), { msg: 'shutdown complete' }, 'up to the last one');
});
