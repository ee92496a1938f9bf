import { WasmgateError } from '../errors.js';
import type { KubeObject } from './match.js';
import { isRecord } from './json.js';

/**
 * `data.inventory` as Gatekeeper keeps what it syncs (target.ProcessData):
 * `cluster[groupVersion][kind][name]` and `namespace[ns][groupVersion][kind][name]`.
 */
export interface Inventory {
  readonly cluster?: Record<string, Record<string, Record<string, KubeObject>>>;
  readonly namespace?: Record<string, Record<string, Record<string, Record<string, KubeObject>>>>;
}


function child(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const existing = parent[key];
  if (isRecord(existing)) return existing;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}

/** Builds the inventory from objects (gator's `inventory` files, or `wasmgate eval --inventory`). */
export function inventoryOf(objects: readonly KubeObject[], where: (index: number) => string = (i) => `inventory object ${i}`): Inventory {
  const inventory: Record<string, unknown> = {};
  objects.forEach((object, index) => {
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    const name = typeof metadata.name === 'string' ? metadata.name : '';
    const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (version === '') throw new WasmgateError('INPUT_INVALID', `${where(index)}: invalid request object: resource ${name} has no version`);
    if (typeof object.kind !== 'string' || object.kind === '') {
      throw new WasmgateError('INPUT_INVALID', `${where(index)}: invalid request object: resource ${name} has no kind`);
    }
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
    const scope = namespace === '' ? child(inventory, 'cluster') : child(child(inventory, 'namespace'), namespace);
    child(child(scope, apiVersion), object.kind)[name] = object;
  });
  return inventory as Inventory;
}

/** The inventory inside a data document (`data.inventory`), as the webhook reads it. */
export function inventoryInData(data: unknown): Inventory {
  if (!isRecord(data) || data.inventory === undefined) return {};
  if (!isRecord(data.inventory)) throw new WasmgateError('DATA_INVALID', 'data.inventory must be an object (cluster / namespace)');
  return data.inventory as Inventory;
}

/** The Namespace a namespaceSelector reads: Gatekeeper caches only core v1 Namespaces. */
export function namespaceFrom(inventory: Inventory, name: string | undefined): KubeObject | undefined {
  if (!name) return undefined;
  const found = inventory.cluster?.v1?.Namespace?.[name];
  return isRecord(found) ? found : undefined;
}
