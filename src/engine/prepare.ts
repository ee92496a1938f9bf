import type { RegoValue } from './builtins/rego-value.js';

/**
 * Where the host stores the result of the policy's prepare entrypoint: data.prepared. A policy that
 * defines prepare owns this key; whatever a data file puts there is replaced.
 */
export const preparedKey = 'prepared';

/** A Rego value in the syntax opa_value_parse reads: JSON, plus set literals (`{1, 2}`, `set()`). */
function valueText(v: RegoValue): string {
  switch (v.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(v.value);
    case 'number':
      return v.text;
    case 'string':
      return JSON.stringify(v.value);
    case 'array':
      return `[${v.items.map(valueText).join(',')}]`;
    case 'set':
      return v.items.length === 0 ? 'set()' : `{${v.items.map(valueText).join(',')}}`;
    case 'object':
      return `{${v.entries.map(([k, val]) => `${valueText(k)}:${valueText(val)}`).join(',')}}`;
  }
}

/** The data document without the host's key: what the policy's own rules see before prepare runs. */
export function withoutPrepared(data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  if (!Object.hasOwn(data, preparedKey)) return data;
  const { [preparedKey]: _replaced, ...own } = data;
  return own;
}

/** The text of `data` with `prepared` added under preparedKey (data must not hold that key). */
export function preparedDataText(data: Readonly<Record<string, unknown>>, prepared: RegoValue): string {
  const json = JSON.stringify(data);
  const entry = `${JSON.stringify(preparedKey)}:${valueText(prepared)}`;
  return json === '{}' ? `{${entry}}` : `${json.slice(0, -1)},${entry}}`;
}
