import { performance } from 'node:perf_hooks';
import { decisionResponse, failureReason, failureResponse } from '../admission/respond.js';
import { parseAdmissionReview } from '../admission/parse.js';
import type { AdmissionRequest, AdmissionReview } from '../admission/types.js';
import type { Decision, Violation } from '../engine/decision.js';
import type { Engine, EvaluateOptions } from '../engine/engine.js';
import { isWasmgateError, type ErrorCode } from '../errors.js';
import type { DecisionLabel, EvaluationErrorReason } from '../observability/metrics.js';
import { remaining, type Budget } from './budget.js';
import { HttpError } from './errors.js';
import type { LoadedPolicy, PolicyHolder } from './policy.js';

export interface ReviewSettings {
  readonly failOpen: boolean;
  /** The evaluation deadline, for the message a timed-out request gets. */
  readonly timeoutMs: number;
  /** When the answer is due; without one only the evaluation deadline applies. */
  readonly budget?: Budget;
  /** The log shows the request's objects (log.objects): the review must be read whole, not from its envelope. */
  readonly wholeObjects?: boolean;
}

/** What became of one AdmissionReview: the answer, and what the log and metrics need. */
export interface ReviewResult {
  /** Unless `wholeObjects` was asked for, it may hold only what the log reads (the envelope, src/toolchain/envelope.rego). */
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

export type CheckedReview = ReturnType<typeof parseAdmissionReview>;

/** How an endpoint evaluates a review, and what it makes of the outcome. */
export interface Endpoint<T, R> {
  /** The evaluation of the body's bytes, the review having been parsed here. */
  readonly evaluate: (engine: Engine, bytes: ArrayBuffer | Uint8Array, options: EvaluateOptions) => Promise<T>;
  /** The evaluation of the body read from its envelope (Engine.decideReview, mutateReview). */
  readonly throughEnvelope: (engine: Engine, body: Uint8Array, check: (envelope: unknown) => boolean, options: EvaluateOptions) => Promise<T | undefined>;
  readonly answered: (review: CheckedReview, value: T, revision: string) => R;
  /** The failure policy's answer. */
  readonly failed: (review: CheckedReview, err: unknown, settings: ReviewSettings, revision: string) => R;
}

/**
 * Evaluates one AdmissionReview request body at an endpoint. Throws HttpError or INPUT_INVALID for a body
 * that is not an AdmissionReview; never throws for an evaluation failure, which the failure policy answers.
 */
export async function answerReview<T, R>(endpoint: Endpoint<T, R>, body: unknown, policy: PolicyHolder, settings: ReviewSettings): Promise<R> {
  // One policy for the whole review, even if a reload replaces it meanwhile.
  const current = policy.current;
  const fromEnvelope = current.engine.readsEnvelopes && !settings.wholeObjects && Buffer.isBuffer(body) && body.byteLength > 0;
  return fromEnvelope ? throughEnvelope(endpoint, body, current, settings) : parsedHere(endpoint, body, current, settings);
}

/**
 * The review read from its envelope: the body is parsed once, by the WASM module, for the shape check
 * and for the evaluation (JSON.parse of it in this thread cost as much as a tenth of the webhook's CPU).
 */
async function throughEnvelope<T, R>(endpoint: Endpoint<T, R>, body: Buffer, { engine, revision }: LoadedPolicy, settings: ReviewSettings): Promise<R> {
  let review: CheckedReview | undefined;
  let refusal: unknown;
  const check = (envelope: unknown): boolean => {
    try {
      review = parseAdmissionReview(envelope);
      return true;
    } catch (err) {
      refusal = err;
      return false;
    }
  };
  try {
    const value = await endpoint.throughEnvelope(engine, body, check, { deadline: settings.budget?.answerBy });
    if (value === undefined || review === undefined) throw refusal;
    return endpoint.answered(review, value, revision);
  } catch (err) {
    if (err === refusal && refusal !== undefined) throw err;
    // The module never got as far as the check (the body is not JSON it reads; the review was shed or its
    // evaluation failed): the body is read here, so that what is not a review is refused with the same
    // messages, and the failure policy answers the rest. It is not evaluated again.
    return endpoint.failed(review ?? parseBody(body), err, settings, revision);
  }
}

/** The review parsed here, then evaluated from its bytes. */
async function parsedHere<T, R>(endpoint: Endpoint<T, R>, body: unknown, { engine, revision }: LoadedPolicy, settings: ReviewSettings): Promise<R> {
  const review = parseBody(body);
  try {
    return endpoint.answered(review, await endpoint.evaluate(engine, bytesForWorker(body as Buffer), { deadline: settings.budget?.answerBy }), revision);
  } catch (err) {
    return endpoint.failed(review, err, settings, revision);
  }
}

/** What the answer to a review echoes of it. */
export function identityOf(review: CheckedReview): { apiVersion: AdmissionReview['apiVersion']; uid: string } {
  return { apiVersion: review.apiVersion, uid: review.request.uid };
}

/** The validating endpoint: the decision. */
const validating: Endpoint<Decision, ReviewResult> = {
  evaluate: (engine, bytes, options) => engine.evaluate(bytes, options),
  throughEnvelope: (engine, body, check, options) => engine.decideReview(body, check, options),
  answered: (review, decision, revision) => ({
    request: review.request,
    response: decisionResponse(identityOf(review), decision),
    decision: decision.allowed ? 'allowed' : 'denied',
    violations: decision.violations,
    revision,
  }),
  failed: (review, err, settings, revision) => {
    const answer = failedAnswer(identityOf(review), err, settings);
    return { request: review.request, response: answer.response, decision: answer.label, violations: [], revision, failure: answer.failure };
  },
};

/** Decides one AdmissionReview request body (answerReview at the validating endpoint). */
export function reviewBody(body: unknown, policy: PolicyHolder, settings: ReviewSettings): Promise<ReviewResult> {
  return answerReview(validating, body, policy, settings);
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
