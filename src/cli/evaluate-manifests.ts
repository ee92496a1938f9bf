import { defaultReview, type DefaultedReview, type Mutator } from '../admission/defaulting.js';
import { describeObject, isAdmissionReview, objectRefOf, reviewFor, type ObjectRef, type RequestOptions } from '../admission/synthesize.js';
import { inWorkload, templatePodMutation, type TemplatePods } from '../admission/template-pods.js';
import type { AdmissionRequest, AdmissionReview } from '../admission/types.js';
import type { Decision } from '../engine/index.js';
import { describeThrown } from '../errors.js';
import { crdDefinition, kindInfo, kindKey, splitApiVersion, type CustomKinds, type InputNote, type InputProblem, type KindInfo, type Manifest, type ManifestSet } from '../manifests/index.js';
import { outcomeOf, type DocumentResult, type LocatedViolation, type Report } from '../output/report.js';

/**
 * `wasmgate eval` as a pipeline: read (manifests/) → normalise each document as the API server
 * would and synthesize its AdmissionReview (prepareReviews) → default it where the mutating webhook
 * would (admission/defaulting) → decide (the engine) → report.
 */

/** What defaults and decides a review: the Engine, or anything shaped like it. */
export interface Decider extends Mutator {
  evaluate(input: object | Uint8Array): Promise<Decision>;
  readonly workers?: number;
}

export interface PrepareOptions {
  readonly request?: Omit<RequestOptions, 'uid' | 'customKinds'>;
  /** CustomResourceDefinitions read from elsewhere (`--crds`), besides those among the manifests. */
  readonly crds?: readonly Manifest[];
}

export interface EvaluateOptions extends PrepareOptions {
  readonly failOnWarn?: boolean;
  /** Reviews in flight at once; default 8 per worker. */
  readonly concurrency?: number;
  /** Called after each document is decided. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** One document made into the request a cluster would send the webhook. */
export interface PreparedReview {
  readonly manifest: Manifest;
  readonly review: AdmissionReview & { request: AdmissionRequest };
  readonly object: ObjectRef;
}

export interface PreparedSet {
  /** In input order; documents that cannot become a review are problems instead. */
  readonly reviews: readonly PreparedReview[];
  readonly problems: readonly InputProblem[];
  readonly notes: readonly InputNote[];
}

/** The kinds the CustomResourceDefinitions among `manifests` define (a later one wins). */
export function customKindsOf(manifests: readonly Manifest[]): Map<string, KindInfo> {
  const kinds = new Map<string, KindInfo>();
  for (const manifest of manifests) {
    const crd = crdDefinition(manifest.object);
    if (crd) kinds.set(kindKey(crd.group, crd.kind), { resource: crd.resource, namespaced: crd.namespaced });
  }
  return kinds;
}

/** A note at the first document of each kind whose scope nothing given defines: what was assumed. */
function unknownKindNote(manifest: Manifest, customKinds: CustomKinds, seen: Set<string>): InputNote | undefined {
  const { apiVersion, kind } = manifest.object;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || isAdmissionReview(manifest.object)) return undefined;
  const { group } = splitApiVersion(apiVersion);
  const info = kindInfo(group, kind, customKinds);
  const key = kindKey(group, kind);
  if (info.known || seen.has(key)) return undefined;
  seen.add(key);
  return {
    ...manifest.source,
    message:
      `${kind} (${apiVersion}) is not a built-in kind and no CustomResourceDefinition in the inputs defines it: ` +
      `taken as namespaced, resource "${info.resource}"; give its CRD with --crds FILE if that is wrong`,
  };
}

/** Every manifest as the AdmissionReview the API server would send for it (a server-side dry run). */
export function prepareReviews(set: ManifestSet, options: PrepareOptions = {}): PreparedSet {
  const customKinds = customKindsOf([...(options.crds ?? []), ...set.manifests]);
  const reviews: PreparedReview[] = [];
  const problems: InputProblem[] = [];
  const notes: InputNote[] = [];
  const seen = new Set<string>();
  for (const manifest of set.manifests) {
    let review;
    try {
      review = reviewFor(manifest.object, { ...options.request, customKinds });
    } catch (err) {
      problems.push({ ...manifest.source, message: describeThrown(err) });
      continue;
    }
    const note = unknownKindNote(manifest, customKinds, seen);
    if (note) notes.push(note);
    reviews.push({ manifest, review, object: objectRefOf(review) });
  }
  return { reviews, problems, notes };
}

function locate(manifest: Manifest, decision: Decision): LocatedViolation[] {
  return decision.violations.map((v) => {
    const line = v.path !== undefined ? manifest.lineOf(v.path) : undefined;
    return line !== undefined ? { ...v, line } : v;
  });
}

/** Input order of files, then lines: how problems and notes are listed. */
function byPosition<T extends InputProblem>(files: readonly string[], items: T[]): T[] {
  const order = new Map(files.map((f, i) => [f, i]));
  return items.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || (a.line ?? 0) - (b.line ?? 0));
}

/**
 * Decides every manifest: each becomes an AdmissionReview (or is one), is defaulted where the mutating
 * webhook would be called, goes to the engine as JSON bytes, and comes back as a result in input order. A document that cannot be turned into a review
 * is an input problem; one the policy fails on is an "error" result. Nothing here throws for bad input.
 */
export async function evaluateManifests(engine: Decider, set: ManifestSet, options: EvaluateOptions = {}): Promise<Report> {
  const prepared = prepareReviews(set, options);
  const total = prepared.reviews.length;
  const results: DocumentResult[] = new Array(total);
  let next = 0;
  let done = 0;

  const decideOne = async ({ manifest, review, object }: PreparedReview): Promise<DocumentResult> => {
    const failed = (what: string, err: unknown): DocumentResult => ({
      source: manifest.source,
      object,
      outcome: 'error',
      violations: [],
      error: `the policy could not ${what} ${describeObject(object)}: ${describeThrown(err)}`,
    });
    // As the API server does: the mutating webhook's patch first, then the validating webhook decides.
    let defaulted: DefaultedReview;
    let pods: TemplatePods | undefined;
    try {
      defaulted = await defaultReview(engine, review);
    } catch (err) {
      return failed('default', err);
    }
    try {
      // Reported, never applied: the API server stores a workload as sent; its pods are defaulted when created.
      pods = await templatePodMutation(engine, review);
    } catch (err) {
      return failed('default the pods of', err);
    }
    try {
      const decision = await engine.evaluate(Buffer.from(JSON.stringify(defaulted.review), 'utf8'));
      const stored = defaulted.review.request.object;
      return {
        source: manifest.source,
        object,
        outcome: outcomeOf(decision),
        violations: locate(manifest, decision),
        patch: defaulted.mutation.patch,
        profile: defaulted.mutation.profile,
        ...(pods ? { pods: inWorkload(pods) } : {}),
        ...(stored ? { stored } : {}),
      };
    } catch (err) {
      return failed('decide', err);
    }
  };

  const lanes = Math.max(1, options.concurrency ?? 8 * (engine.workers ?? 1));
  await Promise.all(
    Array.from({ length: Math.min(lanes, total) }, async () => {
      while (next < total) {
        const index = next++;
        results[index] = await decideOne(prepared.reviews[index]!);
        options.onProgress?.(++done, total);
      }
    }),
  );

  return {
    files: set.files,
    results,
    problems: byPosition(set.files, [...set.problems, ...prepared.problems]),
    notes: byPosition(set.files, [...(set.notes ?? []), ...prepared.notes]),
    failOnWarn: options.failOnWarn ?? false,
  };
}
