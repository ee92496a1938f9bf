import { defaultReview, type DefaultedReview, type Mutator } from '../admission/defaulting.js';
import { describeObject, objectRefOf, reviewFor, type RequestOptions } from '../admission/synthesize.js';
import { inWorkload, templatePodMutation, type TemplatePods } from '../admission/template-pods.js';
import type { Decision } from '../engine/index.js';
import { describeThrown } from '../errors.js';
import type { InputProblem, Manifest, ManifestSet } from '../manifests/index.js';
import { outcomeOf, type DocumentResult, type LocatedViolation, type Report } from '../output/report.js';

/** What defaults and decides a review: the Engine, or anything shaped like it. */
export interface Decider extends Mutator {
  evaluate(input: object | Uint8Array): Promise<Decision>;
  readonly workers?: number;
}

export interface EvaluateOptions {
  readonly request?: Omit<RequestOptions, 'uid'>;
  readonly failOnWarn?: boolean;
  /** Reviews in flight at once; default 8 per worker. */
  readonly concurrency?: number;
  /** Called after each document is decided. */
  readonly onProgress?: (done: number, total: number) => void;
}

function locate(manifest: Manifest, decision: Decision): LocatedViolation[] {
  return decision.violations.map((v) => {
    const line = v.path !== undefined ? manifest.lineOf(v.path) : undefined;
    return line !== undefined ? { ...v, line } : v;
  });
}

/**
 * Decides every manifest: each becomes an AdmissionReview (or is one), is defaulted where the mutating
 * webhook would be called, goes to the engine as JSON bytes, and comes back as a result in input order. A document that cannot be turned into a review
 * is an input problem; one the policy fails on is an "error" result. Nothing here throws for bad input.
 */
export async function evaluateManifests(engine: Decider, set: ManifestSet, options: EvaluateOptions = {}): Promise<Report> {
  const total = set.manifests.length;
  const results: (DocumentResult | undefined)[] = new Array(total);
  const problems: InputProblem[] = [...set.problems];
  let next = 0;
  let done = 0;

  const decideOne = async (index: number) => {
    const manifest = set.manifests[index]!;
    let review;
    try {
      review = reviewFor(manifest.object, options.request);
    } catch (err) {
      problems.push({ ...manifest.source, message: describeThrown(err) });
      return;
    }
    const object = objectRefOf(review);
    const failed = (what: string, err: unknown): DocumentResult => ({
      source: manifest.source,
      object,
      outcome: 'error',
      violations: [],
      error: `the policy could not ${what} ${describeObject(object)}: ${describeThrown(err)}`,
    });
    // As the API server does: the mutating webhook's patch first, then the validating webhook decides.
    let defaulted: DefaultedReview;
    try {
      defaulted = await defaultReview(engine, review);
    } catch (err) {
      results[index] = failed('default', err);
      return;
    }
    let pods: TemplatePods | undefined;
    try {
      // Reported, never applied: the API server stores a workload as sent; its pods are defaulted when created.
      pods = await templatePodMutation(engine, review);
    } catch (err) {
      results[index] = failed('default the pods of', err);
      return;
    }
    try {
      const decision = await engine.evaluate(Buffer.from(JSON.stringify(defaulted.review), 'utf8'));
      const stored = defaulted.review.request.object;
      results[index] = {
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
      results[index] = failed('decide', err);
    }
  };

  const lanes = Math.max(1, options.concurrency ?? 8 * (engine.workers ?? 1));
  await Promise.all(
    Array.from({ length: Math.min(lanes, total) }, async () => {
      while (next < total) {
        const index = next++;
        await decideOne(index);
        options.onProgress?.(++done, total);
      }
    }),
  );

  const order = new Map(set.files.map((f, i) => [f, i]));
  problems.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || (a.line ?? 0) - (b.line ?? 0));
  return {
    files: set.files,
    results: results.filter((r): r is DocumentResult => r !== undefined),
    problems,
    failOnWarn: options.failOnWarn ?? false,
  };
}
