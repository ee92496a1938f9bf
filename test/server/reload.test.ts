// Hot reload under load: a good policy and data swap in, broken ones are rejected, no request fails.
import { copyFileSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { admit, buildEcho, call, keepAliveAgent, nextEvent, review, sample, startServer } from './helpers.js';
import type { ReloadResult } from '../../dist/server/policy.js';

const built = await buildEcho();

/** Replaces a file the way a deploy should: write beside it, then rename over it. */
function replaceFile(path: string, content: string | Buffer): void {
  writeFileSync(`${path}.tmp`, content);
  renameSync(`${path}.tmp`, path);
}

t.test('reload under load: good data, corrupt module, invalid data, good module; no request fails', async (t) => {
  const served = mkdtempSync(join(tmpdir(), 'wasmgate-served-'));
  copyFileSync(join(built, 'policy.wasm'), join(served, 'policy.wasm'));
  copyFileSync(join(built, 'data.json'), join(served, 'data.json'));
  const dataFile = join(served, 'data.yaml');
  writeFileSync(dataFile, 'config:\n  revision: one\n');

  const s = await startServer({ bundle: served, dataFile, watch: true, watchDebounce: '50ms', workers: '2' });
  const agent = keepAliveAgent(s.ca);
  // Every reload the server makes, in order (a file change may reach the watcher as more than one event).
  const reloads: ReloadResult[] = [];
  s.server.on('policyReload', (r) => reloads.push(r));

  // The load: 4 clients in a loop, each request asking which data revision served it.
  const failures: string[] = [];
  const servedBy = new Map<string, number>();
  let stop = false;
  let sent = 0;
  // Bounded in count and time; generous, since a loaded machine slows everything down.
  const deadline = Date.now() + 180_000;
  // Resolves once the load has had `n` more answers from the revision being served now.
  let onAnswer: (revision: string) => void = () => {};
  const answersFrom = (revision: string, n: number) =>
    new Promise<void>((resolve) => {
      let seen = 0;
      onAnswer = (r) => {
        if (r === `[revision] served by revision ${revision}` && ++seen >= n) resolve();
      };
    });
  const client = async (id: number) => {
    for (let i = 0; !stop && i < 5000 && Date.now() < deadline; i++) {
      sent++;
      const uid = `c${id}-${i}`;
      try {
        const reply = await admit(s.port, s.ca, review(uid, { showRevision: true }), { agent });
        if (reply.status !== 200 || reply.json?.response?.allowed !== true || reply.json.response.uid !== uid) {
          failures.push(`${uid}: ${reply.status} ${reply.text}`);
        } else {
          const revision = String(reply.json.response.warnings?.[0]);
          servedBy.set(revision, (servedBy.get(revision) ?? 0) + 1);
          onAnswer(revision);
        }
      } catch (err) {
        failures.push(`${uid}: ${(err as Error).message}`);
      }
    }
  };
  const servedOne = answersFrom('one', 10);
  const load = Promise.all([0, 1, 2, 3].map(client));
  // One teardown, in order: the load ends, its connections close, then the server drains.
  t.teardown(async () => {
    stop = true;
    await load;
    agent.destroy();
    await s.stop();
  });
  const readyz = async () => (await call(s.port, '/readyz', { ca: s.ca })).json;
  const metrics = async () => (await call(s.port, '/metrics', { ca: s.ca })).text;
  // Resolves with the first reload after `change` that ends as `expected`; a second reload for the same
  // change (the watcher may see a rename as two events) is told apart by its outcome, not by timing.
  const reload = (change: () => void, expected: (r: ReloadResult) => boolean) => {
    const event = nextEvent<ReloadResult>(s.server, 'policyReload', expected);
    change();
    return event;
  };
  const failuresSoFar = () => reloads.filter((r) => !r.ok).length;

  const first = s.server.policy.current.revision;
  await servedOne;
  const good = await reload(() => replaceFile(dataFile, 'config:\n  revision: two\n'), () => true);
  t.equal(good.ok, true, `new data accepted (${good.error ?? ''})`);
  t.not(good.revision, first);
  t.equal((await readyz()).policy.revision, good.revision);
  await answersFrom('two', 10);

  // A request in flight when the policy swaps finishes on the version it started on.
  const inFlight = admit(s.port, s.ca, review('in-flight', { spin: 600, showRevision: true }));
  const swapped = await s.server.reloadPolicy('test');
  t.equal(swapped.ok, true);
  const inFlightReply = await inFlight;
  t.equal(inFlightReply.json.response.allowed, true, 'the request that was in flight is answered');

  const corrupt = await reload(() => replaceFile(join(served, 'policy.wasm'), 'not a wasm module'), (r) => !r.ok);
  t.match(corrupt.error, /not a valid WebAssembly module/);
  t.equal(s.server.policy.current.revision, swapped.revision, 'the old policy keeps serving');
  const detail = await readyz();
  t.equal(detail.status, 'ready', 'still ready: the old policy serves');
  t.match(detail.lastReload, { ok: false, error: /not a valid WebAssembly module/ });
  let text = await metrics();
  t.equal(sample(text, 'wasmgate_reload_failing', { target: 'policy' }), 1);
  t.equal(sample(text, 'wasmgate_reloads_total', { target: 'policy', result: 'failure' }), failuresSoFar(), 'each failed reload is counted');
  t.equal(sample(text, 'wasmgate_policy_info', { revision: swapped.revision }), 1);

  copyFileSync(join(built, 'policy.wasm'), join(served, 'policy.wasm.tmp'));
  const restored = await reload(() => renameSync(join(served, 'policy.wasm.tmp'), join(served, 'policy.wasm')), (r) => r.ok || !/WebAssembly/.test(r.error ?? ''));
  t.equal(restored.ok, true, `good module accepted again (${restored.error ?? ''})`);

  const invalid = await reload(() => replaceFile(dataFile, 'config:\n  revision: 3\n'), (r) => !r.ok);
  t.match(invalid.error, /config\.revision must be a string/, 'the policy\'s own config check rejects the data');
  const unparsable = await reload(() => replaceFile(dataFile, 'config: [unclosed\n'), (r) => !r.ok && !/must be a string/.test(r.error ?? ''));
  t.match(unparsable.error, /data\.yaml is not valid YAML/);

  const fixed = await reload(() => replaceFile(dataFile, 'config:\n  revision: three\n'), (r) => r.ok || !/YAML/.test(r.error ?? ''));
  t.equal(fixed.ok, true);
  text = await metrics();
  t.equal(sample(text, 'wasmgate_reload_failing', { target: 'policy' }), 0);
  t.equal(sample(text, 'wasmgate_reloads_total', { target: 'policy', result: 'failure' }), failuresSoFar(), 'each failed reload is counted');
  t.equal(sample(text, 'wasmgate_reloads_total', { target: 'policy', result: 'success' }), reloads.filter((r) => r.ok).length);
  t.equal(sample(text, 'wasmgate_policy_info', { revision: fixed.revision }), 1);
  t.equal(sample(text, 'wasmgate_policy_info', { revision: first }), undefined, 'old revisions leave the metric');

  // Let the load see the final revision, then stop it.
  await answersFrom('three', 10);
  stop = true;
  await load;
  t.same(failures, [], `no request failed (${sent} sent)`);
  for (const revision of ['one', 'two', 'three']) {
    t.ok(servedBy.get(`[revision] served by revision ${revision}`), `revision ${revision} served requests`);
  }
  const rejected = s.logs.filter((l) => typeof l.msg === 'string' && (l.msg as string).startsWith('policy reload rejected'));
  t.same(
    rejected.map((l) => [l.level, l.reason]),
    reloads.filter((r) => !r.ok).map((r) => ['error', r.error]),
    'each rejection is logged at error level with its reason',
  );
});

t.test('SIGHUP-style reload with nothing changed swaps in a fresh copy of the same revision', async (t) => {
  const s = await startServer({ bundle: built });
  t.teardown(s.stop);
  const before = s.server.policy.current;
  const result = await s.server.reloadPolicy('SIGHUP');
  t.equal(result.ok, true);
  t.equal(result.revision, before.revision);
  t.not(s.server.policy.current.engine, before.engine, 'fresh workers');
  t.equal((await admit(s.port, s.ca, review('after-hup'))).json.response.allowed, true);
});

t.test('a reload while slow reviews are queued: every review is answered, later reloads apply, shutdown finishes', async (t) => {
  const served = mkdtempSync(join(tmpdir(), 'wasmgate-wedge-'));
  const dataFile = join(served, 'data.yaml');
  writeFileSync(dataFile, 'config:\n  revision: one\n');
  const s = await startServer({ bundle: built, dataFile, workers: '2', evalTimeout: '500ms' });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : s.stop()));
  // Six reviews far past the deadline on two workers: two evaluate, four wait in the queue.
  const uids = Array.from({ length: 6 }, (_, i) => `slow-${i}`);
  const replies = uids.map((uid) => admit(s.port, s.ca, review(uid, { spin: 20000 })));
  while ((sample((await call(s.port, '/metrics', { ca: s.ca })).text, 'wasmgate_admission_requests_in_flight') ?? 0) < uids.length);
  const first = await s.server.reloadPolicy('SIGHUP');
  t.equal(first.ok, true, 'the reload swaps in a new policy');

  const answers = await Promise.all(replies);
  t.same(
    answers.map((r) => [r.json?.response?.uid, r.json?.response?.allowed, r.json?.response?.status?.code]),
    uids.map((uid) => [uid, false, 500]),
    'every slow review is answered (failed closed), the queued ones too',
  );

  writeFileSync(dataFile, 'config:\n  revision: two\n');
  const second = await s.server.reloadPolicy('SIGHUP');
  t.equal(second.ok, true, `a later data change is applied (${second.error ?? ''})`);
  t.not(second.revision, first.revision);
  const ready = (await call(s.port, '/readyz', { ca: s.ca })).json;
  t.match(ready, { status: 'ready', policy: { revision: second.revision }, lastReload: { ok: true, revision: second.revision } });
  t.match((await admit(s.port, s.ca, review('after', { showRevision: true }))).json.response.warnings, ['[revision] served by revision two']);
  await s.stop();
  stopped = true;
  t.ok(s.logs.some((l) => l.msg === 'shutdown complete'), 'the shutdown finishes');
});
