import { performance } from 'node:perf_hooks';
import { WasmgateError } from '../errors.js';
import type { PolicyBundle } from './bundle.js';
import type { Decision } from './decision.js';
import { PolicyEvaluator, type PolicyInput } from './evaluator.js';
import { interruptible } from './interruptible.js';
import type { Mutation } from './mutation.js';
import { stoppedMessage } from './stopped.js';
import { TurnBatch } from './turn-batch.js';
import type { MemoryLimits, PrintSink } from './wasm-policy.js';
import { Watchdog } from './watchdog.js';

export interface InThreadOptions {
  readonly data?: unknown;
  readonly limits: MemoryLimits;
  readonly print?: PrintSink;
  readonly timeoutMs: number;
}

/**
 * Evaluates in the calling thread, under the same deadlines and memory ceiling as a pool's worker: for a
 * process with one CPU, where a worker only adds its hand-off (~70 µs a review on one core, and a
 * scheduling tail in p99). The instance runs the interruptible rewrite of the bundle's module, whose
 * loops check a flag in its shared memory, and a watchdog thread sets that flag at the deadline; the
 * evaluation traps, the instance is rebuilt (as a pool replaces its worker) and the caller gets
 * EVAL_TIMEOUT. While an evaluation runs the calling thread does nothing else, for at most its deadline.
 * The evaluations asked for in one turn of the event loop run together at its end (turn-batch.ts), each
 * still under its own deadline: the wait for its turn's end counts against it.
 */
export class InThreadEvaluator {
  readonly evaluator: PolicyEvaluator;
  private readonly watchdog = new Watchdog();
  private readonly batch = new TurnBatch();
  private closed = false;

  /**
   * The in-thread evaluator of a bundle, or undefined when the rewrite refuses its module (an
   * instruction OPA's modules do not contain): the engine runs that one on a worker instead.
   */
  static create(bundle: PolicyBundle, options: InThreadOptions): InThreadEvaluator | undefined {
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(interruptible(bundle.wasm));
    } catch (err) {
      if (err instanceof WasmgateError && err.code === 'BUNDLE_INVALID') return undefined;
      throw err;
    }
    return new InThreadEvaluator(bundle, module, options);
  }

  /** `module` is the bundle's, made interruptible. */
  private constructor(
    bundle: PolicyBundle,
    module: WebAssembly.Module,
    private readonly options: InThreadOptions,
  ) {
    // Not a spread of the bundle: that would compile its own module, which this engine never runs.
    const { data, memoryMinPages, revision, source } = bundle;
    this.evaluator = new PolicyEvaluator({ module, data, memoryMinPages, revision, source }, { data: options.data, limits: options.limits, print: options.print, sharedMemory: true });
  }

  ready(): Promise<void> {
    return this.watchdog.ready();
  }

  decide(input: PolicyInput, deadline?: number): Promise<Decision> {
    return this.run(() => this.evaluator.decide(input), deadline);
  }

  decideReview(input: Uint8Array, check: (envelope: unknown) => boolean, deadline?: number): Promise<Decision | undefined> {
    return this.run(() => this.evaluator.decideReview(input, check), deadline);
  }

  mutateReview(input: Uint8Array, check: (envelope: unknown) => boolean, deadline?: number): Promise<Mutation | undefined> {
    return this.run(() => this.evaluator.mutateReview(input, check), deadline);
  }

  mutate(input: PolicyInput, deadline?: number): Promise<Mutation> {
    return this.run(() => this.evaluator.mutate(input), deadline);
  }

  /**
   * Anything else the evaluator evaluates (a data check, a decision without a caller's deadline), with no
   * deadline, as the pool's checking instance does, but armed as decide is: a stop left in the flag by the
   * evaluation before is cleared, or recognised and run again, rather than trapping this.
   */
  guard<T>(work: (evaluator: PolicyEvaluator) => T): T {
    // The evaluations asked for before it (new data, say) run first, on what they were asked on.
    this.batch.flush();
    return this.watched(() => work(this.evaluator), Infinity, () => undefined);
  }

  private run<T>(evaluate: () => T, deadline: number | undefined): Promise<T> {
    return this.batch.run(() => {
      const budget = deadline === undefined ? Infinity : deadline - performance.now();
      if (budget <= 0) throw new WasmgateError('OVERLOADED', 'shed: its budget ran out before its evaluation could start');
      return this.watched(evaluate, Math.min(this.options.timeoutMs, budget), () => new WasmgateError('EVAL_TIMEOUT', stoppedMessage(budget, this.options.timeoutMs)));
    });
  }

  /** `evaluate`, stopped `limitMs` from now (Infinity: never); `timedOut` is what a stop throws. */
  private watched<T>(evaluate: () => T, limitMs: number, timedOut: () => Error | undefined): T {
    if (this.closed) throw new WasmgateError('ENGINE_CLOSED', 'the policy engine is closed');
    for (let retried = false; ; retried = true) {
      const number = this.watchdog.arm(this.evaluator.memory, limitMs);
      try {
        return evaluate();
      } catch (err) {
        const stopped = this.watchdog.stopped(number);
        if (stopped === 'this') throw timedOut() ?? err;
        // A stop meant for the evaluation before, which finished as its deadline came: this one runs again, once.
        if (stopped === 'stale' && !retried) continue;
        throw err;
      } finally {
        this.watchdog.disarm();
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Evaluations already asked for finish, as a pool's queued jobs do on its old workers.
    this.batch.flush();
    this.closed = true;
    await this.watchdog.close();
  }
}
