import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** Where JSON lines go; default standard output, written asynchronously. */
  readonly destination?: DestinationStream;
}

/**
 * JSON lines with an ISO time and the level as a word, one object per event. Standard output is
 * written asynchronously: a line is queued and written while the webhook goes on answering (lines
 * that come while a write is under way go out together in the next), so a slow reader of the log — a
 * full pipe, a busy disk — never stalls reviews. Nothing is lost at exit: pino writes what is queued
 * synchronously when the process exits, however it exits.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: 'wasmgate',
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
