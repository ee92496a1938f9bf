import { regoValueText, type RegoValue } from './builtins/rego-value.js';

/**
 * Where the host stores the result of the policy's prepare entrypoint: data.prepared. A policy that
 * defines prepare owns this key; whatever a data file puts there is replaced.
 */
export const preparedKey = 'prepared';

/** The data document without the host's key: what the policy's own rules see before prepare runs. */
export function withoutPrepared(data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (!Object.hasOwn(data, preparedKey)) return data;
  const { [preparedKey]: _replaced, ...own } = data;
  return own;
}

/** The text of `data` with `prepared` added under preparedKey (data must not hold that key). */
export function preparedDataText(data: Readonly<Record<string, unknown>>, prepared: RegoValue): string {
  const json = JSON.stringify(data);
  const entry = `${JSON.stringify(preparedKey)}:${regoValueText(prepared)}`;
  return json === '{}' ? `{${entry}}` : `${json.slice(0, -1)},${entry}}`;
}
