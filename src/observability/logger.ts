import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  readonly level: string;
  /** Where JSON lines go; default standard output. */
  readonly destination?: DestinationStream;
}

/** JSON lines with an ISO time and the level as a word, one object per event. */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: 'wasmgate',
      level: options.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
