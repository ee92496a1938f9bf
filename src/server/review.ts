import { performance } from 'node:perf_hooks';
import { decisionResponse, failureReason, failureResponse } from '../admission/respond.js';
import { parseAdmissionReview } from '../admission/parse.js';
import type { AdmissionRequest, AdmissionReview } from '../admission/types.js';
import type { Violation } from '../engine/decision.js';
import { isWasmgateError, type ErrorCode } from '../errors.js';
import type { DecisionLabel, EvaluationErrorReason } from '../observability/metrics.js';
import { remaining, type Budget } from './budget.js';
import { HttpError } from './errors.js';
import type { PolicyHolder } from './policy.js';

export interface ReviewSettings {
  readonly failOpen: boolean;
  /** The evaluation deadline, for the message a timed-out request gets. */
  readonly timeoutMs: number;
  /** When the answer is due; without one only the evaluation deadline applies. */
  readonly budget?: Budget;
}

/** What became of one AdmissionReview: the answer, and what the log and metrics need. */
export interface ReviewResult {
  readonly request: AdmissionRequest;
  readonly response: AdmissionReview;
  readonly decision: DecisionLabel;
  readonly violations: readonly Violation[];
  readonly revision: string;
  /** Set when the evaluation failed (and the answer came from the failure policy). */
  readonly failure?: { readonly reason: EvaluationErrorReason; readonly code?: ErrorCode; readonly message: string };
}

/**
 * Parses the body once, in this thread: JSON.parse, then the AdmissionReview shape check. The parsed
 * value serves only the shape check and the answer (uid, apiVersion); the policy gets the bytes.
 */
export function parseBody(body: unknown): AdmissionReview & { request: AdmissionRequest } {
  if (!Buffer.isBuffer(body) || body.byteLength === 0) throw new HttpError(400, 'the request has no body: send an AdmissionReview');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (err) {
    // V8's message quotes the body; the client gets only where it broke, the log not even that.
    const at = /position (\d+)/.exec((err as Error).message)?.[1];
    throw new HttpError(400, `the body is not valid JSON${at === undefined ? '' : ` (at byte ${at})`}`);
  }
  return parseAdmissionReview(value);
}

/**
 * The body as the engine should get it. A Buffer that owns its whole ArrayBuffer (Buffer.concat
 * allocates one for a body of 4 KiB or more) hands that ArrayBuffer over: it is transferred to the
 * worker, not copied, when it goes alone or first in its batch (the pool copies the others', so that a
 * lost worker's batch can go to another). A smaller one lives in Node's shared buffer pool; the engine
 * copies its bytes out.
 */
export function bytesForWorker(body: Buffer): ArrayBuffer | Uint8Array {
  const whole = body.buffer;
  return whole instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === whole.byteLength ? whole : body;
}

function reasonOf(code: ErrorCode | undefined): EvaluationErrorReason {
  switch (code) {
    case 'EVAL_TIMEOUT':
      return 'timeout';
    case 'MEMORY_LIMIT':
      return 'memory_limit';
    case 'ENGINE_CLOSED':
      return 'unavailable';
    case 'OVERLOADED':
      return 'shed';
    default:
      return 'failed';
  }
}

export type EvaluationFailure = NonNullable<ReviewResult['failure']>;

/** What the log and metrics say of an evaluation that failed. */
export function failureOf(err: unknown): EvaluationFailure {
  const code = isWasmgateError(err) ? err.code : undefined;
  return { reason: reasonOf(code), ...(code ? { code } : {}), message: err instanceof Error ? err.message : String(err) };
}

/**
 * Decides one AdmissionReview request body. Throws HttpError or INPUT_INVALID for a body that is not an
 * AdmissionReview; never throws for an evaluation failure, which the failure policy answers.
 */
export async function reviewBody(body: unknown, policy: PolicyHolder, settings: ReviewSettings): Promise<ReviewResult> {
  const review = parseBody(body);
  const identity = { apiVersion: review.apiVersion, uid: review.request.uid };
  const { engine, revision } = policy.current;
  const { budget } = settings;
  try {
    const decision = await engine.evaluate(bytesForWorker(body as Buffer), { deadline: budget?.answerBy });
    return {
      request: review.request,
      response: decisionResponse(identity, decision),
      decision: decision.allowed ? 'allowed' : 'denied',
      violations: decision.violations,
      revision,
    };
  } catch (err) {
    const failed = failedAnswer(identity, err, settings);
    return { request: review.request, response: failed.response, decision: failed.label, violations: [], revision, failure: failed.failure };
  }
}

/** The failure policy's answer to a review whose evaluation failed (either endpoint), and what to log of it. */
export function failedAnswer(
  identity: Parameters<typeof failureResponse>[0],
  err: unknown,
  settings: ReviewSettings,
): { response: AdmissionReview; label: 'failed_open' | 'failed_closed'; failure: EvaluationFailure } {
  const failure = failureOf(err);
  return {
    response: failureResponse(identity, budgetedReason(failure.code, settings), settings.failOpen),
    label: settings.failOpen ? 'failed_open' : 'failed_closed',
    failure,
  };
}

/**
 * Why a review failed, in the client's words; when its time budget ended it, says which budget. Only
 * the budget sheds (OVERLOADED); a stopped evaluation was the budget's doing when the budget was (all
 * but) spent — within its answer margin, since a timer may fire a little before performance.now() says
 * it is due.
 */
export function budgetedReason(code: ErrorCode | undefined, settings: ReviewSettings): string {
  const { budget } = settings;
  const budgetEnded = budget !== undefined && (code === 'OVERLOADED' || (code === 'EVAL_TIMEOUT' && remaining(budget, performance.now()) <= budget.marginMs));
  if (budgetEnded) {
    const which = `its time budget of ${budget.ms} ms (${budget.from})`;
    return code === 'OVERLOADED' ? `no policy worker was free within ${which}` : `the evaluation did not finish within ${which}`;
  }
  return failureReason(code, settings.timeoutMs);
}

/**
 * The name a request is about: request.name, else the object's name, else its generateName with "*".
 * Unknown, not string: the client may have put anything there (the log describes non-strings by type).
 */
export function objectName(request: AdmissionRequest): unknown {
  if (request.name) return request.name;
  const metadata = (request.object ?? request.oldObject)?.metadata;
  if (metadata?.name) return metadata.name;
  return typeof metadata?.generateName === 'string' && metadata.generateName !== '' ? `${metadata.generateName}*` : undefined;
}
