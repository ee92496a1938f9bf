import type { JsonPatchOp } from '../engine/mutation.js';

/** The annotation PSP set on every pod it admitted; results name the PSP apart, so it is no "default". */
export const pspAnnotationPath = 'metadata.annotations["kubernetes.io/psp"]';

const plainKey = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** A JSON pointer as a field path: `/spec/containers/0/securityContext` → `spec.containers[0].securityContext`. */
export function fieldPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, key) => {
      if (/^(?:\d+|-)$/.test(key)) return `${path}[${key}]`;
      if (plainKey.test(key)) return path === '' ? key : `${path}.${key}`;
      return `${path}[${JSON.stringify(key)}]`;
    }, '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `spec.securityContext` = {fsGroup: 1} as its leaves: `spec.securityContext.fsGroup=1`. */
function assignments(path: string, value: unknown): string[] {
  if (isPlainObject(value) && Object.keys(value).length > 0) {
    return Object.entries(value).flatMap(([k, v]) => assignments(plainKey.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`, v));
  }
  return [`${path}=${JSON.stringify(value)}`];
}

/** What a patch sets, one field per entry: `spec.containers[0].securityContext.runAsNonRoot=true`. */
export function patchAssignments(patch: readonly JsonPatchOp[]): string[] {
  return patch.flatMap((op) => {
    const path = fieldPath(op.path);
    switch (op.op) {
      case 'add':
      case 'replace':
        return assignments(path, op.value);
      case 'remove':
        return [`${path} removed`];
      case 'move':
      case 'copy':
        return [`${path} ${op.op === 'move' ? 'moved' : 'copied'} from ${fieldPath(op.from)}`];
      case 'test':
        return [];
    }
  });
}

/**
 * The fields a patch defaults, for people: the PSP annotation (of a pod, or of a workload's template)
 * left out, since results name the PSP apart.
 */
export function describePatch(patch: readonly JsonPatchOp[]): string[] {
  return patchAssignments(patch).filter((entry) => !(entry.startsWith(`${pspAnnotationPath}=`) || entry.includes(`.${pspAnnotationPath}=`)));
}
