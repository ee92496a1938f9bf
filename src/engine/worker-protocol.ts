import type { ErrorCode } from '../errors.js';
import type { MemoryLimits } from './wasm-policy.js';

/** What a pool worker starts with (passed as workerData; a WebAssembly.Module crosses threads as it is). */
export interface WorkerInit {
  readonly module: WebAssembly.Module;
  readonly memoryMinPages: number;
  readonly revision: string;
  readonly source: string;
  readonly data: unknown;
  readonly limits: MemoryLimits;
}

export type WorkerRequest =
  | { readonly id: number; readonly kind: 'decide' | 'mutate'; readonly input: object | ArrayBuffer }
  | { readonly id: number; readonly kind: 'setData'; readonly data: unknown };

export type WorkerReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown; readonly memoryBytes: number }
  | { readonly id: number; readonly ok: false; readonly code: ErrorCode; readonly message: string }
  | { readonly kind: 'print'; readonly line: string }
  | { readonly kind: 'ready' };
