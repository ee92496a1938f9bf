import { describeThrown, WasmgateError } from '../errors.js';
import type { Decision, EnforcementAction, Violation } from '../engine/decision.js';
import { compareRegoValues, type RegoValue } from '../engine/builtins/rego-value.js';
import { defaultMemoryLimits, WasmPolicy, type MemoryLimits } from '../engine/wasm-policy.js';
import type { CompiledTemplate } from './compile.js';
import { namespaceFrom, type Inventory } from './inventory.js';
import { MatchError, type KubeObject } from './match.js';
import type { Constraint } from './objects.js';
import { reviewMatches, type GatekeeperReview } from './review.js';

/** One Gatekeeper result: a violation of one constraint, or its match or evaluation failing. */
export interface GatekeeperResult {
  readonly constraint: { readonly kind: string; readonly name: string };
  readonly msg: string;
  readonly details: unknown;
  readonly enforcementAction: EnforcementAction;
  /** Set when the constraint could not be decided (Gatekeeper still reports it as a violation). */
  readonly error?: 'match' | 'evaluation';
}

/** Templates compiled, and the constraints that instantiate them (each checked against its template). */
export interface GatekeeperPolicySet {
  readonly templates: readonly CompiledTemplate[];
  readonly constraints: readonly Constraint[];
  /** `data.inventory` from objects (`wasmgate eval --inventory`), in place of the data document's. */
  readonly inventory?: Inventory;
}

export interface ReviewContext {
  /** `data.inventory`; also where a namespaceSelector finds the request's Namespace. */
  readonly inventory: Inventory;
  /**
   * Whether this is the admission webhook: only there does Gatekeeper apply a template's `operations`
   * and give Rego the request's Namespace (`input.review.namespaceObject`). gator does neither.
   */
  readonly webhook?: boolean;
}

function jsonToRego(value: unknown): RegoValue {
  if (value === null || value === undefined) return { type: 'null' };
  if (typeof value === 'boolean') return { type: 'boolean', value };
  if (typeof value === 'number') return { type: 'number', text: String(value) };
  if (typeof value === 'string') return { type: 'string', value };
  if (Array.isArray(value)) return { type: 'array', items: value.map(jsonToRego) };
  return { type: 'object', entries: Object.entries(value as object).map(([k, v]) => [{ type: 'string', value: k }, jsonToRego(v)] as const) };
}

/** A template's instance, with the data it was last given; rebuilt after any evaluation error. */
class TemplateInstance {
  private policy: WasmPolicy | undefined;
  private data: unknown;

  constructor(
    readonly compiled: CompiledTemplate,
    private readonly limits: MemoryLimits,
  ) {}

  private instance(data: unknown): WasmPolicy {
    if (!this.policy) {
      this.policy = new WasmPolicy(this.compiled.module, this.compiled.memoryMinPages, this.limits);
      this.data = undefined;
    }
    if (this.data !== data) {
      this.policy.setData(data as object);
      this.data = data;
    }
    return this.policy;
  }

  get memoryBytes(): number {
    return this.policy?.memoryBytes ?? 0;
  }

  /** The template's `violation` set for one input: its members that have a `msg`, as Gatekeeper's hook reads them. */
  violations(input: object, data: unknown): { msg: string; details: unknown }[] {
    let raw: unknown;
    try {
      raw = this.instance(data).evaluate(this.compiled.entrypoint, input);
    } catch (err) {
      this.policy = undefined;
      throw err;
    }
    if (raw === undefined) return [];
    if (!Array.isArray(raw)) throw new WasmgateError('EVAL_FAILED', `template ${this.compiled.template.name}: violation is not a set`);
    return raw.flatMap((r: unknown) => {
      if (r === null || typeof r !== 'object' || !('msg' in r)) return [];
      const { msg, details } = r as { msg: unknown; details?: unknown };
      if (typeof msg !== 'string') throw new WasmgateError('EVAL_FAILED', `template ${this.compiled.template.name}: a violation's msg is not a string: ${JSON.stringify(msg)}`);
      return [{ msg, details: details ?? {} }];
    });
  }
}

/**
 * Gatekeeper's review of one request, in-thread: each constraint's match first (in TypeScript), then
 * its template's Rego with `{review, parameters}`. Results are deduplicated on (msg, details) per
 * constraint; a constraint whose match or Rego fails gives one result carrying the error, and the
 * others are still decided.
 */
export class GatekeeperEvaluator {
  private readonly instances = new Map<string, TemplateInstance>();
  private dataFor: { inventory: Inventory; data: object } | undefined;

  constructor(
    readonly set: GatekeeperPolicySet,
    limits: MemoryLimits = defaultMemoryLimits,
  ) {
    // Many templates, each its own instance: each starts with the least memory its module takes and grows as needed.
    const small = { ...limits, initialPages: 1 };
    for (const compiled of set.templates) this.instances.set(compiled.template.kind, new TemplateInstance(compiled, small));
    for (const constraint of set.constraints) {
      if (!this.instances.has(constraint.kind)) {
        throw new WasmgateError('INPUT_INVALID', `${constraint.origin}: constraint ${constraint.kind}/${constraint.name} has no ConstraintTemplate of kind ${constraint.kind}`);
      }
    }
  }

  /** WASM memory of the templates' instances in bytes. */
  get memoryBytes(): number {
    return [...this.instances.values()].reduce((sum, i) => sum + i.memoryBytes, 0);
  }

  /** One data document per inventory, so that instances are given new data only when it changes. */
  private data(inventory: Inventory): object {
    if (this.dataFor?.inventory !== inventory) {
      this.dataFor = { inventory, data: Object.keys(inventory).length > 0 ? { inventory } : {} };
    }
    return this.dataFor.data;
  }

  review(review: GatekeeperReview, context: ReviewContext): GatekeeperResult[] {
    const namespace = namespaceFrom(context.inventory, review.namespace);
    // Gatekeeper's webhook hands Rego the request's Namespace; gator never does (an empty object).
    const input = { ...review, namespaceObject: (context.webhook && namespace) || {} };
    const data = this.data(context.inventory);
    const results: GatekeeperResult[] = [];
    const constraints = [...this.set.constraints].sort((a, b) => (a.kind !== b.kind ? (a.kind < b.kind ? -1 : 1) : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const constraint of constraints) {
      const instance = this.instances.get(constraint.kind)!;
      const operations = instance.compiled.template.operations;
      if (context.webhook && operations.length > 0 && !operations.includes('*') && !operations.includes(review.operation)) continue;
      const base = { constraint: { kind: constraint.kind, name: constraint.name }, enforcementAction: constraint.enforcementAction };
      try {
        if (!reviewMatches(constraint.match, review, namespace as KubeObject | undefined)) continue;
      } catch (err) {
        if (!(err instanceof MatchError)) throw err;
        results.push({ ...base, msg: `unable to match constraints: ${err.message}`, details: {}, error: 'match' });
        continue;
      }
      let violations: { msg: string; details: unknown }[];
      try {
        violations = instance.violations({ review: input, parameters: constraint.parameters }, data);
      } catch (err) {
        results.push({ ...base, msg: describeThrown(err), details: {}, error: 'evaluation' });
        continue;
      }
      const seen = new Map<string, { msg: string; details: unknown }>();
      for (const v of violations) seen.set(JSON.stringify(canonical({ details: v.details, msg: v.msg })), v);
      const unique = [...seen.values()].sort(
        (a, b) => compareRegoValues(jsonToRego(a.details), jsonToRego(b.details)) || compareRegoValues(jsonToRego(a.msg), jsonToRego(b.msg)),
      );
      for (const v of unique) results.push({ ...base, msg: v.msg, details: v.details });
    }
    return results;
  }
}

/** JSON with object keys sorted, so that equal values have one text. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => [k, canonical(v)]));
  }
  return value;
}

/** The policy id a Gatekeeper result goes by in wasmgate's decisions: `<kind>/<name>` of its constraint. */
export function policyIdOf(result: GatekeeperResult): string {
  return `${result.constraint.kind}/${result.constraint.name}`;
}

/** Gatekeeper's results as wasmgate's decision: each result one violation with its constraint's action. */
export function decisionOf(results: readonly GatekeeperResult[]): Decision {
  const violations: Violation[] = results.map((r) => ({ policy: policyIdOf(r), message: r.msg, action: r.enforcementAction }));
  return { allowed: !violations.some((v) => v.action === 'deny'), violations };
}
