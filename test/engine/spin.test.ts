// Spinning instead of sleeping between a worker and its caller: when it may happen (a free core, a
// spin that pays), that it is bounded, and that answers and the order of messages are what they are
// without it.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import t from 'tap';
import { Engine } from '../../dist/engine/index.js';
import { Occupancy, Spinner } from '../../dist/engine/spin.js';
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

t.test('a spinner stops when told, and after misses in a row skips 1, 2, 4, 8, then 16 chances between tries', async (t) => {
  let polls = 0;
  const poll = () => void polls++;
  const stopped = new Spinner(1_000_000);
  const started = performance.now();
  stopped.spin(poll, () => false);
  t.equal(polls, 1, 'go() false: one poll and out');
  t.ok(performance.now() - started < 500, 'without waiting out its second');

  // Long enough that a thread descheduled for a while still polls more than once per try.
  const spinner = new Spinner(20_000);
  const tried = Array.from({ length: 55 }, () => {
    const before = polls;
    spinner.spin(poll, () => true);
    return polls > before;
  });
  t.same(tried.flatMap((polled, i) => (polled ? [i] : [])), [0, 1, 3, 6, 11, 20, 37, 54]);
  for (let i = 0; i <= 16; i++) t.equal(spinner.spin(() => 'back', () => true), i === 16 ? 'back' : undefined, `chance ${i + 1} after the last try`);
  polls = 0;
  spinner.spin(poll, () => true);
  t.ok(polls > 1, 'after a hit it spins at the next chance again');
});

t.test('threads spin only while each of them, the main thread counted, has a core', async (t) => {
  const counts = Occupancy.allocate();
  const pool = new Occupancy(counts, 2);
  const [a, b] = [0, 1].map(() => new Occupancy(counts, 2, Occupancy.allocateCell()));
  t.ok(a!.startSpinning(), 'two cores: one worker may spin beside the main thread');
  t.notOk(b!.startSpinning(), 'but not a second');
  t.ok(pool.uncrowded);
  b!.startEvaluating();
  t.notOk(pool.uncrowded, 'a worker starting to evaluate crowds the spinner out');
  a!.stopSpinning();
  t.ok(pool.uncrowded, 'the main thread may wait for that evaluation spinning');
  t.notOk(a!.startSpinning(), 'an idle worker may not spin beside it');
  b!.stopEvaluating();
  t.ok(a!.startSpinning());
  t.notOk(new Occupancy(Occupancy.allocate(), 1, Occupancy.allocateCell()).startSpinning(), 'one core: nothing spins');
});

t.test('a worker terminated while it holds a core gives it back, and takes nothing after', async (t) => {
  const counts = Occupancy.allocate();
  const pool = new Occupancy(counts, 2);
  const cell = Occupancy.allocateCell();
  const stopped = new Occupancy(counts, 2, cell);
  const other = new Occupancy(counts, 2, Occupancy.allocateCell());
  stopped.startEvaluating();
  t.notOk(other.startSpinning(), 'its evaluation holds the second core');
  pool.release(cell);
  t.ok(other.startSpinning(), 'released, the core is free again');
  other.stopSpinning();
  stopped.stopEvaluating(); // as a worker that finishes just as it is terminated would
  t.notOk(stopped.startSpinning(), 'a released worker cannot take a core');
  t.ok(other.startSpinning(), 'and its late stop gave back nothing it no longer held');
});

t.test('reviews one after another: jobs and answers taken spinning are the same answers', async (t) => {
  // Windows far longer than these evaluations, so that a machine busy with other processes still
  // answers within them (by default the caller gives up when its worker has not claimed the job in 50 µs).
  const engine = await Engine.load({ bundle, workers: 1, cores: 2, spinMicros: 200_000, claimMicros: 200_000 });
  t.teardown(() => engine.close());
  await engine.ready();
  for (let i = 0; i < 20; i++) {
    const decision = await engine.evaluate(i % 2 ? denied(`r${i}`) : review(`r${i}`));
    t.equal(decision.allowed, i % 2 === 0, `review ${i}`);
    if (i % 2) t.equal(decision.violations[0]?.message, `r${i}`);
  }
  const { spunJobs, spunAnswers } = engine.stats();
  t.ok(spunJobs > 0, `${spunJobs} of 20 jobs were taken by a spinning worker`);
  t.ok(spunAnswers > 0, `${spunAnswers} of 20 answers were taken by the spinning caller`);
});

t.test('the caller stops spinning when its worker has not claimed the job within claimMicros', async (t) => {
  // After ready() the worker sleeps: the first job wakes it, which takes longer than 0 µs.
  const engine = await Engine.load({ bundle, workers: 1, cores: 2, spinMicros: 200_000, claimMicros: 0 });
  t.teardown(() => engine.close());
  await engine.ready();
  t.equal((await engine.evaluate(review('first'))).allowed, true);
  t.equal(engine.stats().spunAnswers, 0, 'it went back to sleeping, and was woken by the answer');
});

t.test('nothing spins on one core, or with a spin of 0 µs', async (t) => {
  for (const options of [{ cores: 1, spinMicros: 200_000 }, { cores: 2, spinMicros: 0 }]) {
    const engine = await Engine.load({ bundle, workers: 1, ...options });
    await engine.ready();
    for (let i = 0; i < 5; i++) t.equal((await engine.evaluate(review(`r${i}`))).allowed, true);
    t.same([engine.stats().spunJobs, engine.stats().spunAnswers], [0, 0], JSON.stringify(options));
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

t.test('a spinning caller still sees a stuck evaluation stopped at its deadline, and spinning goes on after it', async (t) => {
  const engine = await Engine.load({ bundle, workers: 1, cores: 2, spinMicros: 200_000, claimMicros: 200_000, timeoutMs: 300 });
  t.teardown(() => engine.close());
  await engine.ready();
  await t.rejects(engine.evaluate(review('stuck', { spin: 200000 })), { code: 'EVAL_TIMEOUT' });
  // The worker stopped mid-evaluation never said it had stopped: the pool must not count it as holding a core.
  const before = engine.stats();
  for (let i = 0; i < 10; i++) t.equal((await engine.evaluate(review(`after${i}`))).allowed, true, 'answered by the replacement');
  const after = engine.stats();
  t.ok(after.spunJobs > before.spunJobs, 'the replacement worker took jobs spinning');
  t.ok(after.spunAnswers > before.spunAnswers, 'and the caller took answers spinning');
});

t.test('the pool options must be whole numbers, each refused by name', async (t) => {
  for (const [name, value] of [['workers', 2.5], ['cores', 1.5], ['spinMicros', -1], ['claimMicros', Number.NaN]] as const) {
    await t.rejects(Engine.load({ bundle, [name]: value }), { code: 'CONFIG_INVALID', message: new RegExp(`^${name} must be a whole number`) }, `${name} ${value}`);
    if (name !== 'workers') {
      await t.rejects(Engine.load({ bundle, workers: 0, [name]: value }), { code: 'CONFIG_INVALID' }, `${name} ${value}, in the calling thread too`);
    }
  }
});
