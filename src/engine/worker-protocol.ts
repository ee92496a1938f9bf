import type { MessagePort } from 'node:worker_threads';
import type { ErrorCode } from '../errors.js';
import type { GatekeeperPolicySet } from '../gatekeeper/evaluator.js';
import type { PolicyBundle } from './bundle.js';
import type { MemoryLimits } from './wasm-policy.js';

/** What a pool worker starts with (passed as workerData; a WebAssembly.Module crosses threads as it is). */
export interface WorkerInit {
  /** The compiled policy, unless Gatekeeper's templates decide alone. */
  readonly bundle?: Omit<PolicyBundle, 'data'>;
  /** Gatekeeper templates and constraints, decided beside the bundle (or alone). */
  readonly gatekeeper?: GatekeeperPolicySet;
  readonly data: unknown;
  readonly limits: MemoryLimits;
  /** The batch's progress, shared with the pool (see BatchProgress). */
  readonly progress: SharedArrayBuffer;
  /** The worker's end of its channel with the pool: every request and reply goes through it. */
  readonly port: MessagePort;
  /** The pool's threads on cores, shared by all of them, and this worker's own cell (see Occupancy). */
  readonly occupancy: SharedArrayBuffer;
  readonly occupancyCell: SharedArrayBuffer;
  readonly cores: number;
  /** How long the worker polls for its next job after answering one, in µs, while a core is free (0: never). */
  readonly spinMicros: number;
}

export interface Job {
  readonly kind: 'decide' | 'mutate';
  readonly input: object | ArrayBuffer;
  /** Epoch milliseconds (`performance.timeOrigin + performance.now()`, comparable across threads) by which it must have started. */
  readonly deadline?: number;
}

/**
 * Jobs to evaluate back to back, in order; `batch` numbers them for their progress cells. A batch of one
 * goes as the job itself, with its number: one object less to copy each way (~1 µs a review alone).
 */
export type WorkerRequest =
  | { readonly kind: 'batch'; readonly batch: number; readonly jobs: readonly Job[] }
  | (Job & { readonly batch: number })
  | { readonly kind: 'setData'; readonly data: unknown };

/**
 * The answer to the job at `index` of batch `batch`; `startedAt` in epoch milliseconds; `spun` when the
 * worker took its batch while spinning, rather than woken by its message.
 */
export type WorkerReply =
  | { readonly batch: number; readonly index: number; readonly ok: true; readonly value: unknown; readonly memoryBytes: number; readonly startedAt: number; readonly evaluationMs: number; readonly spun: boolean }
  | { readonly batch: number; readonly index: number; readonly ok: false; readonly code: ErrorCode; readonly message: string }
  | { readonly kind: 'print'; readonly line: string }
  | { readonly kind: 'ready' };

/** The longest batch, and so the number of progress cells. */
export const maxBatch = 8;

/**
 * Where each job of a worker's current batch is, in memory both threads see: a cell per position
 * holding the batch's number and a state, and when its evaluation started. A job changes hands only by
 * compare-and-swap on its cell: the worker claims a waiting job (running), the pool withdraws one
 * (withdrawn: shed, or moved to another worker), so a job is never both evaluated and given up. Cells
 * carry the batch's number so a worker still finishing one batch cannot claim a job of the next.
 */
export class BatchProgress {
  static readonly waiting = 0;
  static readonly running = 1;
  static readonly done = 2;
  static readonly withdrawn = 3;
  private readonly cells: Int32Array;
  private readonly started: Float64Array;

  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(maxBatch * (Int32Array.BYTES_PER_ELEMENT + Float64Array.BYTES_PER_ELEMENT));
  }

  constructor(buffer: SharedArrayBuffer) {
    this.started = new Float64Array(buffer, 0, maxBatch);
    this.cells = new Int32Array(buffer, maxBatch * Float64Array.BYTES_PER_ELEMENT, maxBatch);
  }

  private static cell(batch: number, state: number): number {
    // 29 bits of batch number: a batch 2²⁹ batches old is long gone.
    return ((batch & 0x1fffffff) << 2) | state;
  }

  /** Pool: the jobs at positions 0..count-1 now belong to `batch`, all waiting. */
  open(batch: number, count: number): void {
    for (let i = 0; i < count; i++) Atomics.store(this.cells, i, BatchProgress.cell(batch, BatchProgress.waiting));
  }

  /** The state of the job at `index`, if it still belongs to `batch`. */
  state(batch: number, index: number): number | undefined {
    const value = Atomics.load(this.cells, index);
    return value >>> 2 === (batch & 0x1fffffff) ? value & 3 : undefined;
  }

  /** Moves a waiting job to `to`; false if it was no longer waiting. */
  take(batch: number, index: number, to: number): boolean {
    const from = BatchProgress.cell(batch, BatchProgress.waiting);
    return Atomics.compareExchange(this.cells, index, from, BatchProgress.cell(batch, to)) === from;
  }

  /** Worker: claims a waiting job, stamping when it starts (epoch ms); false if the pool took it back. */
  claim(batch: number, index: number, startedAt: number): boolean {
    // Written before the claim, which publishes it: the pool reads it only after seeing the job running.
    this.started[index] = startedAt;
    return this.take(batch, index, BatchProgress.running);
  }

  finish(batch: number, index: number): void {
    Atomics.store(this.cells, index, BatchProgress.cell(batch, BatchProgress.done));
  }

  /** When the job at `index` started, epoch ms (meaningful once it is running). */
  startedAt(index: number): number {
    return this.started[index]!;
  }
}

/** Where a worker is, in its own cell: its moves are compare-and-swaps, so the pool's `release` wins or loses cleanly. */
const idle = 0;
const evaluating = 1;
const spinning = 2;
const gone = 3;

/**
 * How many of the pool's threads hold a core, in memory all of them see: workers evaluating, and idle
 * workers spinning (polling their channel for the next job instead of sleeping, since waking a
 * sleeping thread costs ~20–40 µs each way). The main thread is always counted. A thread may spin only
 * while every one of them still has a core, so spinning never takes time from an evaluation or from the
 * main thread: on one core nothing spins. Each worker also keeps where it is in a cell of its own, so
 * that the pool, terminating a worker in the middle of an evaluation or a spin (which then never says
 * it has stopped), takes back what it held.
 */
export class Occupancy {
  private static readonly evaluatingCount = 0;
  private static readonly spinningCount = 1;
  private readonly counts: Int32Array;
  private readonly own?: Int32Array;

  static allocate(): SharedArrayBuffer {
    return new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
  }

  /** A worker's own cell, idle. */
  static allocateCell(): SharedArrayBuffer {
    return new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT);
  }

  /** The pool's view (no cell), or a worker's (with its cell). */
  constructor(
    readonly buffer: SharedArrayBuffer,
    private readonly cores: number,
    cell?: SharedArrayBuffer,
  ) {
    this.counts = new Int32Array(buffer);
    if (cell) this.own = new Int32Array(cell);
  }

  /** Threads on a core now: the main thread, the workers evaluating and those spinning. */
  private get held(): number {
    return 1 + Atomics.load(this.counts, Occupancy.evaluatingCount) + Atomics.load(this.counts, Occupancy.spinningCount);
  }

  private move(from: number, to: number): boolean {
    return this.own !== undefined && Atomics.compareExchange(this.own, 0, from, to) === from;
  }

  startEvaluating(): void {
    if (this.move(idle, evaluating)) Atomics.add(this.counts, Occupancy.evaluatingCount, 1);
  }

  stopEvaluating(): void {
    if (this.move(evaluating, idle)) Atomics.sub(this.counts, Occupancy.evaluatingCount, 1);
  }

  /** A worker: takes a free core to spin on; false when there is none. */
  startSpinning(): boolean {
    for (;;) {
      const count = Atomics.load(this.counts, Occupancy.spinningCount);
      if (1 + Atomics.load(this.counts, Occupancy.evaluatingCount) + count >= this.cores) return false;
      if (Atomics.compareExchange(this.counts, Occupancy.spinningCount, count, count + 1) === count) break;
    }
    if (this.move(idle, spinning)) return true;
    Atomics.sub(this.counts, Occupancy.spinningCount, 1);
    return false;
  }

  stopSpinning(): void {
    if (this.move(spinning, idle)) Atomics.sub(this.counts, Occupancy.spinningCount, 1);
  }

  /** The pool, terminating a worker: whatever its cell says it holds is given back, and it holds nothing more. */
  release(cell: SharedArrayBuffer): void {
    const was = Atomics.exchange(new Int32Array(cell), 0, gone);
    if (was === evaluating) Atomics.sub(this.counts, Occupancy.evaluatingCount, 1);
    else if (was === spinning) Atomics.sub(this.counts, Occupancy.spinningCount, 1);
  }

  /** Whether every thread on a core still has one of its own: a spinner stops when not. */
  get uncrowded(): boolean {
    return this.held <= this.cores;
  }
}
