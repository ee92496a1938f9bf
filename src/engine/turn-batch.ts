/**
 * Runs the jobs submitted during one turn of the event loop together, in the order they came, at the
 * next check phase (setImmediate), and only then lets their callers go on. A webhook on one core
 * otherwise interleaves each review's evaluation with the TLS reads and writes of the next: the
 * policy's code and its instance's memory ran on caches that work had cooled (a decision took twice
 * its time in a loop). Together, the evaluations of a turn share warm caches, and so do the answers'
 * writes after them (and, in a batch of their own, the answers' log lines). A job waits for no more than
 * the next check phase and the jobs ahead of it.
 */
export class TurnBatch {
  private jobs: (() => void)[] = [];

  /** `job`'s result or error, once the batch it joins has run. */
  run<T>(job: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.jobs.push(() => {
        try {
          resolve(job());
        } catch (err) {
          reject(err);
        }
      });
      if (this.jobs.length === 1) setImmediate(this.flush);
    });
  }

  /** Runs the jobs waiting now, at once (before the data changes or the evaluator closes). */
  readonly flush = (): void => {
    const jobs = this.jobs;
    this.jobs = [];
    for (const job of jobs) job();
  };
}
