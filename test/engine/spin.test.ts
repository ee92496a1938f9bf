// Spinning instead of sleeping between a worker and its caller: when it may happen (a free core, a
// spin that pays), that it is bounded, and that answers and the order of messages are what they are
// without it.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import t from 'tap';
import { Engine } from '../../dist/engine/index.js';
import { Spinner } from '../../dist/engine/spin.js';
import { Occupancy } from '../../dist/engine/worker-protocol.js';
import { compilePolicies, repoRoot } from '../helpers/policies.js';

const bundle = await compilePolicies(join(repoRoot, 'test', 'server', 'policies', 'echo'));
const review = (uid: string, spec: Record<string, unknown> = {}) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid, object: { metadata: { name: uid }, spec } },
});
const denied = (uid: string) => review(uid, { violations: [{ policy: 'p', message: uid, action: 'deny' }] });

t.test('a spinner returns what the poll gives, and gives up after its time', async (t) => {
  const spinner = new Spinner(2000);
  let polls = 0;
  t.equal(spinner.spin(() => (++polls === 3 ? 'got' : undefined), () => true), 'got');
  t.equal(spinner.hits, 1);
  const started = performance.now();
  t.equal(spinner.spin(() => undefined, () => true), undefined);
  t.ok(performance.now() - started >= 2, 'it polled for its 2 ms');
  t.equal(new Spinner(0).spin(() => 'never polled', () => true), undefined, 'a spinner of 0 µs never polls');
});

t.test('a spinner stops when told, and after three misses in a row tries once in sixteen chances', async (t) => {
  let polls = 0;
  const poll = () => void polls++;
  const stopped = new Spinner(1_000_000);
  const started = performance.now();
  stopped.spin(poll, () => false);
  t.equal(polls, 1, 'go() false: one poll and out');
  t.ok(performance.now() - started < 500, 'without waiting out its second');

  const spinner = new Spinner(100);
  for (let i = 0; i < 3; i++) spinner.spin(poll, () => true);
  polls = 0;
  const tried = Array.from({ length: 32 }, () => {
    const before = polls;
    spinner.spin(poll, () => true);
    return polls > before;
  });
  t.same(tried.flatMap((polled, i) => (polled ? [i] : [])), [15, 31], 'only every sixteenth chance polls');
  t.equal(spinner.spin(() => 'back', () => true), undefined, 'a chance in between does not poll');
  for (let i = 0; i < 14; i++) spinner.spin(() => 'back', () => true);
  t.equal(spinner.spin(() => 'back', () => true), 'back', 'the sixteenth does, and hits');
  polls = 0;
  spinner.spin(poll, () => true);
  t.ok(polls > 1, 'after a hit it spins at every chance again');
});

t.test('threads spin only while each of them, the main thread counted, has a core', async (t) => {
  const two = new Occupancy(Occupancy.allocate(), 2);
  t.ok(two.startSpinning(), 'two cores: one worker may spin beside the main thread');
  t.notOk(two.startSpinning(), 'but not a second');
  t.ok(two.uncrowded);
  two.startEvaluating();
  t.notOk(two.uncrowded, 'a worker starting to evaluate crowds the spinner out');
  two.stopSpinning();
  t.ok(two.uncrowded, 'the main thread may wait for that evaluation spinning');
  t.notOk(two.startSpinning(), 'an idle worker may not spin beside it');
  two.stopEvaluating();
  t.ok(two.startSpinning());
  t.notOk(new Occupancy(Occupancy.allocate(), 1).startSpinning(), 'one core: nothing spins');
});

t.test('reviews one after another: answers taken by spinning are the same answers', async (t) => {
  // A window far longer than a 2 KB evaluation, so that a loaded machine still answers within it.
  const engine = await Engine.load({ bundle, workers: 1, cores: 2, spinMicros: 200_000 });
  t.teardown(() => engine.close());
  await engine.ready();
  for (let i = 0; i < 20; i++) {
    const decision = await engine.evaluate(i % 2 ? denied(`r${i}`) : review(`r${i}`));
    t.equal(decision.allowed, i % 2 === 0, `review ${i}`);
    if (i % 2) t.equal(decision.violations[0]?.message, `r${i}`);
  }
  t.ok(engine.stats().spunAnswers > 0, `${engine.stats().spunAnswers} of 20 answers were taken spinning`);
});

t.test('nothing spins on one core, or with a spin of 0 µs', async (t) => {
  for (const options of [{ cores: 1, spinMicros: 200_000 }, { cores: 2, spinMicros: 0 }]) {
    const engine = await Engine.load({ bundle, workers: 1, ...options });
    await engine.ready();
    for (let i = 0; i < 5; i++) t.equal((await engine.evaluate(review(`r${i}`))).allowed, true);
    t.equal(engine.stats().spunAnswers, 0, JSON.stringify(options));
    await engine.close();
  }
});

t.test('new data sent while the worker spins reaches it before the reviews sent after it', async (t) => {
  const engine = await Engine.load({ bundle, workers: 1, cores: 2, spinMicros: 200_000 });
  t.teardown(() => engine.close());
  await engine.ready();
  for (const revision of ['b', 'c', 'd', 'e']) {
    engine.setData({ config: { revision } });
    const decision = await engine.evaluate(review(revision, { showRevision: true }));
    t.equal(decision.violations[0]?.message, `served by revision ${revision}`);
  }
});

t.test('a spinning caller still sees a stuck evaluation stopped at its deadline', async (t) => {
  const engine = await Engine.load({ bundle, workers: 1, cores: 2, spinMicros: 50_000, timeoutMs: 300 });
  t.teardown(() => engine.close());
  await engine.ready();
  await t.rejects(engine.evaluate(review('stuck', { spin: 200000 })), { code: 'EVAL_TIMEOUT' });
  t.equal((await engine.evaluate(review('after'))).allowed, true, 'and the next review is answered by the replacement');
});
