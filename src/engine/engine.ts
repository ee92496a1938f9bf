import { availableParallelism } from 'node:os';
import { WasmgateError } from '../errors.js';
import type { GatekeeperSource } from '../gatekeeper/source.js';
import { inventoryInData } from '../gatekeeper/inventory.js';
import { defaultBundleDir, loadBundle, type PolicyBundle } from './bundle.js';
import { parseDecision, type Decision } from './decision.js';
import { assertDataDocument, PolicyEvaluator, type PolicyInput } from './evaluator.js';
import { noMutation, parseMutation, type Mutation } from './mutation.js';
import { InThreadEvaluator } from './in-thread.js';
import { WorkerPool } from './pool.js';
import { wasmPageBytes, type MemoryLimits } from './wasm-policy.js';

export interface EngineOptions {
  /** A directory with policy.wasm and data.json, or an OPA bundle .tar.gz. Default: wasm/. */
  readonly bundle?: string;
  /** A data document replacing the bundle's own. */
  readonly data?: unknown;
  /**
   * Worker threads; default one per core. 0: evaluate in the calling thread, stopped at the same deadlines
   * by a watchdog thread (see InThreadEvaluator), unless Gatekeeper templates decide too or the module
   * cannot be made interruptible: then on one worker (`workers` says which).
   */
  readonly workers?: number;
  /** Deadline of one evaluation in milliseconds; default 2000. */
  readonly timeoutMs?: number;
  /** Memory ceiling of one WASM instance in bytes; default 256 MiB. */
  readonly memoryLimitBytes?: number;
  /** Where the policy's print() output goes; default nowhere. */
  readonly print?: (line: string) => void;
  /** Gatekeeper templates and constraints, compiled: decided beside the bundle. */
  readonly gatekeeper?: GatekeeperSource;
  /** Decide with the Gatekeeper templates alone: no bundle is loaded. */
  readonly gatekeeperOnly?: boolean;
  /** CPU cores the process may use; default all it sees. Threads of the pool spin only while each has one. */
  readonly cores?: number;
  /**
   * How long a worker that has answered polls for its next job, and the caller of a job running alone
   * for its answer, before sleeping until woken, in µs; default 300, 0: never.
   */
  readonly spinMicros?: number;
  /**
   * The caller spins on for an answer only while the job's worker claimed it within this many µs of
   * its posting (an awake worker does within a few; waking one takes ~20–40 µs more); default 50.
   */
  readonly claimMicros?: number;
}

export interface EvaluateOptions {
  /** performance.now() by which the answer is needed; default none (only the evaluation deadline). */
  readonly deadline?: number;
}

export const engineDefaults = {
  timeoutMs: 2000,
  memoryLimitBytes: 256 * 1024 * 1024,
  workers: availableParallelism(),
  spinMicros: 300,
  claimMicros: 50,
} as const;

export function memoryLimits(bytes: number): MemoryLimits {
  const maximumPages = Math.max(2, Math.floor(bytes / wasmPageBytes));
  return { initialPages: Math.min(32, maximumPages), maximumPages };
}

/** An engine option that must be a whole number of at least `min`. */
function wholeNumber(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new WasmgateError('CONFIG_INVALID', `${name} must be a whole number ≥ ${min}, not ${value}`);
  return value;
}

/** An input as the pool can move it to a worker: bytes go as a transferred ArrayBuffer. */
function transferable(input: PolicyInput | Uint8Array): { input: PolicyInput; transfer: ArrayBuffer[] } {
  if (input instanceof ArrayBuffer) return { input, transfer: [input] };
  if (input instanceof Uint8Array) {
    // A Node Buffer is a view into a shared pool: copy exactly its bytes into an ArrayBuffer of their own.
    const copy = new Uint8Array(input.byteLength);
    copy.set(input);
    return { input: copy.buffer, transfer: [copy.buffer] };
  }
  return { input, transfer: [] };
}

/** Where the engine evaluates: a pool of worker threads, or the calling thread. */
type Runner = { readonly pool: WorkerPool } | { readonly inThread: InThreadEvaluator };

/**
 * The policy engine: one compiled module, evaluated on a pool of worker threads (or in the calling
 * thread), with an in-thread evaluator that checks data before any worker sees it.
 */
export class Engine {
  private constructor(
    /** The compiled policy; absent when Gatekeeper's templates decide alone. */
    readonly bundle: PolicyBundle | undefined,
    private readonly checker: PolicyEvaluator | undefined,
    private readonly runner: Runner,
    private readonly gatekeeper: GatekeeperSource | undefined,
  ) {}

  private get pool(): WorkerPool | undefined {
    return 'pool' in this.runner ? this.runner.pool : undefined;
  }

  private get inThread(): InThreadEvaluator | undefined {
    return 'inThread' in this.runner ? this.runner.inThread : undefined;
  }

  static async load(options: EngineOptions = {}): Promise<Engine> {
    const gatekeeper = options.gatekeeper;
    if (options.gatekeeperOnly && !gatekeeper) throw new WasmgateError('CONFIG_INVALID', 'gatekeeperOnly needs Gatekeeper templates (gatekeeper)');
    const bundle = options.gatekeeperOnly ? undefined : await loadBundle(options.bundle ?? defaultBundleDir);
    const limits = memoryLimits(options.memoryLimitBytes ?? engineDefaults.memoryLimitBytes);
    const timeoutMs = options.timeoutMs ?? engineDefaults.timeoutMs;
    const workers = wholeNumber('workers', options.workers ?? engineDefaults.workers, 0);
    // Checked whichever runner they end up with: a bad value is refused, not ignored.
    const cores = wholeNumber('cores', options.cores ?? availableParallelism(), 1);
    const spinMicros = wholeNumber('spinMicros', options.spinMicros ?? engineDefaults.spinMicros, 0);
    const claimMicros = wholeNumber('claimMicros', options.claimMicros ?? engineDefaults.claimMicros, 0);
    if (options.data !== undefined) checkGatekeeperData(gatekeeper, options.data);
    const inThread = workers === 0 && bundle && !gatekeeper ? InThreadEvaluator.create(bundle, { data: options.data, limits, print: options.print, timeoutMs }) : undefined;
    // One instance both checks data and evaluates.
    if (inThread) return new Engine(bundle, inThread.evaluator, { inThread }, undefined);
    // Fails here, before any worker starts, on missing builtins or data the policy rejects.
    const checker = bundle && new PolicyEvaluator(bundle, { data: options.data, limits });
    const pool = new WorkerPool(bundle, options.data ?? bundle?.data ?? {}, {
      size: Math.max(1, workers),
      timeoutMs,
      limits,
      print: options.print,
      ...(gatekeeper ? { gatekeeper } : {}),
      cores,
      spinMicros,
      claimMicros,
    });
    return new Engine(bundle, checker, { pool }, gatekeeper);
  }

  /** The bundle's revision, with the Gatekeeper templates' when they decide too. */
  get revision(): string {
    const parts = [this.bundle?.revision, this.gatekeeper && `gatekeeper.${this.gatekeeper.revision}`];
    return parts.filter(Boolean).join('+');
  }

  /** Where the policy came from: the bundle, and the Gatekeeper directory. */
  get source(): string {
    return [this.bundle?.source, this.gatekeeper?.source].filter(Boolean).join(' + ');
  }

  /** Worker threads; 0 when the engine evaluates in the calling thread. */
  get workers(): number {
    return this.pool?.size ?? 0;
  }

  /** Resolves once every worker has started (its WASM instance built, its data loaded), or the watchdog of the calling thread's. */
  ready(): Promise<void> {
    return this.pool ? this.pool.ready() : this.inThread!.ready();
  }

  /** What the engine holds now: for benchmarks and diagnostics. WASM memory only grows, so watch it plateau. */
  stats(): { workers: number; wasmMemoryBytes: number[]; spunJobs: number; spunAnswers: number } {
    const { pool } = this;
    if (!pool) return { workers: 0, wasmMemoryBytes: [this.checker!.memoryBytes], spunJobs: 0, spunAnswers: 0 };
    return { workers: pool.size, wasmMemoryBytes: pool.memoryBytes(), spunJobs: pool.spunJobs, spunAnswers: pool.spunAnswers };
  }

  /**
   * Decides one AdmissionReview on a worker. Pass the request body's bytes when you have them: they
   * reach the WASM memory without being parsed or stringified again. With `deadline` (a
   * `performance.now()` time by which the answer is needed) a review still waiting for a worker then
   * fails with OVERLOADED without being evaluated, and an evaluation still running then is stopped.
   */
  async evaluate(input: PolicyInput | Uint8Array, options: EvaluateOptions = {}): Promise<Decision> {
    const { input: moved, transfer } = transferable(input);
    const { pool } = this;
    if (!pool) return this.inThread!.decide(moved, options.deadline);
    return parseDecision(await pool.run({ kind: 'decide', input: moved }, transfer, options.deadline));
  }

  /** Whether decideReview is available: the bundle defines the envelope (every `wasmgate build` compiles it in). */
  get readsEnvelopes(): boolean {
    return this.checker?.readsEnvelopes ?? false;
  }

  /**
   * Decides one AdmissionReview from its body's bytes, which are parsed once, in the WASM module, for
   * what the host reads of the review and for the decision: `check` gets the review's envelope (the
   * review with its objects reduced to their names: src/toolchain/envelope.rego) and returns false to
   * refuse the review; then the result is undefined. In the calling thread the check runs before the
   * decision is evaluated; a worker evaluates both, and the check runs when they come back. The bytes
   * are copied, never moved: they stay the caller's. The same deadline as `evaluate`. Only when readsEnvelopes.
   */
  async decideReview(input: Uint8Array, check: (envelope: unknown) => boolean, options: EvaluateOptions = {}): Promise<Decision | undefined> {
    const pool = this.envelopePool();
    if (!pool) return this.inThread!.decideReview(input, check, options.deadline);
    const { envelope, value } = await this.runWithEnvelope(pool, 'decide', input, options);
    return check(envelope) ? parseDecision(value) : undefined;
  }

  /** The defaulting for one AdmissionReview from its body's bytes, after its envelope, as decideReview. */
  async mutateReview(input: Uint8Array, check: (envelope: unknown) => boolean, options: EvaluateOptions = {}): Promise<Mutation | undefined> {
    const pool = this.envelopePool();
    if (!pool) return this.inThread!.mutateReview(input, check, options.deadline);
    const { envelope, value } = await this.runWithEnvelope(pool, 'mutate', input, options);
    return check(envelope) ? parseMutation(value) : undefined;
  }

  /** The pool that reads envelopes, undefined when the calling thread does; refuses an engine whose bundle has none. */
  private envelopePool(): WorkerPool | undefined {
    if (!this.readsEnvelopes) throw new WasmgateError('CONFIG_INVALID', 'reading reviews from their envelope needs a bundle with it (src/toolchain/envelope.rego)');
    return this.pool;
  }

  private async runWithEnvelope(pool: WorkerPool, kind: 'decide' | 'mutate', input: Uint8Array, options: EvaluateOptions): Promise<{ envelope: unknown; value: unknown }> {
    const { input: copy, transfer } = transferable(input);
    return (await pool.run({ kind, input: copy, envelope: true }, transfer, options.deadline)) as { envelope: unknown; value: unknown };
  }

  /** The bundle's decision, in the calling thread, with no deadline: for tests and small runs. */
  evaluateSync(input: PolicyInput): Decision {
    if (!this.checker) throw new WasmgateError('CONFIG_INVALID', 'evaluateSync decides with a bundle; this engine runs Gatekeeper templates alone');
    return this.onChecker((checker) => checker.decide(input));
  }

  /**
   * The defaulting for one AdmissionReview (the mutation entrypoint), on a worker under the same
   * deadline and memory ceiling as decisions.
   */
  async mutate(input: PolicyInput | Uint8Array, options: EvaluateOptions = {}): Promise<Mutation> {
    const { input: moved, transfer } = transferable(input);
    const { pool } = this;
    if (!pool) return this.inThread!.mutate(moved, options.deadline);
    return parseMutation(await pool.run({ kind: 'mutate', input: moved }, transfer, options.deadline));
  }

  /**
   * The same defaulting, in the calling thread, with no deadline: for tests and small runs. Gatekeeper's
   * templates only validate: an engine without a bundle has nothing to default.
   */
  mutateSync(input: PolicyInput): Mutation {
    return this.checker ? this.onChecker((checker) => checker.mutate(input)) : noMutation;
  }

  /** Replaces the policy's data everywhere, or throws DATA_INVALID and keeps the old data. */
  setData(data: unknown): void {
    checkGatekeeperData(this.gatekeeper, data);
    if (this.checker) this.onChecker((checker) => checker.setData(data));
    this.pool?.setData(data);
  }

  /** Work on the checking instance; in the calling thread it is the evaluating one, watched as its evaluations are. */
  private onChecker<T>(work: (checker: PolicyEvaluator) => T): T {
    return this.inThread ? this.inThread.guard(work) : work(this.checker!);
  }

  close(): Promise<void> {
    return this.pool ? this.pool.close() : this.inThread!.close();
  }
}

/** Data for Gatekeeper's templates: an object whose `inventory`, if any, is an object. */
function checkGatekeeperData(gatekeeper: GatekeeperSource | undefined, data: unknown): void {
  if (!gatekeeper) return;
  assertDataDocument(data);
  inventoryInData(data);
}
