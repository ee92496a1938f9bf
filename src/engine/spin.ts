import { performance } from 'node:perf_hooks';

/**
 * Bounded polling with back-off, for one thread waiting on another: `poll` is called until it returns
 * something, `micros` pass, or `go` says stop. Misses in a row mean the other side is not answering
 * that fast (long evaluations, reviews far apart, a busy machine), where spinning only wastes a core:
 * after each one more chances are skipped before the next try (none after the first miss, then 1, 2,
 * 4, 8, and 16 at most). A hit starts over.
 */
export class Spinner {
  private misses = 0;
  private skips = 0;
  hits = 0;

  constructor(readonly micros: number) {}

  spin<T>(poll: () => T | undefined, go: () => boolean): T | undefined {
    if (this.micros <= 0) return undefined;
    if (this.skips > 0) {
      this.skips--;
      return undefined;
    }
    const until = performance.now() + this.micros / 1000;
    do {
      const got = poll();
      if (got !== undefined) {
        this.misses = 0;
        this.hits++;
        return got;
      }
    } while (go() && performance.now() < until);
    this.misses++;
    if (this.misses >= 2) this.skips = Math.min(16, 1 << (this.misses - 2));
    return undefined;
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
