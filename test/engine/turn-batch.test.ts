// TurnBatch: the jobs of one event-loop turn run together, in order, before any caller goes on.
import t from 'tap';
import { TurnBatch } from '../../dist/engine/turn-batch.js';

t.test('jobs submitted in one turn all run before the first caller goes on, in submission order', async (t) => {
  const batch = new TurnBatch();
  const seen: string[] = [];
  const jobs = ['a', 'b', 'c'].map((name) =>
    batch
      .run(() => {
        seen.push(`run ${name}`);
        return name;
      })
      .then((value) => seen.push(`${value} answered`)),
  );
  seen.push('submitted');
  await Promise.all(jobs);
  t.same(seen, ['submitted', 'run a', 'run b', 'run c', 'a answered', 'b answered', 'c answered']);
});

t.test('a job that throws rejects its own caller only', async (t) => {
  const batch = new TurnBatch();
  const failing = batch.run(() => {
    throw new Error('boom');
  });
  const fine = batch.run(() => 42);
  await t.rejects(failing, /boom/);
  t.equal(await fine, 42);
});

t.test('a job submitted by a caller that went on runs in the next batch', async (t) => {
  const batch = new TurnBatch();
  const seen: string[] = [];
  await batch
    .run(() => seen.push('first'))
    .then(() => {
      const next = batch.run(() => seen.push('second'));
      seen.push('second submitted');
      return next;
    });
  t.same(seen, ['first', 'second submitted', 'second']);
});

t.test('flush runs the waiting jobs at once, and the turn then finds none', async (t) => {
  const batch = new TurnBatch();
  let runs = 0;
  const job = batch.run(() => ++runs);
  batch.flush();
  t.equal(runs, 1, 'run synchronously by flush');
  t.equal(await job, 1);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(runs, 1, 'not run again');
});
