import { performance } from 'node:perf_hooks';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { WasmgateError, type ErrorCode } from '../errors.js';
import type { GatekeeperPolicySet } from '../gatekeeper/evaluator.js';
import type { PolicyBundle } from './bundle.js';
import type { MemoryLimits } from './wasm-policy.js';
import { Occupancy, Spinner } from './spin.js';
import { stoppedMessage } from './stopped.js';
import { BatchProgress, maxBatch, type Job as WorkerJob, type WorkerInit, type WorkerReply, type WorkerRequest } from './worker-protocol.js';
import { evaluationSteps, type EvaluationSteps } from '../observability/steps.js';

export interface PoolOptions {
  readonly size: number;
  /** Deadline of one evaluation; a worker past it is terminated and replaced. */
  readonly timeoutMs: number;
  readonly limits: MemoryLimits;
  readonly print?: (line: string) => void;
  /** Gatekeeper templates and constraints every worker decides beside the bundle (or alone, without one). */
  readonly gatekeeper?: GatekeeperPolicySet;
  /** CPU cores the process may use: threads spin only while each has one. */
  readonly cores: number;
  /** How long a thread polls for the other side's message before sleeping, in µs (0: never). */
  readonly spinMicros: number;
  /**
   * The caller spins on for an answer only while its worker has claimed the job within this many µs
   * of its posting: a worker that has not is asleep, or waiting for a core (the spinning caller's,
   * perhaps, on a machine busy with other processes), and spinning on would only delay it.
   */
  readonly claimMicros: number;
}

type Job = Omit<WorkerJob, 'deadline'>;

interface Pending {
  readonly job: Job;
  readonly transfer: ArrayBuffer[];
  /** Its transferred bytes are in a worker: it cannot go to another. */
  moved?: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
  /** performance.now() by which the caller needs the answer, if it has a budget. */
  readonly deadline?: number;
  readonly queuedAt: number;
  /** Sheds the job if it is still queued at its deadline. */
  expiry?: NodeJS.Timeout;
}

/** Jobs handed to one worker in one message; each is settled (and its place emptied) once answered. */
interface Batch {
  readonly number: number;
  readonly jobs: (Pending | undefined)[];
  unsettled: number;
  readonly postedAt: number;
  /** When the first of its jobs started, in this thread's performance.now(), once known. */
  firstStartedAt?: number;
  /** The earliest moment a deadline of one of its jobs can pass: checked then, and set again. */
  watchdog?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  /** The pool's end of the worker's channel: every request and reply goes through it. */
  readonly port: MessagePort;
  /** The worker's own occupancy cell, released when it is terminated. */
  readonly occupancyCell: SharedArrayBuffer;
  readonly progress: BatchProgress;
  /** Set once the worker has built its instance; deadlines start only then. */
  ready: boolean;
  batch?: Batch;
  /** The worker's WASM memory after its last reply. */
  memoryBytes?: number;
}

const workerUrl = new URL('./worker.js', import.meta.url);

/** This thread's performance.now() as epoch milliseconds, which the workers' clocks share, and back. */
const toEpoch = (now: number) => performance.timeOrigin + now;
const fromEpoch = (epoch: number) => epoch - performance.timeOrigin;

/**
 * Worker threads, each with its own instance of one compiled module. The pool is a queue and a set of
 * workers: an idle worker gets the jobs waiting, up to `maxBatch` of them in one message (shared
 * fairly among the idle workers), and evaluates them back to back, so under load a worker does not
 * sleep between jobs and neither thread is woken for each; one job waiting goes alone, at once. Each
 * job keeps its own deadline, from when its evaluation starts, and its own budget, checked where it
 * waits (the pool's queue or its worker's batch). Errors that leave a worker in doubt (deadline,
 * memory ceiling, crash) replace the worker, fail the job it ran, and put the rest of its batch back
 * at the head of the queue; the pool keeps answering. A worker left idle takes over jobs waiting
 * behind another's evaluation. While a core is free for it (see Occupancy), a worker that has answered
 * spins briefly for its next job, and the caller of a job running alone spins for its answer, instead
 * of sleeping until woken: reviews that come close together then cross without a thread being woken.
 */
export class WorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextBatch = 1;
  private closed = false;
  private data: unknown;
  private drained?: () => void;
  private readyWaiters: (() => void)[] = [];
  private readonly spinner: Spinner;
  private readonly occupancy: Occupancy;

  constructor(
    private readonly bundle: PolicyBundle | undefined,
    data: unknown,
    private readonly options: PoolOptions,
  ) {
    this.data = data;
    this.spinner = new Spinner(this.spinMicros);
    this.occupancy = new Occupancy(Occupancy.allocate(), options.cores);
    for (let i = 0; i < Math.max(1, options.size); i++) this.slots.push(this.spawn());
    this.dispatch();
  }

  /** On one core a spinning thread would only take the core from the thread it waits for. */
  private get spinMicros(): number {
    return this.options.cores > 1 ? this.options.spinMicros : 0;
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

  /** Answers the caller took spinning, rather than woken by them: for tests and benchmarks. */
  get spunAnswers(): number {
    return this.spinner.hits;
  }

  /** Jobs a worker took spinning, rather than woken by them. */
  spunJobs = 0;

  /** Each worker's WASM memory in bytes as of its last answer (0 before its first). */
  memoryBytes(): number[] {
    return this.slots.map((slot) => slot.memoryBytes ?? 0);
  }

  private spawn(): Slot {
    const bundle = this.bundle && { module: this.bundle.module, memoryMinPages: this.bundle.memoryMinPages, revision: this.bundle.revision, source: this.bundle.source };
    const progress = BatchProgress.allocate();
    // A channel of its own rather than the worker's: receiveMessageOnPort, which spinning needs, takes a MessagePort.
    const channel = new MessageChannel();
    const occupancyCell = Occupancy.allocateCell();
    const init: WorkerInit = {
      ...(bundle ? { bundle } : {}),
      ...(this.options.gatekeeper ? { gatekeeper: this.options.gatekeeper } : {}),
      data: this.data,
      limits: this.options.limits,
      progress,
      port: channel.port2,
      occupancy: this.occupancy.buffer,
      occupancyCell,
      cores: this.options.cores,
      spinMicros: this.spinMicros,
    };
    // No execArgv: a worker needs none of the parent's loaders (under a test runner they cost seconds per start).
    const worker = new Worker(workerUrl, { workerData: init, transferList: [channel.port2], execArgv: [] });
    const slot: Slot = { worker, port: channel.port1, occupancyCell, progress: new BatchProgress(progress), ready: false };
    channel.port1.on('message', (message: WorkerReply) => this.onReply(slot, message));
    // The worker (ref'd while it has jobs) keeps the process alive, not its channel.
    channel.port1.unref();
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
    const batch = slot.batch;
    const pending = batch?.number === message.batch ? batch.jobs[message.index] : undefined;
    if (!batch || !pending) return;
    this.settle(slot, message.index);
    if (message.ok) {
      if (message.spun) this.spunJobs++;
      slot.memoryBytes = message.memoryBytes;
      const startedAt = fromEpoch(message.startedAt);
      batch.firstStartedAt ??= startedAt;
      if (evaluationSteps.hasSubscribers) {
        // Posted, for this job, when it would have had to be posted alone to start when it did: its
        // wait behind the jobs before it in the batch counts as queued, the hand-off stays the hop.
        const postedAt = Math.max(pending.queuedAt, batch.postedAt + (startedAt - batch.firstStartedAt));
        const steps: EvaluationSteps = { queuedAt: pending.queuedAt, postedAt, repliedAt: performance.now(), evaluationMs: message.evaluationMs };
        evaluationSteps.publish(steps);
      }
      pending.resolve(message.value);
    } else if (message.code === 'OVERLOADED') {
      pending.reject(this.shedError(pending, 'in its worker\'s batch, behind the evaluations before it,'));
    } else {
      pending.reject(new WasmgateError(message.code, message.message));
      // A memory ceiling hit leaves a large memory behind: start over with a fresh worker.
      if (message.code === 'MEMORY_LIMIT') {
        this.swap(slot);
        return;
      }
    }
    this.dispatch();
  }

  /** Whether the worker is evaluating a job of its batch. */
  private evaluating(slot: Slot, batch: Batch): boolean {
    return batch.jobs.some((p, i) => p !== undefined && slot.progress.state(batch.number, i) === BatchProgress.running);
  }

  /** Empties a job's place in its worker's batch; the batch ends with its last job. */
  private settle(slot: Slot, index: number): void {
    const batch = slot.batch!;
    batch.jobs[index] = undefined;
    if (--batch.unsettled > 0) return;
    clearTimeout(batch.watchdog);
    slot.batch = undefined;
  }

  /**
   * Replaces a worker whose state is in doubt: the job it was running (if any) fails with `code`, the
   * jobs of its batch not yet answered go back to the head of the queue.
   */
  private replace(slot: Slot, code: ErrorCode, message: string): void {
    const batch = slot.batch;
    if (batch) {
      for (const [index, pending] of batch.jobs.entries()) {
        if (pending && (pending.moved || slot.progress.state(batch.number, index) === BatchProgress.running)) {
          this.settle(slot, index);
          pending.reject(new WasmgateError(code, message));
        }
      }
    }
    this.swap(slot);
  }

  private swap(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    void slot.worker.terminate();
    slot.port.close();
    this.occupancy.release(slot.occupancyCell);
    this.requeue(slot);
    // A closing pool still owes its queued jobs an answer: without a replacement they would wait forever.
    if (!this.closed || this.queue.length > 0) this.slots.push(this.spawn());
    this.dispatch();
  }

  /** Puts the jobs of a lost worker's batch not yet answered back at the head of the queue, in order. */
  private requeue(slot: Slot): void {
    const batch = slot.batch;
    if (!batch) return;
    clearTimeout(batch.watchdog);
    slot.batch = undefined;
    const back = batch.jobs.filter((p): p is Pending => p !== undefined);
    this.queue.unshift(...back);
    for (const pending of back) this.watchQueued(pending);
  }

  private shedError(pending: Pending, where: string): WasmgateError {
    const waited = Math.round(performance.now() - pending.queuedAt);
    return new WasmgateError('OVERLOADED', `shed: waited ${waited} ms ${where} and its budget ran out`);
  }

  /** Fails a job that can no longer be answered in time, before it reaches a worker. */
  private shed(pending: Pending): void {
    const ahead = this.queue.indexOf(pending);
    if (ahead >= 0) this.queue.splice(ahead, 1);
    clearTimeout(pending.expiry);
    pending.reject(this.shedError(pending, `for a free policy worker (${Math.max(0, ahead)} queued ahead of it)`));
  }

  /** Sheds a queued job at its deadline, if it is still queued then. */
  private watchQueued(pending: Pending): void {
    if (pending.deadline === undefined) return;
    clearTimeout(pending.expiry);
    pending.expiry = setTimeout(() => {
      this.shed(pending);
      this.dispatch();
    }, Math.max(0, pending.deadline - performance.now()));
  }

  /**
   * The watchdog of a worker's batch: stops the worker if the job it runs is past its deadline, sheds
   * the jobs still waiting whose budget has ended, and sets itself again for the earliest moment the
   * next of these can happen. A job not yet started cannot reach its deadline before the evaluation
   * deadline from now, so that bounds the wait.
   */
  private watch(slot: Slot): void {
    const batch = slot.batch;
    if (!batch) return;
    const now = performance.now();
    let next = Infinity;
    let waiting = false;
    for (const [index, pending] of batch.jobs.entries()) {
      if (!pending) continue;
      const state = slot.progress.state(batch.number, index);
      if (state === BatchProgress.running) {
        const started = fromEpoch(slot.progress.startedAt(index));
        const budget = pending.deadline === undefined ? Infinity : pending.deadline - started;
        const deadline = started + Math.min(this.options.timeoutMs, budget);
        if (now >= deadline) {
          this.replace(slot, 'EVAL_TIMEOUT', stoppedMessage(budget, this.options.timeoutMs));
          return;
        }
        next = Math.min(next, deadline);
      } else if (state === BatchProgress.waiting) {
        if (pending.deadline !== undefined && now >= pending.deadline && slot.progress.take(batch.number, index, BatchProgress.withdrawn)) {
          const running = this.evaluating(slot, batch);
          this.settle(slot, index);
          pending.reject(this.shedError(pending, running ? "in its worker's batch, behind an evaluation still running," : "in its worker's batch"));
          continue;
        }
        waiting = true;
        if (pending.deadline !== undefined) next = Math.min(next, pending.deadline);
      }
    }
    if (!slot.batch) return this.dispatch();
    if (waiting) next = Math.min(next, now + this.options.timeoutMs);
    this.arm(slot, batch, next, now);
  }

  private arm(slot: Slot, batch: Batch, at: number, now: number): void {
    batch.watchdog = at === Infinity ? undefined : setTimeout(() => this.watch(slot), Math.max(1, Math.ceil(at - now)));
  }

  /** Hands the jobs of a batch to its worker, its watchdog set first (as one job's deadline always was). */
  private post(slot: Slot, jobs: Pending[]): void {
    const number = this.nextBatch++;
    // The first job's bytes move to the worker (no copy); the others' are copied, so that a job put back
    // in the queue after its worker is lost still has them. The first is either answered by then, or
    // was running (it fails), or its worker died before starting it (it fails, as when it went alone).
    const transfer = jobs[0]!.transfer;
    jobs[0]!.moved = transfer.length > 0;
    const message: WorkerJob[] = [];
    for (const pending of jobs) {
      clearTimeout(pending.expiry);
      message.push(pending.deadline === undefined ? pending.job : { ...pending.job, deadline: toEpoch(pending.deadline) });
    }
    slot.progress.open(number, jobs.length);
    const batch: Batch = { number, jobs, unsettled: jobs.length, postedAt: performance.now() };
    slot.batch = batch;
    // Nothing has started: the first check is due at the evaluation deadline, or a budget's end before it.
    let first = batch.postedAt + this.options.timeoutMs;
    for (const pending of jobs) if (pending.deadline !== undefined) first = Math.min(first, pending.deadline);
    this.arm(slot, batch, first, batch.postedAt);
    const request: WorkerRequest = message.length === 1 ? { ...message[0]!, batch: number } : { kind: 'batch', batch: number, jobs: message };
    slot.port.postMessage(request, transfer);
  }

  /**
   * With the queue empty and a worker idle, takes back the later half of the jobs still waiting in a
   * busy worker's batch (they would wait behind its evaluation) and queues them for the idle one. Only
   * from a worker that is evaluating: one that has not started its batch yet is about to.
   */
  private steal(): void {
    for (const slot of this.slots) {
      const batch = slot.batch;
      if (!batch || !this.evaluating(slot, batch)) continue;
      const waiting = batch.jobs.flatMap((p, i) => (p && !p.moved && slot.progress.state(batch.number, i) === BatchProgress.waiting ? [i] : []));
      const taken: Pending[] = [];
      for (const index of waiting.slice(Math.floor(waiting.length / 2))) {
        if (!slot.progress.take(batch.number, index, BatchProgress.withdrawn)) continue;
        taken.push(batch.jobs[index]!);
        this.settle(slot, index);
      }
      this.queue.push(...taken);
      if (this.queue.length > 0) return;
    }
  }

  private dispatch(): void {
    const now = performance.now();
    for (const expired of this.queue.filter((p) => p.deadline !== undefined && p.deadline <= now)) this.shed(expired);
    let idle = 0;
    for (const slot of this.slots) if (slot.ready && !slot.batch) idle++;
    if (idle > 0 && this.queue.length === 0) this.steal();
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (!slot.ready || slot.batch) continue;
      // Shared fairly among the idle workers: one worker must not take the jobs another could run now.
      const count = Math.min(maxBatch, Math.ceil(this.queue.length / idle--));
      this.post(slot, this.queue.splice(0, count));
    }
    const quiet = this.queue.length === 0 && this.slots.every((s) => !s.batch);
    // Idle workers must not keep the process alive; workers with jobs waiting on them must.
    for (const slot of this.slots) {
      if (quiet) slot.worker.unref();
      else slot.worker.ref();
    }
    if (this.closed && this.drained && quiet) this.drained();
  }

  /**
   * Runs a job on the next idle worker. ArrayBuffers in `transfer` move to the worker when it is the
   * first of its batch (no copy), and are copied otherwise. With a
   * `deadline` (a performance.now() time), a job still waiting then (queued, or in its worker's batch)
   * fails with OVERLOADED without being evaluated, and one evaluating then is stopped (EVAL_TIMEOUT):
   * nobody waits for its answer.
   */
  run(job: Job, transfer: ArrayBuffer[] = [], deadline?: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new WasmgateError('ENGINE_CLOSED', 'the policy engine is closed'));
    return new Promise((resolve, reject) => {
      const pending: Pending = { job, transfer, resolve, reject, deadline, queuedAt: performance.now() };
      this.queue.push(pending);
      this.dispatch();
      // Still queued, it is last: dispatch takes jobs from the head.
      if (this.queue[this.queue.length - 1] === pending) this.watchQueued(pending);
      else this.awaitAlone(pending);
    });
  }

  /**
   * When `pending` is the only job in flight, spins briefly for its answer (handled as the event would
   * have), so that a short evaluation's answer is taken at once rather than after waking this thread.
   * Nothing else is waiting on this thread then but new requests, which wait at most that long.
   */
  private awaitAlone(pending: Pending): void {
    if (this.queue.length > 0) return;
    let slot: Slot | undefined;
    for (const s of this.slots) {
      if (!s.batch) continue;
      if (slot) return;
      slot = s;
    }
    const batch = slot?.batch;
    if (!slot || !batch || batch.jobs.length !== 1 || batch.jobs[0] !== pending) return;
    const poll = () => {
      for (let got = receiveMessageOnPort(slot.port); got; got = receiveMessageOnPort(slot.port)) {
        this.onReply(slot, got.message as WorkerReply);
        if (slot.batch !== batch) return true;
      }
      return undefined;
    };
    const claimBy = batch.postedAt + this.options.claimMicros / 1000;
    const go = () =>
      this.occupancy.uncrowded && slot.batch === batch && (slot.progress.state(batch.number, 0) !== BatchProgress.waiting || performance.now() < claimBy);
    this.spinner.spin(poll, go);
  }

  /**
   * Sends new data to every worker, behind whatever each is doing; later jobs see it, and so do
   * workers started later. The caller has validated it.
   */
  setData(data: unknown): void {
    this.data = data;
    for (const slot of this.slots) {
      slot.port.postMessage({ kind: 'setData', data } satisfies WorkerRequest);
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
    await Promise.all(
      this.slots.splice(0).map(async (s) => {
        await s.worker.terminate();
        s.port.close();
      }),
    );
  }
}
