import { channel } from 'node:diagnostics_channel';

/**
 * Where one review's time goes, as `performance.now()` timestamps, published on the diagnostics
 * channel `wasmgate:review` once it is answered, logged and counted — only while someone subscribes
 * (`scripts/bench/steps.mjs` does), so that a server nobody watches pays one check per review.
 */
export interface ReviewSteps {
  /** The headers were read and the route matched (TLS and HTTP before; express too for a request the fast path leaves to it). */
  readonly arrived: number;
  /** The body was read (and decoded): the handler starts. */
  readonly bodyRead: number;
  /** The policy's answer is back (parse, the wait for a worker, the hand-off and the evaluation before). */
  readonly evaluated: number;
  /** The answer was written to the socket. */
  readonly answered: number;
  /** Its logging and counting began, with the other answers of its turn (at the next check phase). */
  readonly recording: number;
  /** The decision was logged and counted. */
  readonly recorded: number;
}

export const reviewSteps = channel('wasmgate:review');

/**
 * One evaluation in a worker, published on `wasmgate:evaluation` when its answer arrives (same rule:
 * only while someone subscribes). Times are `performance.now()` of the main thread; `evaluationMs` is
 * what the worker measured around the evaluation itself, so the hand-off is the rest.
 */
export interface EvaluationSteps {
  readonly queuedAt: number;
  /**
   * When it was handed to its worker. In a batch, the time it would have been posted alone to start
   * when it did: waiting behind its batch-mates counts as queued, so the rest stays the hand-off.
   */
  readonly postedAt: number;
  readonly repliedAt: number;
  readonly evaluationMs: number;
}

export const evaluationSteps = channel('wasmgate:evaluation');
