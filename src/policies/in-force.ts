import { policyActions, type PolicyAction, type PolicyEntry } from './types.js';

/** An action in force and where it comes from: a config.enforcement key, or the metadata's default. */
export interface ActionInForce {
  readonly action: PolicyAction;
  /** `config.enforcement["labels"]`, or "metadata" for the default. */
  readonly from: string;
  /** A config.enforcement value that is no action (config_errors rejects it; it counts as deny). */
  readonly invalid?: string;
}

export interface ListedRule {
  readonly id: string;
  readonly title: string;
  readonly inForce: ActionInForce;
}

/** A catalogue entry with the action it has under some data. */
export interface ListedPolicy extends Omit<PolicyEntry, 'rules'> {
  readonly inForce: ActionInForce;
  readonly rules: readonly ListedRule[];
}

/** The family of an id for config.enforcement: the id up to the first "." (as lib/enforcement.rego). */
export const familyOf = (id: string) => id.split('.')[0]!;

function enforcementOf(data: unknown): Record<string, unknown> {
  const config = (data as { config?: { enforcement?: unknown } } | undefined)?.config;
  const enforcement = config?.enforcement;
  return enforcement !== null && typeof enforcement === 'object' && !Array.isArray(enforcement) ? (enforcement as Record<string, unknown>) : {};
}

/**
 * The action in force for `ids` in order of precedence (the id, then its family): the first
 * config.enforcement key present decides, else the metadata default, as lib/enforcement.rego decides.
 * A value that is no action counts as deny, so a typo never relaxes a policy.
 */
function inForce(enforcement: Record<string, unknown>, ids: readonly string[], fallback: PolicyAction): ActionInForce {
  for (const key of ids) {
    if (!Object.hasOwn(enforcement, key)) continue;
    const value = enforcement[key];
    const from = `config.enforcement[${JSON.stringify(key)}]`;
    if ((policyActions as readonly unknown[]).includes(value)) return { action: value as PolicyAction, from };
    return { action: 'deny', from, invalid: JSON.stringify(value) };
  }
  return { action: fallback, from: 'metadata' };
}

/** The catalogue with the actions in force under `data` (a data document: `{config: {enforcement}}`). */
export function listPolicies(entries: readonly PolicyEntry[], data: unknown): ListedPolicy[] {
  const enforcement = enforcementOf(data);
  return entries.map((entry) => ({
    ...entry,
    inForce: inForce(enforcement, [...new Set([entry.id, familyOf(entry.id)])], entry.action),
    // A finding id is looked up as itself, then its family (not its policy's id), as the decision does.
    rules: entry.rules.map((rule) => ({ ...rule, inForce: inForce(enforcement, [rule.id, familyOf(rule.id)], entry.action) })),
  }));
}
