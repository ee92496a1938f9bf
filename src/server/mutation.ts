import { mutationResponse } from '../admission/respond.js';
import type { AdmissionRequest, AdmissionReview } from '../admission/types.js';
import type { JsonPatchOp, Mutation } from '../engine/mutation.js';
import type { PolicyHolder } from './policy.js';
import { answerReview, failedAnswer, identityOf, type Endpoint, type EvaluationFailure, type ReviewSettings } from './review.js';

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

/** The mutating endpoint: the defaulting. */
const mutating: Endpoint<Mutation, MutationResult> = {
  evaluate: (engine, bytes, options) => engine.mutate(bytes, options),
  throughEnvelope: (engine, body, check, options) => engine.mutateReview(body, check, options),
  answered: (review, mutation, revision) => ({
    request: review.request,
    response: mutationResponse(identityOf(review), mutation),
    result: mutation.patch.length > 0 ? 'patched' : 'unchanged',
    patch: mutation.patch,
    profile: mutation.profile,
    revision,
  }),
  failed: (review, err, settings, revision) => {
    const failed = failedAnswer(identityOf(review), err, settings);
    return { request: review.request, response: failed.response, result: failed.label, patch: [], profile: null, revision, failure: failed.failure };
  },
};

/**
 * Defaults one AdmissionReview request body: the policy's mutation entrypoint gives the patch, answered
 * as a JSONPatch. Throws HttpError or INPUT_INVALID for a body that is not an AdmissionReview, like
 * `reviewBody`; never for an evaluation failure, which the failure policy answers (fail open: allowed
 * unchanged, with a warning; fail closed: denied).
 */
export function mutateBody(body: unknown, policy: PolicyHolder, settings: ReviewSettings): Promise<MutationResult> {
  return answerReview(mutating, body, policy, settings);
}
