import { mutationResponse } from '../admission/respond.js';
import type { AdmissionRequest, AdmissionReview } from '../admission/types.js';
import type { JsonPatchOp } from '../engine/mutation.js';
import type { PolicyHolder } from './policy.js';
import { bytesForWorker, failedAnswer, parseBody, type EvaluationFailure, type ReviewSettings } from './review.js';

/** What the mutating webhook answered: a patch, nothing to change, or the failure policy's answer. */
export type MutationLabel = 'patched' | 'unchanged' | 'failed_closed' | 'failed_open';

/** What became of one AdmissionReview sent to the mutating webhook. */
export interface MutationResult {
  readonly request: AdmissionRequest;
  readonly response: AdmissionReview;
  readonly result: MutationLabel;
  readonly patch: readonly JsonPatchOp[];
  /** The PodSecurityPolicy the policy chose, or null. */
  readonly profile: string | null;
  readonly revision: string;
  readonly failure?: EvaluationFailure;
}

/**
 * Defaults one AdmissionReview request body: the policy's mutation entrypoint gives the patch, answered
 * as a JSONPatch. Throws HttpError or INPUT_INVALID for a body that is not an AdmissionReview, like
 * `reviewBody`; never for an evaluation failure, which the failure policy answers (fail open: allowed
 * unchanged, with a warning; fail closed: denied).
 */
export async function mutateBody(body: unknown, policy: PolicyHolder, settings: ReviewSettings): Promise<MutationResult> {
  const review = parseBody(body);
  const identity = { apiVersion: review.apiVersion, uid: review.request.uid };
  const { engine, revision } = policy.current;
  try {
    const mutation = await engine.mutate(bytesForWorker(body as Buffer), { deadline: settings.budget?.answerBy });
    return {
      request: review.request,
      response: mutationResponse(identity, mutation),
      result: mutation.patch.length > 0 ? 'patched' : 'unchanged',
      patch: mutation.patch,
      profile: mutation.profile,
      revision,
    };
  } catch (err) {
    const failed = failedAnswer(identity, err, settings);
    return { request: review.request, response: failed.response, result: failed.label, patch: [], profile: null, revision, failure: failed.failure };
  }
}
