import { WasmgateError } from '../errors.js';
import { entrypoints, envelopeEntrypoint, prepareEntrypoint, type PolicyBundle } from './bundle.js';
import { parseDecision, type Decision } from './decision.js';
import { parseMutation, type Mutation } from './mutation.js';
import { preparedDataText, withoutPrepared } from './prepare.js';
import { defaultMemoryLimits, WasmPolicy, type MemoryLimits, type PrintSink } from './wasm-policy.js';

export type PolicyInput = object | ArrayBuffer;

export interface EvaluatorOptions {
  readonly data?: unknown;
  readonly limits?: MemoryLimits;
  readonly print?: PrintSink;
  /** The bundle's module imports a shared memory: it is the interruptible one (interruptible.ts). */
  readonly sharedMemory?: boolean;
}

/** What an evaluator needs of a bundle: its compiled module, not the bytes it came from. */
export type CompiledBundle = Omit<PolicyBundle, 'wasm'>;

export function assertDataDocument(data: unknown): asserts data is Record<string, unknown> {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new WasmgateError('DATA_INVALID', 'policy data must be an object (a YAML mapping or JSON object)');
  }
}

/** Data as loaded into the instance: the document, and its text with data.prepared when the policy prepares. */
interface LoadedData {
  readonly data: unknown;
  readonly preparedText?: string;
}

/**
 * The synchronous, in-thread API: one WASM instance with its data. Tests and small CLI runs use it
 * directly; every pool worker holds one. After an evaluation error the instance is rebuilt, since a
 * trapped WASM instance's heap cannot be trusted.
 *
 * A policy with a prepare entrypoint gets it evaluated once per data load and its result stored as
 * data.prepared, from which its rules read what depends on data alone instead of computing it on
 * every decision.
 */
export class PolicyEvaluator {
  private policy: WasmPolicy;
  private loaded: LoadedData;

  constructor(
    private readonly bundle: CompiledBundle,
    private readonly options: EvaluatorOptions = {},
  ) {
    this.loaded = { data: options.data ?? bundle.data };
    this.policy = this.instantiate();
    this.setData(this.loaded.data);
  }

  get revision(): string {
    return this.bundle.revision;
  }

  get memoryBytes(): number {
    return this.policy.memoryBytes;
  }

  /** The current instance's memory; a new one after each evaluation error. */
  get memory(): WebAssembly.Memory {
    return this.policy.memory;
  }

  private instantiate(): WasmPolicy {
    const { module, memoryMinPages } = this.bundle;
    return new WasmPolicy(module, memoryMinPages, this.options.limits ?? defaultMemoryLimits, this.options.print, this.options.sharedMemory);
  }

  private run(entrypoint: string, input: unknown): unknown {
    return this.guarded(() => this.policy.evaluate(entrypoint, input));
  }

  private guarded<T>(evaluate: () => T): T {
    try {
      return evaluate();
    } catch (err) {
      this.policy = this.instantiate();
      this.load(this.loaded);
      throw err;
    }
  }

  /** The decision for one AdmissionReview (an object, or its JSON bytes as an ArrayBuffer). */
  decide(input: PolicyInput): Decision {
    return parseDecision(this.run(entrypoints.decision, input));
  }

  /** Whether the bundle defines the envelope entrypoint, which decideReview needs. */
  get readsEnvelopes(): boolean {
    return envelopeEntrypoint in this.policy.entrypoints;
  }

  /**
   * The decision for one AdmissionReview's JSON bytes, which the instance parses once for two
   * entrypoints: first the review's envelope (what the host reads of it: src/toolchain/envelope.rego),
   * which `check` gets and may refuse by returning false, then the decision. Undefined when refused.
   */
  decideReview(input: Uint8Array, check: (envelope: unknown) => boolean): Decision | undefined {
    const evaluated = this.throughEnvelope(entrypoints.decision, input, check);
    return evaluated && parseDecision(evaluated.result);
  }

  /** The defaulting for one AdmissionReview's JSON bytes, after its envelope, as decideReview. */
  mutateReview(input: Uint8Array, check: (envelope: unknown) => boolean): Mutation | undefined {
    const evaluated = this.throughEnvelope(entrypoints.mutation, input, check);
    return evaluated && parseMutation(evaluated.result);
  }

  private throughEnvelope(entrypoint: string, input: Uint8Array, check: (envelope: unknown) => boolean): { result: unknown } | undefined {
    let evaluated: { result: unknown } | undefined;
    this.guarded(() =>
      this.policy.evaluateEach(input, [envelopeEntrypoint, entrypoint], (name, result) => {
        if (name === envelopeEntrypoint) return check(result);
        evaluated = { result };
        return true;
      }),
    );
    return evaluated;
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

  private get prepares(): boolean {
    return prepareEntrypoint in this.policy.entrypoints;
  }

  private load(loaded: LoadedData): void {
    if (loaded.preparedText === undefined) this.policy.setData(loaded.data);
    else this.policy.setDataValue(loaded.preparedText);
  }

  /**
   * Replaces the policy's data after checking it: it must be an object and the policy's own
   * config_errors must find nothing wrong; then, for a policy that prepares, its prepare result is
   * added as data.prepared. On any failure the previous data stays in force.
   */
  setData(data: unknown): void {
    assertDataDocument(data);
    const previous = this.loaded;
    const own = this.prepares ? withoutPrepared(data) : data;
    this.policy.setData(own);
    let errors: string[];
    let loaded: LoadedData = { data: own };
    try {
      errors = this.configErrors();
      if (errors.length === 0 && this.prepares) {
        const prepared = this.guarded(() => this.policy.evaluateValue(prepareEntrypoint));
        if (prepared === undefined) throw new WasmgateError('EVAL_FAILED', `${prepareEntrypoint} is undefined`);
        loaded = { data: own, preparedText: preparedDataText(own, prepared) };
        this.load(loaded);
      }
    } catch (err) {
      errors = [`checking the data failed: ${(err as Error).message}`];
    }
    if (errors.length > 0) {
      this.load(previous);
      throw new WasmgateError('DATA_INVALID', `policy data rejected, the previous data stays in force:\n  - ${errors.join('\n  - ')}`, { details: errors });
    }
    this.loaded = loaded;
  }
}
