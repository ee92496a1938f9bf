import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { WasmgateError, type ErrorCode } from '../errors.js';
import type { GatekeeperPolicySet } from '../gatekeeper/evaluator.js';
import type { PolicyBundle } from './bundle.js';
import type { MemoryLimits } from './wasm-policy.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-protocol.js';
import { evaluationSteps, type EvaluationSteps } from '../observability/steps.js';

export interface PoolOptions {
  readonly size: number;
  /** Deadline of one evaluation; a worker past it is terminated and replaced. */
  readonly timeoutMs: number;
  readonly limits: MemoryLimits;
  readonly print?: (line: string) => void;
  /** Gatekeeper templates and constraints every worker decides beside the bundle (or alone, without one). */
  readonly gatekeeper?: GatekeeperPolicySet;
}

type Job = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

interface Pending {
  readonly job: Job;
  readonly transfer: ArrayBuffer[];
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  /** performance.now() by which the caller needs the answer, if it has a budget. */
  readonly deadline?: number;
  readonly queuedAt: number;
  /** Sheds the job if it is still queued at its deadline. */
  expiry?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  /** Set once the worker has built its instance; deadlines start only then. */
  ready: boolean;
  busy?: { id: number; pending: Pending; timer: NodeJS.Timeout; postedAt: number };
  /** The worker's WASM memory after its last reply. */
  memoryBytes?: number;
}

const workerUrl = new URL('./worker.js', import.meta.url);

/**
 * Worker threads, each with its own instance of one compiled module. The pool is a queue and a set of
 * idle workers: a job goes to the first idle one, or waits. Errors that leave a worker in doubt
 * (deadline, memory ceiling, crash) replace the worker; the pool keeps answering.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private data: unknown;
  private drained?: () => void;
  private readyWaiters: (() => void)[] = [];

  constructor(
    private readonly bundle: PolicyBundle | undefined,
    data: unknown,
    private readonly options: PoolOptions,
  ) {
    this.data = data;
    for (let i = 0; i < Math.max(1, options.size); i++) this.slots.push(this.spawn());
    this.dispatch();
  }

  get size(): number {
    return this.slots.length;
  }

  /** Resolves once every worker has built its instance (for callers that need each of them to answer). */
  async ready(): Promise<void> {
    while (!this.slots.every((s) => s.ready)) {
      // Someone waits on the workers still starting: they keep the process alive until then.
      for (const slot of this.slots) if (!slot.ready) slot.worker.ref();
      await new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    }
  }

  /** Each worker's WASM memory in bytes as of its last answer (0 before its first). */
  memoryBytes(): number[] {
    return this.slots.map((slot) => slot.memoryBytes ?? 0);
  }

  private spawn(): Slot {
    const bundle = this.bundle && { module: this.bundle.module, memoryMinPages: this.bundle.memoryMinPages, revision: this.bundle.revision, source: this.bundle.source };
    const init: WorkerInit = {
      ...(bundle ? { bundle } : {}),
      ...(this.options.gatekeeper ? { gatekeeper: this.options.gatekeeper } : {}),
      data: this.data,
      limits: this.options.limits,
    };
    // No execArgv: a worker needs none of the parent's loaders (under a test runner they cost seconds per start).
    const worker = new Worker(workerUrl, { workerData: init, execArgv: [] });
    const slot: Slot = { worker, ready: false };
    worker.on('message', (message: WorkerReply) => this.onReply(slot, message));
    worker.on('error', (err) => this.replace(slot, 'EVAL_FAILED', `policy worker failed: ${err.message}`));
    worker.on('exit', () => {
      if (this.slots.includes(slot)) this.replace(slot, 'EVAL_FAILED', 'policy worker exited unexpectedly');
    });
    return slot;
  }

  private onReply(slot: Slot, message: WorkerReply): void {
    if ('kind' in message) {
      if (message.kind === 'print') this.options.print?.(message.line);
      else {
        slot.ready = true;
        for (const wake of this.readyWaiters.splice(0)) wake();
        this.dispatch();
      }
      return;
    }
    const busy = slot.busy;
    if (!busy || busy.id !== message.id) return;
    clearTimeout(busy.timer);
    slot.busy = undefined;
    if (message.ok) {
      slot.memoryBytes = message.memoryBytes;
      if (evaluationSteps.hasSubscribers) {
        const steps: EvaluationSteps = { queuedAt: busy.pending.queuedAt, postedAt: busy.postedAt, repliedAt: performance.now(), evaluationMs: message.evaluationMs };
        evaluationSteps.publish(steps);
      }
      busy.pending.resolve(message.value);
    } else {
      busy.pending.reject(new WasmgateError(message.code, message.message));
      // A memory ceiling hit leaves a large memory behind: start over with a fresh worker.
      if (message.code === 'MEMORY_LIMIT') {
        this.swap(slot);
        return;
      }
    }
    this.dispatch();
  }

  /** Replaces a worker whose state is in doubt, failing the job it had. */
  private replace(slot: Slot, code: ErrorCode, message: string): void {
    const busy = slot.busy;
    if (busy) {
      clearTimeout(busy.timer);
      slot.busy = undefined;
      busy.pending.reject(new WasmgateError(code, message));
    }
    this.swap(slot);
  }

  private swap(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    void slot.worker.terminate();
    // A closing pool still owes its queued jobs an answer: without a replacement they would wait forever.
    if (!this.closed || this.queue.length > 0) this.slots.push(this.spawn());
    this.dispatch();
  }

  /** Fails a job that can no longer be answered in time, before it reaches a worker. */
  private shed(pending: Pending): void {
    const ahead = this.queue.indexOf(pending);
    if (ahead >= 0) this.queue.splice(ahead, 1);
    clearTimeout(pending.expiry);
    const waited = Math.round(performance.now() - pending.queuedAt);
    pending.reject(
      new WasmgateError('OVERLOADED', `shed: waited ${waited} ms for a free policy worker (${Math.max(0, ahead)} queued ahead of it) and its budget ran out`),
    );
  }

  private dispatch(): void {
    const now = performance.now();
    for (const expired of this.queue.filter((p) => p.deadline !== undefined && p.deadline <= now)) this.shed(expired);
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (slot.busy || !slot.ready) continue;
      const pending = this.queue.shift()!;
      clearTimeout(pending.expiry);
      const id = this.nextId++;
      // The evaluation deadline, or less when the caller's budget ends first.
      const budget = pending.deadline === undefined ? Infinity : pending.deadline - performance.now();
      const limitMs = Math.max(1, Math.ceil(Math.min(this.options.timeoutMs, budget)));
      const message =
        budget < this.options.timeoutMs
          ? `policy evaluation stopped at the end of its request's budget (${limitMs} ms were left when it started)`
          : `policy evaluation exceeded its deadline of ${this.options.timeoutMs} ms`;
      const timer = setTimeout(() => this.replace(slot, 'EVAL_TIMEOUT', message), limitMs);
      slot.busy = { id, pending, timer, postedAt: performance.now() };
      slot.worker.postMessage({ ...pending.job, id } as WorkerRequest, pending.transfer);
    }
    const idle = this.queue.length === 0 && this.slots.every((s) => !s.busy);
    // Idle workers must not keep the process alive; workers with jobs waiting on them must.
    for (const slot of this.slots) {
      if (idle) slot.worker.unref();
      else slot.worker.ref();
    }
    if (this.closed && this.drained && idle) this.drained();
  }

  /**
   * Runs a job on the next idle worker. ArrayBuffers in `transfer` move to the worker (no copy). With a
   * `deadline` (a performance.now() time), a job still queued then fails with OVERLOADED without
   * reaching a worker, and one evaluating then is stopped (EVAL_TIMEOUT): nobody waits for its answer.
   */
  run(job: Job, transfer: ArrayBuffer[] = [], deadline?: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new WasmgateError('ENGINE_CLOSED', 'the policy engine is closed'));
    return new Promise((resolve, reject) => {
      const pending: Pending = { job, transfer, resolve, reject, deadline, queuedAt: performance.now() };
      this.queue.push(pending);
      if (deadline !== undefined) {
        pending.expiry = setTimeout(() => {
          this.shed(pending);
          this.dispatch();
        }, Math.max(0, deadline - performance.now()));
      }
      this.dispatch();
    });
  }

  /**
   * Sends new data to every worker, behind whatever each is doing; later jobs see it, and so do
   * workers started later. The caller has validated it.
   */
  setData(data: unknown): void {
    this.data = data;
    for (const slot of this.slots) {
      slot.worker.postMessage({ id: 0, kind: 'setData', data } satisfies WorkerRequest);
    }
  }

  /** Stops taking jobs, lets queued and running ones finish, then stops the workers. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => {
      this.drained = resolve;
      this.dispatch();
    });
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }
}
