import type { Json } from './protocol.js';

/**
 * A pod as compared: members that are null, {} or [] are dropped, recursively. The oracle's pod is Go's
 * encoding of its internal object (`creationTimestamp: null`, `status: {}`, `resources: {}`, an empty
 * pod securityContext for host fields moved out of it); Kubernetes compares pods semantically, where
 * an empty list or map equals an absent one. List order is kept: it is what would be stored.
 */
export function normalise(value: Json): Json | undefined {
  if (value === null) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(normalise).filter((v): v is Json => v !== undefined);
    return items.length === 0 ? undefined : items;
  }
  if (typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => [k, normalise(value[k]!)] as const)
      .filter((entry): entry is readonly [string, Json] => entry[1] !== undefined);
    return entries.length === 0 ? undefined : (Object.fromEntries(entries) as Json);
  }
  return value;
}

export interface Difference {
  /** JSON pointer of the differing member. */
  readonly path: string;
  readonly oracle: Json | undefined;
  readonly wasmgate: Json | undefined;
}

function escape(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The members where two normalised documents differ, as JSON pointers (deepest differing member). */
export function differences(oracle: Json | undefined, wasmgate: Json | undefined, path = ''): Difference[] {
  if (JSON.stringify(oracle) === JSON.stringify(wasmgate)) return [];
  const bothObjects =
    oracle !== null && wasmgate !== null && typeof oracle === 'object' && typeof wasmgate === 'object' && !Array.isArray(oracle) && !Array.isArray(wasmgate);
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(oracle), ...Object.keys(wasmgate)])].sort();
    return keys.flatMap((k) => differences(oracle[k], wasmgate[k], `${path}/${escape(k)}`));
  }
  if (Array.isArray(oracle) && Array.isArray(wasmgate) && oracle.length === wasmgate.length) {
    return oracle.flatMap((item, i) => differences(item, wasmgate[i], `${path}/${i}`));
  }
  return [{ path: path || '/', oracle, wasmgate }];
}
