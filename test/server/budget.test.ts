// Every review is answered within its time budget (the API server's ?timeout=), whatever the queue holds.
import t from 'tap';
import { performance } from 'node:perf_hooks';
import { parseGoDuration, reviewBudget } from '../../dist/server/budget.js';
import { budgetedReason } from '../../dist/server/review.js';
import { admit, buildEcho, call, recorded, review, sample, startServer } from './helpers.js';

const bundle = await buildEcho();

t.test('the budget is the API server\'s timeout (Go duration text), capped by reviewTimeout', async (t) => {
  t.same(
    ['3s', '1m0s', '1.5s', '500ms', '1h2m3s', '250000us', '', 'abc', '3', '-1s', '3 s'].map(parseGoDuration),
    [3000, 60_000, 1500, 500, 3_723_000, 250, undefined, undefined, undefined, undefined, undefined],
  );
  t.match(reviewBudget('/validate?timeout=3s', 100, 10_000), { ms: 3000, from: "the API server's timeout=3s", answerBy: 100 + 3000 - 300, marginMs: 300 });
  t.match(reviewBudget('/validate?timeout=30s', 0, 10_000), { ms: 10_000, from: 'reviewTimeout', answerBy: 9500 }, 'capped by reviewTimeout');
  t.match(reviewBudget('/validate', 0, 10_000), { ms: 10_000, from: 'reviewTimeout' }, 'no timeout: the cap');
  t.match(reviewBudget('/validate?timeout=soon', 0, 2000), { ms: 2000, from: 'reviewTimeout', answerBy: 1800 }, 'an unreadable timeout: the cap');
  t.match(reviewBudget('/validate?timeout=0s', 0, 2000), { ms: 2000 }, 'zero: the cap');
});

t.test('a shed review is said to be shed even when its timer fired a little before the answer was due', async (t) => {
  // Node starts a timer from the event loop's cached time, so it can fire some milliseconds early.
  const budget = { ...reviewBudget('/validate?timeout=1s', performance.now() - 880, 10_000), from: "the API server's timeout=1s" };
  const settings = { failOpen: false, timeoutMs: 2000, budget };
  t.match(budgetedReason('OVERLOADED', settings), /^no policy worker was free within its time budget of 1000 ms/);
  t.match(budgetedReason('EVAL_TIMEOUT', settings), /^the evaluation did not finish within its time budget of 1000 ms/);
  const early = { ...settings, budget: reviewBudget('/validate?timeout=10s', performance.now(), 10_000) };
  t.notMatch(budgetedReason('EVAL_TIMEOUT', early), /budget/, 'an evaluation deadline long before the budget ends is the deadline');
});

t.test('reviews queued behind a slow one are shed at the end of their budget, before reaching a worker', async (t) => {
  const s = await startServer({ bundle, workers: '1', evalTimeout: '20s', reviewTimeout: '30s' });
  t.teardown(s.stop);
  const inFlight = async () => sample((await call(s.port, '/metrics', { ca: s.ca })).text, 'wasmgate_admission_requests_in_flight') ?? 0;

  // One review occupies the only worker until its own budget (8 s) ends: its spin (4·10¹⁰ steps) would take minutes.
  let slowAnswered = false;
  const slow = admit(s.port, s.ca, review('slow', { spin: 200000 }), { path: '/validate?timeout=8s' }).then((reply) => {
    slowAnswered = true;
    return reply;
  });
  while ((await inFlight()) < 1);
  // Three ordinary reviews with a budget of 1 s: no worker is free before it ends.
  const uids = ['queued-0', 'queued-1', 'queued-2'];
  const queued = await Promise.all(uids.map((uid) => admit(s.port, s.ca, review(uid), { path: '/validate?timeout=1s' })));
  t.equal(slowAnswered, false, 'the queued reviews are answered while the worker is still busy with the slow one');
  for (const [i, reply] of queued.entries()) {
    t.equal(reply.status, 200);
    t.match(reply.json.response, { uid: uids[i], allowed: false, status: { code: 500 } }, `${uids[i]}: failed closed`);
    t.match(
      reply.json.response.status.message,
      /^wasmgate could not evaluate the policy: no policy worker was free within its time budget of 1000 ms \(the API server's timeout=1s\) \(request uid queued-\d\); the request is denied \(fail closed\)$/,
      `${uids[i]}: the answer says why`,
    );
  }
  const slowReply = await slow;
  t.match(slowReply.json.response.status.message, /the evaluation did not finish within its time budget of 8000 ms \(the API server's timeout=8s\)/, 'the slow one is stopped at the end of its budget');

  const metrics = (await call(s.port, '/metrics', { ca: s.ca })).text;
  t.equal(sample(metrics, 'wasmgate_admission_shed_total'), 3, 'shed reviews are counted');
  t.equal(sample(metrics, 'wasmgate_evaluation_errors_total', { reason: 'timeout' }), 1, 'only the slow one was evaluated (and stopped)');
  await recorded();
  const lines = s.logs.filter((l) => uids.includes(l.uid as string));
  t.same(
    lines.map((l) => [l.uid, l.level, l.decision, (l.failure as { reason: string }).reason]),
    uids.map((uid) => [uid, 'error', 'failed_closed', 'shed']),
    'one decision line each, saying it was shed',
  );
  t.match(lines[0]!.msg, /shed/);
  t.match((lines[0]!.failure as { message: string }).message, /waited \d+ ms for a free policy worker/);
  t.equal((await admit(s.port, s.ca, review('after'))).json.response.allowed, true, 'the next review is decided');
});

t.test('fail open applies to shed reviews too', async (t) => {
  const s = await startServer({ bundle, workers: '1', evalTimeout: '20s', failOpen: true });
  t.teardown(s.stop);
  const slow = admit(s.port, s.ca, review('slow', { spin: 200000 }), { path: '/validate?timeout=4s' });
  while ((sample((await call(s.port, '/metrics', { ca: s.ca })).text, 'wasmgate_admission_requests_in_flight') ?? 0) < 1);
  const reply = await admit(s.port, s.ca, review('open'), { path: '/validate?timeout=1s' });
  t.equal(reply.json.response.allowed, true);
  t.match(reply.json.response.warnings[0], /no policy worker was free within its time budget of 1000 ms.*allowed without policy checks \(fail open\)$/);
  await slow;
});

t.test("workers 0: the server's own thread evaluates, and a slow review is stopped at its budget all the same", async (t) => {
  const s = await startServer({ bundle, workers: '0', evalTimeout: '20s', reviewTimeout: '30s' });
  t.teardown(s.stop);
  const started = performance.now();
  const slow = await admit(s.port, s.ca, review('slow', { spin: 200000 }), { path: '/validate?timeout=1s' });
  t.ok(performance.now() - started < 1500, 'answered within its budget');
  t.match(slow.json.response, { uid: 'slow', allowed: false, status: { code: 500 } }, 'failed closed');
  t.match(slow.json.response.status.message, /the evaluation did not finish within its time budget of 1000 ms \(the API server's timeout=1s\)/);
  const metrics = (await call(s.port, '/metrics', { ca: s.ca })).text;
  t.equal(sample(metrics, 'wasmgate_evaluation_errors_total', { reason: 'timeout' }), 1, 'counted as a timeout');
  t.equal((await admit(s.port, s.ca, review('after'))).json.response.allowed, true, 'the next review is decided');
  t.equal((await call(s.port, '/healthz', { ca: s.ca })).status, 200);
});
