import { noMutation } from '../admission/defaulting.js';
import { manifestOperations, type ManifestOperation, type RequestOptions } from '../admission/synthesize.js';
import { parseMutation, type Decision, type JsonPatchOp, type Mutation } from '../engine/index.js';
import { describeThrown } from '../errors.js';
import { describePatch, patchAssignments } from '../output/patch.js';

/**
 * Fixture expectations: comment lines directly above a YAML document.
 *
 *   # expect: allow | deny | warn
 *   # expect-violation: <policy id>: <message substring>     (repeatable)
 *   # expect-profile: <PSP name> | none                       the PSP the mutation chooses
 *   # expect-patch: [<RFC 6902 operations as JSON>]           the mutation's exact patch
 *   # expect-default: <field path>=<JSON value>               a field the patch sets (repeatable)
 *   # operation: UPDATE        # user: alice        # groups: a, b        # namespace: x
 *
 * allow: nothing denies (warn and dryrun findings are asserted only where expect-violation lines name
 * them, so adding a warn policy breaks no fixture); deny: not allowed, and every deny violation matched
 * by an expect-violation line (a deny fixture states all its deny findings); warn: allowed with at least
 * one warn violation. Every expect-violation line must match a finding. The outcome is that of the
 * object after the mutation, as the API server decides it.
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
  /** The PSP the mutation must choose; null: none. */
  readonly profile?: string | null;
  /** The mutation's exact patch. */
  readonly patch?: readonly JsonPatchOp[];
  /** Fields the patch must set, as `patchAssignments` writes them: `spec.securityContext.fsGroup=1`. */
  readonly defaults?: readonly string[];
}

const directive = /^#\s*([A-Za-z][A-Za-z-]*)\s*:\s*(.*?)\s*$/;
const known = new Set(['expect', 'expect-violation', 'expect-profile', 'expect-patch', 'expect-default', 'operation', 'user', 'groups', 'namespace']);

function parsePatch(value: string): JsonPatchOp[] {
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (err) {
    throw new Error(`is not JSON: ${describeThrown(err)}`);
  }
  try {
    return [...parseMutation({ patch: raw, profile: null }).patch];
  } catch (err) {
    throw new Error(describeThrown(err).replace('the policy returned a malformed mutation: ', 'is no RFC 6902 patch: '));
  }
}

/** Reads the directives among a document's leading comments; `errors` says what is wrong with them. */
export function parseExpectation(comments: readonly string[]): { expectation?: Expectation; errors: string[] } {
  const errors: string[] = [];
  let outcome: ExpectedOutcome | undefined;
  const violations: ExpectedViolation[] = [];
  const request: { -readonly [K in keyof Expectation['request']]: Expectation['request'][K] } = {};
  const mutation: { profile?: string | null; patch?: JsonPatchOp[]; defaults?: string[] } = {};

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
      case 'expect-profile':
        if ('profile' in mutation) errors.push('"# expect-profile:" appears twice');
        else if (value === '') errors.push('"# expect-profile:" needs a PSP name, or none');
        else mutation.profile = value === 'none' ? null : value;
        break;
      case 'expect-patch':
        if (mutation.patch) errors.push('"# expect-patch:" appears twice');
        else {
          try {
            mutation.patch = parsePatch(value);
          } catch (err) {
            errors.push(`"# expect-patch: ${value}" ${describeThrown(err)}`);
          }
        }
        break;
      case 'expect-default':
        if (!/^[^=]+=.+$/.test(value)) errors.push(`"# expect-default: ${value}" must read "<field path>=<JSON value>"`);
        else (mutation.defaults ??= []).push(value);
        break;
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
  return errors.length > 0 ? { errors } : { expectation: { outcome, violations, request, ...mutation }, errors };
}

function matches(expected: ExpectedViolation, decision: Decision): boolean {
  return decision.violations.some((v) => v.policy === expected.policy && v.message.includes(expected.message));
}

function checkMutation(expectation: Expectation, mutation: Mutation): string[] {
  const problems: string[] = [];
  if (expectation.profile !== undefined && expectation.profile !== mutation.profile) {
    problems.push(`expected PSP ${expectation.profile ?? 'none'} to be chosen, but ${mutation.profile === null ? 'none was' : `${mutation.profile} was`}`);
  }
  if (expectation.patch && JSON.stringify(expectation.patch) !== JSON.stringify(mutation.patch)) {
    problems.push(`expected the patch ${JSON.stringify(expectation.patch)}, but it was ${JSON.stringify(mutation.patch)}`);
  }
  const set = patchAssignments(mutation.patch);
  for (const field of expectation.defaults ?? []) {
    if (!set.includes(field)) problems.push(`expected the defaulting to set ${field}, but it sets ${set.length > 0 ? set.join(', ') : 'nothing'}`);
  }
  return problems;
}

/**
 * What is wrong with a decision (of the object after the mutation) and the mutation, given an
 * expectation: empty when they meet it.
 */
export function checkExpectation(expectation: Expectation, decision: Decision, mutation: Mutation = noMutation): string[] {
  const problems: string[] = [];
  switch (expectation.outcome) {
    case 'allow':
      if (!decision.allowed) problems.push('expected it to be allowed, but it was denied');
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
  return [...problems, ...checkMutation(expectation, mutation)];
}

/** The expectation as a policy author wrote it. */
export function describeExpectation(expectation: Expectation): string[] {
  return [
    expectation.outcome,
    ...expectation.violations.map((v) => `${v.policy}: …${v.message}…`),
    ...(expectation.profile !== undefined ? [`PSP ${expectation.profile ?? 'none'}`] : []),
    ...(expectation.patch ? [`patch ${JSON.stringify(expectation.patch)}`] : []),
    ...(expectation.defaults ?? []).map((d) => `defaults ${d}`),
  ];
}

/** A mutation in one line: the PSP chosen and what its patch sets. */
export function describeMutation(mutation: Mutation): string {
  const set = describePatch(mutation.patch);
  return `PSP ${mutation.profile ?? 'none'}${set.length > 0 ? `, defaults ${set.join(', ')}` : ', nothing defaulted'}`;
}

/** A decision, one line per violation. */
export function describeDecision(decision: Decision): string[] {
  const head = !decision.allowed ? 'deny' : decision.violations.some((v) => v.action === 'warn') ? 'warn (allowed)' : 'allow';
  const none = decision.violations.length === 0 ? [' (no violations)'] : [];
  return [`${head}${none.join('')}`, ...decision.violations.map((v) => `[${v.action}] ${v.policy}: ${v.message}${v.path ? ` (${v.path})` : ''}`)];
}
