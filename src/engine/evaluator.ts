import { WasmgateError } from '../errors.js';
import { entrypoints, type PolicyBundle } from './bundle.js';
import { parseDecision, type Decision } from './decision.js';
import { parseMutation, type Mutation } from './mutation.js';
import { defaultMemoryLimits, WasmPolicy, type MemoryLimits, type PrintSink } from './wasm-policy.js';

export type PolicyInput = object | ArrayBuffer;

export interface EvaluatorOptions {
  readonly data?: unknown;
  readonly limits?: MemoryLimits;
  readonly print?: PrintSink;
}

export function assertDataDocument(data: unknown): asserts data is Record<string, unknown> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new WasmgateError('DATA_INVALID', 'policy data must be an object (a YAML mapping or JSON object)');
  }
}

/**
 * The synchronous, in-thread API: one WASM instance with its data. Tests and small CLI runs use it
 * directly; every pool worker holds one. After an evaluation error the instance is rebuilt, since a
 * trapped WASM instance's heap cannot be trusted.
 */
export class PolicyEvaluator {
  private policy: WasmPolicy;
  private data: unknown;

  constructor(
    private readonly bundle: PolicyBundle,
    private readonly options: EvaluatorOptions = {},
  ) {
    this.data = options.data ?? bundle.data;
    this.policy = this.instantiate();
    this.setData(this.data);
  }

  get revision(): string {
    return this.bundle.revision;
  }

  get memoryBytes(): number {
    return this.policy.memoryBytes;
  }

  private instantiate(): WasmPolicy {
    return new WasmPolicy(this.bundle.module, this.bundle.memoryMinPages, this.options.limits ?? defaultMemoryLimits, this.options.print);
  }

  private run(entrypoint: string, input: unknown): unknown {
    try {
      return this.policy.evaluate(entrypoint, input);
    } catch (err) {
      this.policy = this.instantiate();
      this.policy.setData(this.data);
      throw err;
    }
  }

  /** The decision for one AdmissionReview (an object, or its JSON bytes as an ArrayBuffer). */
  decide(input: PolicyInput): Decision {
    return parseDecision(this.run(entrypoints.decision, input));
  }

  /** The defaulting for one AdmissionReview: the JSON patch and the PodSecurityPolicy chosen. */
  mutate(input: PolicyInput): Mutation {
    return parseMutation(this.run(entrypoints.mutation, input));
  }

  /** What the policy finds wrong with its current data (empty when the data is valid). */
  configErrors(): string[] {
    const raw = this.run(entrypoints.configErrors, {});
    if (raw === undefined) return [];
    if (!Array.isArray(raw) || !raw.every((e) => typeof e === 'string')) {
      throw new WasmgateError('EVAL_FAILED', 'config_errors did not return a set of strings');
    }
    return [...raw].sort();
  }

  /**
   * Replaces the policy's data after checking it: it must be an object and the policy's own
   * config_errors must find nothing wrong. On any failure the previous data stays in force.
   */
  setData(data: unknown): void {
    assertDataDocument(data);
    const previous = this.data;
    this.policy.setData(data);
    this.data = data;
    let errors: string[];
    try {
      errors = this.configErrors();
    } catch (err) {
      errors = [`checking the data failed: ${(err as Error).message}`];
    }
    if (errors.length > 0) {
      this.policy.setData(previous);
      this.data = previous;
      throw new WasmgateError('DATA_INVALID', `policy data rejected, the previous data stays in force:\n  - ${errors.join('\n  - ')}`, { details: errors });
    }
  }
}
