// The pool under load: jobs handed to a worker several at once keep every guarantee a job alone has.
// Jobs submitted right after Engine.load, before its worker has started, are all waiting when it
// starts, so they reach it together. When a job has started is read from the pool's own record of
// its workers' batches (the cells each worker marks as it claims a job), so no test guesses by a clock.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as tick } from 'node:timers/promises';
import type { Worker } from 'node:worker_threads';
import t, { type Test } from 'tap';
import { Engine, type EngineOptions } from '../../dist/engine/index.js';
import { isWasmgateError } from '../../dist/errors.js';
import type { EvaluationSteps } from '../../dist/observability/steps.js';
import { compilePolicies, repoRoot } from '../helpers/policies.js';

// The server tests' echo policy: the review says what it decides, and how long it spins, in O(n) memory.
const bundle = await compilePolicies(join(repoRoot, 'test', 'server', 'policies', 'echo'));

function review(name: string, spec: Record<string, unknown> = {}) {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: name, object: { metadata: { name }, spec } } };
}
/** An evaluation that would run for minutes (4·10¹⁰ steps): only a deadline ends it. */
const stuck = (name: string) => review(name, { spin: 200000 });
const denied = (name: string) => review(name, { violations: [{ policy: 'p', message: 'no', action: 'deny' }] });

/** What a promise settled with: 'allowed', 'denied' or the error's code. */
const outcome = (p: Promise<{ allowed: boolean }>) =>
  p.then(
    (d) => (d.allowed ? 'allowed' : 'denied'),
    (e: unknown) => (isWasmgateError(e) ? e.code : String(e)),
  );

/** The pool's view of its workers (private to it: read here only to know what a worker is doing). */
interface PoolView {
  slots: {
    worker: Worker;
    batch?: { number: number; jobs: ({ job: { input: { request?: { uid?: string } } } } | undefined)[] };
    progress: { state(batch: number, index: number): number | undefined };
  }[];
}
const poolOf = (engine: Engine) => (engine as unknown as { pool: PoolView }).pool;

async function load(t: Test, options: EngineOptions) {
  const engine = await Engine.load({ bundle, ...options });
  t.teardown(() => engine.close());
  /** Resolves once a worker has started evaluating review `uid` (state 1: running). */
  const started = async (uid: string) => {
    const running = () =>
      poolOf(engine).slots.some(({ batch, progress }) => batch?.jobs.some((p, i) => p?.job.input.request?.uid === uid && progress.state(batch.number, i) === 1));
    while (!running()) await tick();
  };
  return { engine, started };
}

/** The evaluations answered while `body` runs, from the pool's own steps. */
async function evaluations<T>(body: () => Promise<T>): Promise<{ result: T; steps: EvaluationSteps[] }> {
  const steps: EvaluationSteps[] = [];
  const onStep = (m: unknown) => void steps.push(m as EvaluationSteps);
  subscribe('wasmgate:evaluation', onStep);
  try {
    return { result: await body(), steps };
  } finally {
    unsubscribe('wasmgate:evaluation', onStep);
  }
}

t.test('each job of a batch has the whole deadline from when its own evaluation starts', async (t) => {
  // How long one spin of 3000² steps takes on a worker here: the median of five, after three that let
  // V8 tier the module's code up (the workers share it, so the batch below runs the faster code; timed
  // cold, the spins came out slower than the batch's and the deadline too long), so one slow moment
  // does not set it. The deadline is four of them, a batch eight (together more than the deadline).
  const { engine: probe } = await load(t, { workers: 1 });
  for (let i = 0; i < 3; i++) await probe.evaluate(review('warm-up', { spin: 3000 }));
  const { steps: probed } = await evaluations(async () => {
    for (let i = 0; i < 5; i++) await probe.evaluate(review('probe', { spin: 3000 }));
  });
  const timeoutMs = Math.ceil(4 * probed.map((s) => s.evaluationMs).sort((a, b) => a - b)[2]!);
  const { engine } = await load(t, { workers: 1, timeoutMs });
  const { result, steps } = await evaluations(() => Promise.all(Array.from({ length: 8 }, (_, i) => outcome(engine.evaluate(review(`spin-${i}`, { spin: 3000 }))))));
  t.same(result, Array(8).fill('allowed'), 'every spin is answered, none timed out');
  const total = steps.reduce((sum, s) => sum + s.evaluationMs, 0);
  t.ok(total > timeoutMs, `the batch's evaluations took ${Math.round(total)} ms together, more than one deadline of ${timeoutMs} ms`);
});

t.test('a slow job fails alone: the jobs batched behind it go back to the head of the queue', async (t) => {
  const { engine, started } = await load(t, { workers: 1, timeoutMs: 300 });
  // a and c as bytes, as the webhook has them: put back in the queue, they still have them.
  const bytes = (input: object) => Buffer.from(JSON.stringify(input));
  const batched = [stuck('stuck'), bytes(review('a')), review('b'), bytes(denied('c'))].map((input) => outcome(engine.evaluate(input)));
  await started('stuck');
  const order: string[] = [];
  // Queued in the pool while the batch runs: it must be answered after the batch's own jobs.
  const later = outcome(engine.evaluate(review('later'))).then((o) => (order.push('later'), o));
  batched.slice(1).forEach((p, i) => void p.then(() => order.push(['a', 'b', 'c'][i]!)));
  t.same(await Promise.all([...batched, later]), ['EVAL_TIMEOUT', 'allowed', 'allowed', 'denied', 'allowed']);
  t.same(order, ['a', 'b', 'c', 'later'], 'in their order, ahead of the job queued after them');
});

t.test('a job whose budget ends while it waits in a batch is shed at once, without being evaluated', async (t) => {
  const { engine, started } = await load(t, { workers: 1, timeoutMs: 20_000 });
  await engine.ready();
  const now = performance.now();
  let slowSettled = false;
  const { result, steps } = await evaluations(async () => {
    // The worker is busy with the first; the next two wait in the pool, then go to it together.
    const first = outcome(engine.evaluate(review('first', { spin: 3000 })));
    const slow = outcome(engine.evaluate(stuck('stuck'), { deadline: now + 3_000 })).then((o) => ((slowSettled = true), o));
    const short = engine.evaluate(review('short'), { deadline: now + 1_500 });
    await started('stuck');
    const err = await short.then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(isWasmgateError(err, 'OVERLOADED'), `shed (got ${String(err)})`);
    t.match((err as Error).message, /^shed: waited \d+ ms in its worker's batch, behind an evaluation still running, and its budget ran out$/, 'it says where it waited');
    t.equal(slowSettled, false, 'answered while the evaluation ahead of it still runs');
    return Promise.all([first, slow]);
  });
  t.same(result, ['allowed', 'EVAL_TIMEOUT'], 'the slow one is stopped at the end of its own budget');
  t.equal(steps.length, 1, 'only the first was evaluated');
  t.equal(await outcome(engine.evaluate(review('after'))), 'allowed', 'the replacement worker answers');
});

t.test('a worker that dies mid-batch fails the job it ran; the others are answered by its replacement', async (t) => {
  const { engine, started } = await load(t, { workers: 1, timeoutMs: 20_000 });
  const batched = [outcome(engine.evaluate(stuck('stuck'))), outcome(engine.evaluate(review('a'))), outcome(engine.evaluate(denied('b')))];
  await started('stuck');
  // A crash, as an out-of-memory V8 or a native fault would end the thread.
  const pool = poolOf(engine);
  t.equal(pool.slots.length, 1);
  void pool.slots[0]!.worker.terminate();
  t.same(await Promise.all(batched), ['EVAL_FAILED', 'allowed', 'denied']);
  t.equal(pool.slots.length, 1, 'one worker again');
});

t.test('a memory ceiling hit mid-batch fails that job alone; the rest are answered by a fresh worker', async (t) => {
  const { engine } = await load(t, { workers: 1, memoryLimitBytes: 4 * 1024 * 1024 });
  const { result, steps } = await evaluations(() =>
    Promise.all([
      outcome(engine.evaluate(review('small'))),
      outcome(engine.evaluate(review('huge', { padding: 'x'.repeat(8 * 1024 * 1024) }))),
      outcome(engine.evaluate(review('a'))),
      outcome(engine.evaluate(denied('b'))),
    ]),
  );
  t.same(result, ['allowed', 'MEMORY_LIMIT', 'allowed', 'denied']);
  t.equal(steps.length, 3, 'each of the others evaluated once');
});

t.test('an idle worker takes over the jobs waiting in a busy worker\'s batch', async (t) => {
  const { engine, started } = await load(t, { workers: 2, timeoutMs: 20_000 });
  await engine.ready();
  const now = performance.now();
  // One job each for the two workers; the three after wait, and go together to whichever is free first.
  const firsts = [outcome(engine.evaluate(review('x', { spin: 2000 }))), outcome(engine.evaluate(review('y', { spin: 3000 })))];
  let slowSettled = false;
  const slow = outcome(engine.evaluate(stuck('stuck'), { deadline: now + 3_000 })).then((o) => ((slowSettled = true), o));
  const behind = [outcome(engine.evaluate(review('a'))), outcome(engine.evaluate(denied('b')))];
  await started('stuck');
  t.same(await Promise.all([...firsts, ...behind]), ['allowed', 'allowed', 'allowed', 'denied']);
  t.equal(slowSettled, false, 'the jobs behind the slow one were answered by the other worker while it ran');
  t.equal(await slow, 'EVAL_TIMEOUT');
});
