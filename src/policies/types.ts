/** The default action a policy's metadata declares; config.enforcement may override it. */
export const policyActions = ['deny', 'warn', 'dryrun'] as const;
export type PolicyAction = (typeof policyActions)[number];

/** A finding id below a policy's id (`custom.rules`), with its title. */
export interface PolicyRule {
  readonly id: string;
  readonly title: string;
}

/**
 * One policy of the catalogue: a package `wasmgate.policies.<family>.<name>` described by its
 * `# METADATA` block (see BRIEF-POLICY-CONTRACT / policies/README.md).
 */
export interface PolicyEntry {
  readonly id: string;
  /** From the package path: `wasmgate.policies.<family>.<name>`. */
  readonly family: string;
  readonly name: string;
  /** "wasmgate.policies.calico.order" */
  readonly package: string;
  readonly title: string;
  readonly description: string;
  readonly remediation: string;
  /** The default action (metadata `custom.action`). */
  readonly action: PolicyAction;
  /** The data.config keys it reads, dotted. */
  readonly data: readonly string[];
  /** [] when none. */
  readonly rules: readonly PolicyRule[];
  /** The .rego file holding the metadata, relative to the policy directory, with "/". */
  readonly file: string;
}
