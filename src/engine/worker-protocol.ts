import type { MessagePort } from 'node:worker_threads';
import type { ErrorCode } from '../errors.js';
import type { GatekeeperPolicySet } from '../gatekeeper/evaluator.js';
import type { PolicyBundle } from './bundle.js';
import type { MemoryLimits } from './wasm-policy.js';

/** What a pool worker starts with (passed as workerData; a WebAssembly.Module crosses threads as it is). */
export interface WorkerInit {
  /** The compiled policy, unless Gatekeeper's templates decide alone. */
  readonly bundle?: Omit<PolicyBundle, 'data' | 'wasm'>;
  /** Gatekeeper templates and constraints, decided beside the bundle (or alone). */
  readonly gatekeeper?: GatekeeperPolicySet;
  readonly data: unknown;
  readonly limits: MemoryLimits;
  /** The batch's progress, shared with the pool (see BatchProgress). */
  readonly progress: SharedArrayBuffer;
  /** The worker's end of its channel with the pool: every request and reply goes through it. */
  readonly port: MessagePort;
  /** The pool's threads on cores, shared by all of them, and this worker's own cell (see Occupancy in spin.ts). */
  readonly occupancy: SharedArrayBuffer;
  readonly occupancyCell: SharedArrayBuffer;
  readonly cores: number;
  /** How long the worker polls for its next job after answering one, in µs, while a core is free (0: never). */
  readonly spinMicros: number;
}

export interface Job {
  readonly kind: 'decide' | 'mutate';
  readonly input: object | ArrayBuffer;
  /** The input is bytes, parsed once for the review's envelope too; the answer is `{ envelope, value }` (Engine.decideReview). */
  readonly envelope?: true;
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
