import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** Where JSON lines go; default standard output, written asynchronously. */
  readonly destination?: DestinationStream;
}

/** Standard output is written once this much is queued (a write per line cost ~6 % of a review's main-thread time at 1,000 req/s)… */
export const logBatchBytes = 4096;
/** …or this long (ms) after the first line queued since the last flush: a line on a quiet server waits at most this long. */
export const logFlushMs = 100;

/**
 * JSON lines with an ISO time and the level as a word, one object per event. Standard output is
 * written asynchronously and in batches: lines are queued and written, `logBatchBytes` at a time or
 * `logFlushMs` after the first line of a batch, while the webhook goes on answering, so a slow reader
 * of the log — a full pipe, a busy disk — never stalls reviews. Nothing is lost at exit: pino writes
 * what is queued synchronously when the process exits, however it exits short of SIGKILL (then at
 * most one batch is). The flush timer is unref'd: it keeps no process alive.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      // No logger `name`: pino would write it as "name", the key decision lines give the object's name.
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? batchedStdout(),
  );
}

/**
 * Standard output through sonic-boom, flushed by a timer set when a line is queued. sonic-boom's own
 * periodicFlush runs whether or not anything is queued, and with nothing queued it writes an empty
 * string: ten wake-ups and ten thread-pool writes a second on an idle server.
 */
function batchedStdout(): DestinationStream {
  // sonic-boom sets `destroyed` once ended (its typings omit it); flushing then would throw.
  const out = pino.destination({ dest: 1, sync: false, minLength: logBatchBytes }) as ReturnType<typeof pino.destination> & { destroyed?: boolean };
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    if (!out.destroyed) out.flush();
  };
  return {
    write(line: string) {
      out.write(line);
      if (timer === undefined) timer = setTimeout(flush, logFlushMs).unref();
    },
  };
}
