import { performance } from 'node:perf_hooks';

/**
 * Bounded polling with back-off, for one thread waiting on another: `poll` is called until it returns
 * something, `micros` pass, or `go` says stop. Three misses in a row mean the other side is not
 * answering that fast (long evaluations, reviews far apart, a crowded machine): spinning then only
 * wastes a core, so it stops, trying again at one chance in sixteen. A hit starts over.
 */
export class Spinner {
  private misses = 0;
  private skipped = 0;
  hits = 0;

  constructor(readonly micros: number) {}

  spin<T>(poll: () => T | undefined, go: () => boolean): T | undefined {
    if (this.micros <= 0) return undefined;
    if (this.misses >= 3 && ++this.skipped % 16 !== 0) return undefined;
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
    return undefined;
  }
}
