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
