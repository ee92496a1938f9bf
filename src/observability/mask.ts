/**
 * What of a reviewed object may reach a log line when `log.objects` is on. Nothing in an object is
 * logged by default; when asked, it is logged with its sensitive values replaced:
 * - a Secret keeps its metadata (minus annotations, which kubectl fills with a copy of the data),
 *   its type and the names of its keys: every value under data and stringData is masked;
 * - in any object, a string under a key that names a credential (…password, …secret, …token, …)
 *   and an environment variable's value whose name does are masked;
 * - the last-applied-configuration annotation of any object is masked (it repeats the whole object).
 */

export const masked = '<masked>';

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
/** A key or variable name that ends in a word naming a credential: DB_PASSWORD, clientSecret, token. */
const sensitiveName = /(password|passwd|passphrase|secret|token|credentials?|(private|api|access|secret)[-_]?key|authorization)$/i;

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function maskValues(values: unknown): unknown {
  if (!isObject(values)) return values === undefined ? undefined : masked;
  return Object.fromEntries(Object.keys(values).map((k) => [k, masked]));
}

function maskSecret(secret: Record<string, unknown>): Record<string, unknown> {
  const metadata = isObject(secret.metadata) ? { ...secret.metadata } : secret.metadata;
  if (isObject(metadata) && metadata.annotations !== undefined) metadata.annotations = maskValues(metadata.annotations);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(secret)) {
    if (k === 'metadata') out[k] = metadata;
    else if (k === 'apiVersion' || k === 'kind' || k === 'type' || k === 'immutable') out[k] = v;
    else out[k] = maskValues(v);
  }
  return out;
}

function maskDeep(value: unknown, key: string | undefined): unknown {
  if (Array.isArray(value)) return value.map((v) => maskDeep(v, undefined));
  if (!isObject(value)) {
    if (key !== undefined && sensitiveName.test(key) && typeof value === 'string') return masked;
    return value;
  }
  if (value.kind === 'Secret' && (value.apiVersion === 'v1' || value.apiVersion === undefined)) return maskSecret(value);
  const out: Record<string, unknown> = {};
  // An environment variable: {name, value}. Its value is masked when its name looks like a credential.
  const envVar = typeof value.name === 'string' && 'value' in value && sensitiveName.test(value.name);
  for (const [k, v] of Object.entries(value)) {
    if (k === lastApplied) out[k] = masked;
    else if (envVar && k === 'value') out[k] = masked;
    else out[k] = maskDeep(v, k);
  }
  return out;
}

/**
 * A copy of an object fit for a log line. `kind` is the request's kind: a Secret is masked as one even
 * when the object itself does not say so.
 */
export function maskObject(object: unknown, kind?: string): unknown {
  if (kind === 'Secret' && isObject(object)) return maskSecret(object);
  return maskDeep(object, undefined);
}
