import cliProgress from 'cli-progress';

/** Runs with at least this many documents get a progress bar (on a terminal). */
export const progressThreshold = 200;

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const none: Progress = { update() {}, stop() {} };

/** A progress bar on stderr, only when stderr is a terminal and the run is big enough to wait for. */
export function progressBar(total: number, enabled: boolean, stream: { readonly isTTY?: boolean } = process.stderr): Progress {
  if (!enabled || !stream.isTTY || total < progressThreshold) return none;
  const bar = new cliProgress.SingleBar(
    { stream: stream as NodeJS.WriteStream, clearOnComplete: true, hideCursor: true, format: 'evaluating [{bar}] {value}/{total} documents, {eta_formatted} left' },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0);
  return {
    update: (done) => bar.update(done),
    stop: () => bar.stop(),
  };
}
