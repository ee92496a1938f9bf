import { applyJsonPatch } from '../engine/json-patch.js';
import { noMutation, type Mutation } from '../engine/mutation.js';
import type { AdmissionRequest, AdmissionReview } from './types.js';

/** What computes a mutation: the Engine, or anything shaped like it. */
export interface Mutator {
  mutate(input: object | Uint8Array): Promise<Mutation>;
}

export { noMutation };

/**
 * Whether the API server sends this request to wasmgate's mutating webhook: Pods (not their
 * subresources) on CREATE, the rules of deploy/mutating-webhook.yaml, which are where PSP defaulted.
 */
export function reachesMutatingWebhook(request: AdmissionRequest): boolean {
  return (
    request.operation === 'CREATE' &&
    request.kind.group === '' &&
    request.kind.kind === 'Pod' &&
    (request.subResource ?? '') === '' &&
    request.object !== null &&
    typeof request.object === 'object'
  );
}

export interface DefaultedReview {
  /** The review the validating webhook gets: its object patched when the mutating webhook changed it. */
  readonly review: AdmissionReview & { request: AdmissionRequest };
  readonly mutation: Mutation;
}

/**
 * As the API server does before validating: the mutating webhook's patch applied to the object, where
 * that webhook is called. Throws (EVAL_FAILED) when the mutation is malformed or cannot be applied,
 * as the API server refuses such a patch.
 */
export async function defaultReview(engine: Mutator, review: AdmissionReview & { request: AdmissionRequest }): Promise<DefaultedReview> {
  if (!reachesMutatingWebhook(review.request)) return { review, mutation: noMutation };
  const mutation = await engine.mutate(Buffer.from(JSON.stringify(review), 'utf8'));
  if (mutation.patch.length === 0) return { review, mutation };
  const object = applyJsonPatch(review.request.object!, mutation.patch);
  return { review: { ...review, request: { ...review.request, object } }, mutation };
}
