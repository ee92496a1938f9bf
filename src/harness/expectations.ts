import { manifestOperations, type ManifestOperation, type RequestOptions } from '../admission/synthesize.js';
import type { Decision } from '../engine/index.js';

/**
 * Fixture expectations: comment lines directly above a YAML document.
 *
 *   # expect: allow | deny | warn
 *   # expect-violation: <policy id>: <message substring>     (repeatable)
 *   # operation: UPDATE        # user: alice        # groups: a, b        # namespace: x
 *
 * allow: allowed with no violations at all; deny: not allowed, every expect-violation matched, and
 * every deny violation matched by one (a deny fixture states all its deny findings); warn: allowed with
 * at least one warn violation, and every expect-violation matched.
 */

export const expectedOutcomes = ['allow', 'deny', 'warn'] as const;
export type ExpectedOutcome = (typeof expectedOutcomes)[number];

export interface ExpectedViolation {
  readonly policy: string;
  readonly message: string;
}

export interface Expectation {
  readonly outcome: ExpectedOutcome;
  readonly violations: readonly ExpectedViolation[];
  /** How the fixture is submitted (operation, user, groups, namespace). */
  readonly request: Omit<RequestOptions, 'uid'>;
}

const directive = /^#\s*([A-Za-z][A-Za-z-]*)\s*:\s*(.*?)\s*$/;
const known = new Set(['expect', 'expect-violation', 'operation', 'user', 'groups', 'namespace']);

/** Reads the directives among a document's leading comments; `errors` says what is wrong with them. */
export function parseExpectation(comments: readonly string[]): { expectation?: Expectation; errors: string[] } {
  const errors: string[] = [];
  let outcome: ExpectedOutcome | undefined;
  const violations: ExpectedViolation[] = [];
  const request: { -readonly [K in keyof Expectation['request']]: Expectation['request'][K] } = {};

  for (const comment of comments) {
    const match = directive.exec(comment);
    if (!match) continue;
    const key = match[1]!.toLowerCase();
    const value = match[2]!;
    if (!known.has(key)) {
      // Free comments ("# Boundary: …") are fine; a misspelt expectation must not pass silently.
      if (key.startsWith('expect')) errors.push(`unknown directive "${match[1]}:" (known: ${[...known].join(', ')})`);
      continue;
    }
    switch (key) {
      case 'expect':
        if (outcome !== undefined) errors.push('"# expect:" appears twice');
        else if ((expectedOutcomes as readonly string[]).includes(value)) outcome = value as ExpectedOutcome;
        else errors.push(`"# expect: ${value}" must be one of ${expectedOutcomes.join(', ')}`);
        break;
      case 'expect-violation': {
        const colon = value.indexOf(':');
        const policy = colon < 0 ? '' : value.slice(0, colon).trim();
        const message = colon < 0 ? '' : value.slice(colon + 1).trim();
        if (policy === '' || message === '') errors.push(`"# expect-violation: ${value}" must read "<policy id>: <message substring>"`);
        else violations.push({ policy, message });
        break;
      }
      case 'operation': {
        const op = value.toUpperCase();
        if ((manifestOperations as readonly string[]).includes(op)) request.operation = op as ManifestOperation;
        else errors.push(`"# operation: ${value}" must be one of ${manifestOperations.join(', ')}`);
        break;
      }
      case 'user':
        request.user = value;
        break;
      case 'groups':
        request.groups = value.split(',').map((g) => g.trim()).filter(Boolean);
        break;
      case 'namespace':
        request.namespace = value;
        break;
    }
  }
  if (outcome === undefined) {
    if (errors.length === 0) errors.push(`no "# expect: ${expectedOutcomes.join('|')}" line directly above the document`);
    return { errors };
  }
  if (outcome === 'allow' && violations.length > 0) errors.push('"# expect: allow" means no violations at all, so it cannot have expect-violation lines');
  return errors.length > 0 ? { errors } : { expectation: { outcome, violations, request }, errors };
}

function matches(expected: ExpectedViolation, decision: Decision): boolean {
  return decision.violations.some((v) => v.policy === expected.policy && v.message.includes(expected.message));
}

/** What is wrong with a decision given an expectation: empty when it meets it. */
export function checkExpectation(expectation: Expectation, decision: Decision): string[] {
  const problems: string[] = [];
  switch (expectation.outcome) {
    case 'allow':
      if (!decision.allowed) problems.push('expected it to be allowed, but it was denied');
      else if (decision.violations.length > 0) problems.push('expected no violations at all, but there were some');
      break;
    case 'deny': {
      if (decision.allowed) problems.push('expected it to be denied, but it was allowed');
      // Every deny finding must be expected: an extra one is a new behaviour nobody has looked at.
      const unexpected = decision.violations.filter((v) => v.action === 'deny' && !expectation.violations.some((e) => e.policy === v.policy && v.message.includes(e.message)));
      for (const v of unexpected) problems.push(`an unexpected deny violation of ${v.policy}: "${v.message}" (add an expect-violation line for it)`);
      break;
    }
    case 'warn':
      if (!decision.allowed) problems.push('expected it to be allowed with warnings, but it was denied');
      else if (!decision.violations.some((v) => v.action === 'warn')) problems.push('expected at least one warning, but there was none');
      break;
  }
  for (const v of expectation.violations) {
    if (!matches(v, decision)) problems.push(`expected a violation of ${v.policy} whose message contains "${v.message}"`);
  }
  return problems;
}

/** The expectation as a policy author wrote it. */
export function describeExpectation(expectation: Expectation): string[] {
  return [expectation.outcome, ...expectation.violations.map((v) => `${v.policy}: …${v.message}…`)];
}

/** A decision, one line per violation. */
export function describeDecision(decision: Decision): string[] {
  const head = !decision.allowed ? 'deny' : decision.violations.some((v) => v.action === 'warn') ? 'warn (allowed)' : 'allow';
  const none = decision.violations.length === 0 ? [' (no violations)'] : [];
  return [`${head}${none.join('')}`, ...decision.violations.map((v) => `[${v.action}] ${v.policy}: ${v.message}${v.path ? ` (${v.path})` : ''}`)];
}
