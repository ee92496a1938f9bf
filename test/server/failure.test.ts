// Evaluation failures: a policy past its deadline and a policy that traps. Closed by default, open when asked.
import t from 'tap';
import { admit, buildEcho, call, recorded, review, sample, startServer } from './helpers.js';

const bundle = await buildEcho();
// 400 million steps of busy work (minutes): far past a 500 ms deadline, in little memory.
const slow = { spin: 20000 };
const trap = { conflict: true };

t.test('fail closed: a timeout and a trap deny with a message that the policy could not be evaluated', async (t) => {
  const s = await startServer({ bundle, evalTimeout: '500ms' });
  t.teardown(s.stop);

  const timedOut = await admit(s.port, s.ca, review('slow-1', slow));
  t.equal(timedOut.status, 200, 'an answer, not an HTTP error');
  t.equal(timedOut.json.response.uid, 'slow-1');
  t.equal(timedOut.json.response.allowed, false);
  t.equal(timedOut.json.response.status.code, 500);
  t.match(timedOut.json.response.status.message, /could not evaluate the policy: the evaluation did not finish within its deadline of 500 ms.*fail closed/);

  const trapped = await admit(s.port, s.ca, review('trap-1', trap, { apiVersion: 'admission.k8s.io/v1beta1' }));
  t.equal(trapped.json.apiVersion, 'admission.k8s.io/v1beta1');
  t.equal(trapped.json.response.allowed, false);
  t.match(trapped.json.response.status.message, /could not evaluate the policy: the policy failed/);
  t.notMatch(trapped.json.response.status.message, /rego|conflict|\.js/, 'no internals reach the client');

  const after = await admit(s.port, s.ca, review('after', {}));
  t.equal(after.json.response.allowed, true, 'the replacement worker answers the next request');

  await recorded();
  const logged = s.logs.filter((l) => l.uid === 'slow-1' || l.uid === 'trap-1');
  t.same(
    logged.map((l) => [l.uid, l.level, l.decision, (l.failure as { reason: string }).reason]),
    [
      ['slow-1', 'error', 'failed_closed', 'timeout'],
      ['trap-1', 'error', 'failed_closed', 'failed'],
    ],
  );
  t.match((logged[1]!.failure as { message: string }).message, /var assignment conflict/, 'the log has the details');

  const metrics = (await call(s.port, '/metrics', { ca: s.ca })).text;
  t.equal(sample(metrics, 'wasmgate_evaluation_errors_total', { reason: 'timeout' }), 1);
  t.equal(sample(metrics, 'wasmgate_evaluation_errors_total', { reason: 'failed' }), 1);
  t.equal(sample(metrics, 'wasmgate_admission_requests_total', { decision: 'failed_closed', kind: 'ConfigMap', operation: 'CREATE' }), 2);
});

t.test('fail open when configured: allowed, with a warning, and logged all the same', async (t) => {
  const s = await startServer({ bundle, evalTimeout: '500ms', failOpen: true });
  t.teardown(s.stop);
  for (const [uid, spec] of [
    ['open-slow', slow],
    ['open-trap', trap],
  ] as const) {
    const reply = await admit(s.port, s.ca, review(uid, spec));
    t.equal(reply.json.response.allowed, true, uid);
    t.equal(reply.json.response.status, undefined);
    t.match(reply.json.response.warnings[0], /could not evaluate the policy.*allowed without policy checks \(fail open\)/);
    await recorded();
    t.match(s.logs.find((l) => l.uid === uid), { level: 'error', decision: 'failed_open' });
  }
  const metrics = (await call(s.port, '/metrics', { ca: s.ca })).text;
  t.equal(sample(metrics, 'wasmgate_admission_requests_total', { decision: 'failed_open', kind: 'ConfigMap', operation: 'CREATE' }), 2);
});
