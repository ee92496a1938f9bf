import { WasmgateError } from '../errors.js';

/** One RFC 6902 operation, as the mutation entrypoint returns it and an AdmissionReview carries it. */
export type JsonPatchOp =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly path: string; readonly from: string };

export const patchOperations = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;

export interface Mutation {
  /** Operations that turn the object sent into the defaulted one, in order; empty when nothing changes. */
  readonly patch: readonly JsonPatchOp[];
  /** The PodSecurityPolicy chosen for the object, or null when none admits it (or it is no pod). */
  readonly profile: string | null;
}

/** Nothing to change, no PSP chosen. */
export const noMutation: Mutation = Object.freeze({ patch: Object.freeze([]), profile: null });

function malformed(why: string): WasmgateError {
  return new WasmgateError('EVAL_FAILED', `the policy returned a malformed mutation: ${why}`);
}

/** RFC 6901: empty, or "/"-separated tokens in which "~" is only ever "~0" or "~1". */
function isJsonPointer(value: unknown): value is string {
  return typeof value === 'string' && (value === '' || (value.startsWith('/') && !/~(?![01])/.test(value)));
}

function parseOp(raw: unknown, index: number): JsonPatchOp {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw malformed(`patch[${index}] is not an object`);
  const o = raw as Record<string, unknown>;
  if (!patchOperations.includes(o.op as (typeof patchOperations)[number])) {
    throw malformed(`patch[${index}].op is ${JSON.stringify(o.op)}, not one of ${patchOperations.join(', ')}`);
  }
  if (!isJsonPointer(o.path)) throw malformed(`patch[${index}].path is ${JSON.stringify(o.path)}, not a JSON pointer`);
  switch (o.op) {
    case 'remove':
      return { op: 'remove', path: o.path };
    case 'move':
    case 'copy':
      if (!isJsonPointer(o.from)) throw malformed(`patch[${index}].from is ${JSON.stringify(o.from)}, not a JSON pointer`);
      return { op: o.op, path: o.path, from: o.from };
    default:
      if (!('value' in o)) throw malformed(`patch[${index}] (${String(o.op)} ${o.path}) has no value`);
      return { op: o.op as 'add' | 'replace' | 'test', path: o.path, value: o.value };
  }
}

/**
 * Checks what the mutation entrypoint returned. An undefined or misshapen result is an error, never
 * "no patch": a policy bug must not pass for "nothing to default".
 */
export function parseMutation(raw: unknown): Mutation {
  if (raw === undefined) throw new WasmgateError('EVAL_FAILED', 'the policy returned no mutation (the mutation rule is undefined)');
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw malformed('not an object');
  const m = raw as Record<string, unknown>;
  if (!Array.isArray(m.patch)) throw malformed('patch is not an array');
  if (m.profile !== null && typeof m.profile !== 'string') throw malformed(`profile is ${JSON.stringify(m.profile)}, not a string or null`);
  return { patch: m.patch.map(parseOp), profile: m.profile };
}
