/**
 * Every error wasmgate raises on purpose carries a stable code, so the server can map it to an HTTP
 * status and the CLI to an exit code without matching on message text.
 */
export type ErrorCode =
  | 'OPA_NOT_FOUND'
  | 'OPA_FAILED'
  | 'WASM_OPT_FAILED'
  | 'TOOL_BUILD_FAILED'
  | 'BUNDLE_INVALID'
  | 'BUILTIN_MISSING'
  | 'DATA_INVALID'
  | 'EVAL_FAILED'
  | 'EVAL_TIMEOUT'
  | 'MEMORY_LIMIT'
  | 'OVERLOADED'
  | 'ENGINE_CLOSED'
  | 'INPUT_INVALID'
  | 'METADATA_INVALID'
  | 'CONFIG_INVALID'
  | 'PSP_ORACLE_FAILED';

export class WasmgateError extends Error {
  readonly code: ErrorCode;
  /** The individual problems the message lists, for callers that word them their own way. */
  readonly details?: readonly string[];

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: readonly string[] }) {
    super(message, options);
    this.code = code;
    this.name = 'WasmgateError';
    if (options?.details) this.details = options.details;
  }
}

export function isWasmgateError(err: unknown, code?: ErrorCode): err is WasmgateError {
  return err instanceof WasmgateError && (code === undefined || err.code === code);
}

/**
 * The SDK throws strings and plain objects; turn anything thrown into readable text
 * (never `JSON.stringify(error)`, which prints `{}` for an Error).
 */
export function describeThrown(thrown: unknown): string {
  if (thrown instanceof Error) return thrown.message;
  if (typeof thrown === 'string') return thrown;
  if (thrown !== null && typeof thrown === 'object' && 'message' in thrown) {
    return String((thrown as { message: unknown }).message);
  }
  return String(thrown);
}
