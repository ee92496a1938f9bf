import { WasmgateError } from '../errors.js';

export const enforcementActions = ['deny', 'warn', 'dryrun'] as const;
export type EnforcementAction = (typeof enforcementActions)[number];

export interface Violation {
  /** Stable policy id, e.g. "registries" or "pod-security.capabilities". */
  readonly policy: string;
  readonly message: string;
  readonly action: EnforcementAction;
  /** Field path inside the object, e.g. "spec.template.spec.containers[1].image". */
  readonly path?: string;
}

export interface Decision {
  /** False when any violation's action is "deny". */
  readonly allowed: boolean;
  readonly violations: readonly Violation[];
}

function malformed(why: string): WasmgateError {
  return new WasmgateError('EVAL_FAILED', `the policy returned a malformed decision: ${why}`);
}

function parseViolation(raw: unknown, index: number): Violation {
  if (raw === null || typeof raw !== 'object') throw malformed(`violations[${index}] is not an object`);
  const v = raw as Record<string, unknown>;
  if (typeof v.policy !== 'string') throw malformed(`violations[${index}].policy is not a string`);
  if (typeof v.message !== 'string') throw malformed(`violations[${index}].message is not a string`);
  if (!enforcementActions.includes(v.action as EnforcementAction)) {
    throw malformed(`violations[${index}].action is ${JSON.stringify(v.action)}, not one of ${enforcementActions.join(', ')}`);
  }
  if (v.path !== undefined && typeof v.path !== 'string') throw malformed(`violations[${index}].path is not a string`);
  return {
    policy: v.policy,
    message: v.message,
    action: v.action as EnforcementAction,
    ...(v.path !== undefined ? { path: v.path as string } : {}),
  };
}

/**
 * Checks what the decision entrypoint returned. An undefined or misshapen result is an error, never
 * an "allowed": a policy bug must not let requests through.
 */
export function parseDecision(raw: unknown): Decision {
  if (raw === undefined) throw new WasmgateError('EVAL_FAILED', 'the policy returned no decision (the decision rule is undefined)');
  if (raw === null || typeof raw !== 'object') throw malformed('not an object');
  const d = raw as Record<string, unknown>;
  if (!Array.isArray(d.violations)) throw malformed('violations is not an array');
  const violations = d.violations.map(parseViolation);
  const allowed = !violations.some((v) => v.action === 'deny');
  if (d.allowed !== undefined && typeof d.allowed !== 'boolean') throw malformed('allowed is not a boolean');
  if (typeof d.allowed === 'boolean' && d.allowed !== allowed) {
    throw malformed(`allowed is ${String(d.allowed)} but the violations say ${String(allowed)}`);
  }
  return { allowed, violations };
}

export function deniesOf(decision: Decision): Violation[] {
  return decision.violations.filter((v) => v.action === 'deny');
}

export function warningsOf(decision: Decision): Violation[] {
  return decision.violations.filter((v) => v.action === 'warn');
}
