import { Worker } from 'node:worker_threads';
import { WasmgateError, type ErrorCode } from '../errors.js';
import type { GatekeeperPolicySet } from '../gatekeeper/evaluator.js';
import type { PolicyBundle } from './bundle.js';
import type { MemoryLimits } from './wasm-policy.js';
import type { WorkerInit, WorkerReply, WorkerRequest } from './worker-protocol.js';

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
}

interface Slot {
  worker: Worker;
  /** Set once the worker has built its instance; deadlines start only then. */
  ready: boolean;
  busy?: { id: number; pending: Pending; timer: NodeJS.Timeout };
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
      if (!this.closed && this.slots.includes(slot)) this.replace(slot, 'EVAL_FAILED', 'policy worker exited unexpectedly');
    });
    return slot;
  }

  private onReply(slot: Slot, message: WorkerReply): void {
    if ('kind' in message) {
      if (message.kind === 'print') this.options.print?.(message.line);
      else {
        slot.ready = true;
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
    if (!this.closed) this.slots.push(this.spawn());
    this.dispatch();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (slot.busy || !slot.ready) continue;
      const pending = this.queue.shift()!;
      const id = this.nextId++;
      const timer = setTimeout(
        () => this.replace(slot, 'EVAL_TIMEOUT', `policy evaluation exceeded its deadline of ${this.options.timeoutMs} ms`),
        this.options.timeoutMs,
      );
      slot.busy = { id, pending, timer };
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

  /** Runs a job on the next idle worker. ArrayBuffers in `transfer` move to the worker (no copy). */
  run(job: Job, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.closed) return Promise.reject(new WasmgateError('ENGINE_CLOSED', 'the policy engine is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, transfer, resolve, reject });
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
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
