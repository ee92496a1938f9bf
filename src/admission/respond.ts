import type { Decision, Violation } from '../engine/decision.js';
import type { Mutation } from '../engine/mutation.js';
import type { ErrorCode } from '../errors.js';
import type { AdmissionApiVersion, AdmissionResponse, AdmissionReview } from './types.js';

/**
 * The API server's limits on admission warnings, counted in Unicode code points: a warning over 256 is
 * cut, and once the warnings of one request pass 4096 in total the rest are dropped. Kubernetes asks
 * for 120 where possible.
 */
export const warningLimits = { preferred: 120, perWarning: 256, total: 4096 } as const;

/** What a review needs for its answer: the same apiVersion and request.uid. */
export interface ReviewIdentity {
  readonly apiVersion: AdmissionApiVersion;
  readonly uid: string;
}

function review(identity: ReviewIdentity, response: AdmissionResponse): AdmissionReview {
  return { apiVersion: identity.apiVersion, kind: 'AdmissionReview', response };
}

/** One line of text: control characters (which would make the API server drop a warning) become spaces. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s+/g, ' ').trim();
}

function codePoints(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/** Cuts text to at most `max` code points, ending in "…" when cut. */
function shorten(text: string, max: number): string {
  if (codePoints(text) <= max) return text;
  return `${[...text].slice(0, max - 1).join('')}…`;
}

function violationText(v: Violation): string {
  return oneLine(`[${v.policy}] ${v.message}`);
}

function total(texts: readonly string[]): number {
  return texts.reduce((sum, t) => sum + codePoints(t), 0);
}

/**
 * Warnings for warn-mode violations, within the API server's budget so that none is silently dropped:
 * every warning whole up to 256 code points; if together they pass 4096, each cut to 120; if they still
 * do, as many as fit and a last warning summarising the rest by policy.
 */
export function warningsFor(violations: readonly Violation[]): string[] {
  const entries: { text: string; policy: string }[] = [];
  const seen = new Set<string>();
  for (const v of violations) {
    if (v.action !== 'warn') continue;
    const text = violationText(v);
    if (text === '' || seen.has(text)) continue;
    seen.add(text);
    entries.push({ text, policy: v.policy });
  }
  const whole = entries.map((e) => shorten(e.text, warningLimits.perWarning));
  if (total(whole) <= warningLimits.total) return whole;
  const short = entries.map((e) => shorten(e.text, warningLimits.preferred));
  if (total(short) <= warningLimits.total) return short;

  const summary = (from: number): string => {
    const policies = [...new Set(entries.slice(from).map((e) => e.policy))];
    return shorten(oneLine(`…and ${entries.length - from} more warnings from ${policies.join(', ')}`), warningLimits.preferred);
  };
  let kept = short.length;
  let used = total(short);
  while (kept > 0 && used + codePoints(summary(kept)) > warningLimits.total) used -= codePoints(short[--kept]!);
  return [...short.slice(0, kept), summary(kept)];
}

/** The status message of a denial: every deny-mode violation, one per line. */
export function denialMessage(violations: readonly Violation[]): string {
  const lines = [...new Set(violations.filter((v) => v.action === 'deny').map(violationText))];
  return lines.join('\n');
}

/** The AdmissionReview answering a request the policy decided. */
export function decisionResponse(identity: ReviewIdentity, decision: Decision): AdmissionReview {
  const warnings = warningsFor(decision.violations);
  return review(identity, {
    uid: identity.uid,
    allowed: decision.allowed,
    ...(decision.allowed ? {} : { status: { code: 403, reason: 'Forbidden', message: denialMessage(decision.violations) } }),
    ...(warnings.length > 0 ? { warnings } : {}),
  });
}

/**
 * The AdmissionReview answering a mutating webhook's request: always allowed (denial, with its reasons,
 * is the validating webhook's job), with the patch as base64 JSON when there is one. An empty patch
 * sends no patch fields at all: the API server then changes nothing.
 */
export function mutationResponse(identity: ReviewIdentity, mutation: Mutation): AdmissionReview {
  return review(identity, {
    uid: identity.uid,
    allowed: true,
    ...(mutation.patch.length > 0 ? { patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(mutation.patch), 'utf8').toString('base64') } : {}),
  });
}

/** Why an evaluation failed, in words fit for the person whose request it was (no internals). */
export function failureReason(code: ErrorCode | undefined, timeoutMs: number): string {
  switch (code) {
    case 'EVAL_TIMEOUT':
      return `the evaluation did not finish within its deadline of ${timeoutMs} ms`;
    case 'MEMORY_LIMIT':
      return 'the evaluation needed more memory than the policy is allowed';
    case 'ENGINE_CLOSED':
      return 'the policy engine is shutting down';
    default:
      return 'the policy failed while evaluating this request';
  }
}

/**
 * The AdmissionReview answering a request whose evaluation failed: denied with status 500 when the
 * webhook fails closed; allowed with a warning saying so when it fails open.
 */
export function failureResponse(identity: ReviewIdentity, reason: string, failOpen: boolean): AdmissionReview {
  const what = `wasmgate could not evaluate the policy: ${oneLine(reason)} (request uid ${identity.uid})`;
  if (failOpen) {
    return review(identity, {
      uid: identity.uid,
      allowed: true,
      warnings: [shorten(`${what}; the request was allowed without policy checks (fail open)`, warningLimits.perWarning)],
    });
  }
  return review(identity, {
    uid: identity.uid,
    allowed: false,
    status: { code: 500, reason: 'InternalError', message: `${what}; the request is denied (fail closed)` },
  });
}
