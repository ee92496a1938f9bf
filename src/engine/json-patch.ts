import jsonpatch from 'fast-json-patch';
import { WasmgateError } from '../errors.js';
import type { JsonPatchOp } from './mutation.js';

/**
 * Applies an RFC 6902 patch as the API server applies a webhook's patch: every operation checked
 * (a path that does not resolve, an `add` into a missing parent, a failed `test` are errors), in
 * order, all or nothing. The input is left untouched; the result is a new document.
 */
export function applyJsonPatch<T>(document: T, patch: readonly JsonPatchOp[]): T {
  if (patch.length === 0) return document;
  // One operation at a time on one copy: the library's own loop loses which operation failed.
  let patched = jsonpatch.deepClone(document) as T;
  patch.forEach((op, index) => {
    try {
      patched = jsonpatch.applyOperation(patched, jsonpatch.deepClone(op) as jsonpatch.Operation, true, true, true, index).newDocument;
    } catch (err) {
      if (!(err instanceof jsonpatch.JsonPatchError)) throw err;
      // The library's message goes on to dump the whole document: keep its first line.
      const reason = err.message.split('\n')[0];
      throw new WasmgateError('EVAL_FAILED', `the policy's patch cannot be applied: operation ${index} (${op.op} ${op.path}): ${reason} (${err.name})`, {
        cause: err,
      });
    }
  });
  return patched;
}
