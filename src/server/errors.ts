import { STATUS_CODES } from 'node:http';
import { isWasmgateError } from '../errors.js';

/** A request the server refuses, with the status and message the client gets. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The JSON body of every error answer. */
export interface ErrorBody {
  readonly status: number;
  readonly error: string;
  readonly message: string;
}

export interface MappedError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: ErrorBody;
  /** Whether the server is at fault (a 5xx), which is logged as an error rather than a bad request. */
  readonly internal: boolean;
}

/** What body-parser (via raw-body and http-errors) throws: a status and a machine-readable type. */
interface BodyParserError {
  readonly status: number;
  readonly type: string;
  readonly limit?: number;
  readonly expose?: boolean;
  readonly message: string;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  const e = err as Partial<BodyParserError> | null;
  return err instanceof Error && typeof e?.type === 'string' && typeof e.status === 'number';
}

function mebibytes(bytes: number): string {
  return bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`;
}

function mapped(status: number, message: string, headers: Readonly<Record<string, string>> = {}): MappedError {
  return { status, headers, body: { status, error: STATUS_CODES[status] ?? 'Error', message }, internal: status >= 500 };
}

/**
 * The one place an error becomes an HTTP answer. Known failures keep their clear message; anything
 * else is a 500 that says nothing of the server's internals (the log has the details).
 */
export function mapError(err: unknown): MappedError {
  if (err instanceof HttpError) return mapped(err.status, err.message, err.headers);
  if (isWasmgateError(err, 'INPUT_INVALID')) return mapped(400, err.message);
  if (isBodyParserError(err)) {
    switch (err.type) {
      case 'entity.too.large':
        return mapped(413, `the body is larger than the limit of ${mebibytes(err.limit ?? 0)}`);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return mapped(415, `${err.message}: send the AdmissionReview as application/json, identity, gzip, deflate or br encoded`);
      case 'request.aborted':
        return mapped(400, 'the client aborted the request before its body was complete');
      case 'request.size.invalid':
        return mapped(400, 'the body is not as long as its Content-Length says');
    }
    if (err.expose && err.status >= 400 && err.status < 500) return mapped(err.status, err.message);
  }
  return mapped(500, 'internal server error');
}
