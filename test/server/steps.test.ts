// The step timestamps a review publishes on the diagnostics channels (src/observability/steps.ts)
// while someone subscribes: scripts/bench/steps.mjs reads them to say where a review's time goes.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import t from 'tap';
import type { EvaluationSteps, ReviewSteps } from '../../dist/observability/steps.js';
import { admit, buildEcho, review, startServer } from './helpers.js';

const bundle = await buildEcho();

t.test('a review publishes its steps in order, and its evaluation the worker’s share of them', async (t) => {
  const running = await startServer({ bundle });
  t.teardown(running.stop);
  const reviews: ReviewSteps[] = [];
  const evaluations: EvaluationSteps[] = [];
  const onReview = (m: unknown) => void reviews.push(m as ReviewSteps);
  const onEvaluation = (m: unknown) => void evaluations.push(m as EvaluationSteps);
  subscribe('wasmgate:review', onReview);
  subscribe('wasmgate:evaluation', onEvaluation);
  t.teardown(() => {
    unsubscribe('wasmgate:review', onReview);
    unsubscribe('wasmgate:evaluation', onEvaluation);
  });

  const reply = await admit(running.port, running.ca, review('steps', { spin: 300 }));
  t.equal(reply.status, 200);
  t.equal(reviews.length, 1, 'one review');
  t.equal(evaluations.length, 1, 'one evaluation');
  const r = reviews[0]!;
  const e = evaluations[0]!;
  t.ok(r.arrived <= r.bodyRead && r.bodyRead <= r.evaluated && r.evaluated <= r.answered && r.answered <= r.recording && r.recording <= r.recorded, 'the review’s steps in order');
  t.ok(r.bodyRead <= e.queuedAt && e.queuedAt <= e.postedAt && e.postedAt <= e.repliedAt && e.repliedAt <= r.evaluated, 'its evaluation within them');
  t.ok(e.evaluationMs > 0 && e.evaluationMs <= e.repliedAt - e.postedAt, 'the worker’s own time, a part of the round trip');
});
