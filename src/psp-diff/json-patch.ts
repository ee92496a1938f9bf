import type { Json, JsonObject } from './protocol.js';

/** An RFC 6902 operation as wasmgate's mutation emits them. */
export interface PatchOperation {
  readonly op: 'add' | 'remove' | 'replace' | 'test';
  readonly path: string;
  readonly value?: Json;
}

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Checks that `raw` is a list of RFC 6902 operations this applier handles; names the first bad one. */
export function parsePatch(raw: unknown): PatchOperation[] {
  if (!Array.isArray(raw)) throw new Error(`patch is not an array: ${JSON.stringify(raw)?.slice(0, 200)}`);
  return raw.map((op, i) => {
    if (!isObject(op) || typeof op.path !== 'string' || !['add', 'remove', 'replace', 'test'].includes(op.op as string)) {
      throw new Error(`patch[${i}] is not an add/remove/replace/test operation with a path: ${JSON.stringify(op)}`);
    }
    if (op.op !== 'remove' && !('value' in op)) throw new Error(`patch[${i}] (${String(op.op)} ${op.path}) has no value`);
    return op as unknown as PatchOperation;
  });
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function splitPointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`JSON pointer ${JSON.stringify(path)} does not start with "/"`);
  return path.slice(1).split('/').map(unescape);
}

function arrayIndex(tokens: string, length: number, allowEnd: boolean, path: string): number {
  if (allowEnd && tokens === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(tokens)) throw new Error(`${path}: ${JSON.stringify(tokens)} is not an array index`);
  const index = Number(tokens);
  if (index > length || (!allowEnd && index === length)) throw new Error(`${path}: index ${index} is out of bounds (length ${length})`);
  return index;
}

/**
 * Applies operations in order, strictly as RFC 6902 says (as the API server's applier does): `add`
 * needs an existing parent, `replace`/`remove` an existing member, `test` an equal value. Returns a
 * new document; throws naming the failing operation.
 */
export function applyPatch(document: Json, operations: readonly PatchOperation[]): Json {
  let doc = structuredClone(document);
  operations.forEach((operation, i) => {
    const where = `patch[${i}] (${operation.op} ${operation.path})`;
    const tokens = splitPointer(operation.path);
    if (tokens.length === 0) {
      if (operation.op === 'test') {
        if (JSON.stringify(doc) !== JSON.stringify(operation.value)) throw new Error(`${where}: test failed`);
      } else if (operation.op === 'remove') {
        throw new Error(`${where}: cannot remove the whole document`);
      } else {
        doc = structuredClone(operation.value!);
      }
      return;
    }
    let parent: Json = doc;
    for (const token of tokens.slice(0, -1)) {
      if (Array.isArray(parent)) parent = parent[arrayIndex(token, parent.length, false, where)]!;
      else if (isObject(parent) && token in parent) parent = parent[token]!;
      else throw new Error(`${where}: the parent ${JSON.stringify(token)} does not exist`);
    }
    const last = tokens[tokens.length - 1]!;
    if (Array.isArray(parent)) {
      const index = arrayIndex(last, parent.length, operation.op === 'add', where);
      if (operation.op === 'add') parent.splice(index, 0, structuredClone(operation.value!));
      else if (operation.op === 'replace') parent[index] = structuredClone(operation.value!);
      else if (operation.op === 'remove') parent.splice(index, 1);
      else if (JSON.stringify(parent[index]) !== JSON.stringify(operation.value)) throw new Error(`${where}: test failed`);
    } else if (isObject(parent)) {
      if (operation.op !== 'add' && !(last in parent)) throw new Error(`${where}: the member does not exist`);
      if (operation.op === 'add' || operation.op === 'replace') parent[last] = structuredClone(operation.value!);
      else if (operation.op === 'remove') delete parent[last];
      else if (JSON.stringify(parent[last]) !== JSON.stringify(operation.value)) throw new Error(`${where}: test failed`);
    } else {
      throw new Error(`${where}: the parent is not an object or array`);
    }
  });
  return doc;
}
