/**
 * What of a reviewed object may reach a log line when `log.objects` is on. Nothing in an object is
 * logged by default; when asked, it is logged with its sensitive values replaced. One rule set,
 * `isCredentialName`, decides which names are a credential's; it applies to object keys, environment
 * variable names, `--flag=value` and `NAME=value` arguments alike:
 * - a Secret or a ConfigMap keeps its metadata (minus annotations, which kubectl fills with a copy of
 *   the data), its type and the names of its keys: every value under data, stringData, binaryData is masked;
 * - in any object, everything under a credential-named key is masked (a string, or every value in an
 *   object or list such as `password: {value: …}`), and so is an environment variable's value whose
 *   name is a credential's;
 * - in lists of strings (args, command), `--password=x` and `PASSWORD=x` are masked, and so is the
 *   element after a lone `--password`;
 * - anywhere, the password of a URL (`postgres://user:pw@host`) is masked;
 * - the last-applied-configuration annotation of any object is masked (it repeats the whole object).
 */

export const masked = '<masked>';

const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';

/** A name ending in one of these words is a credential's: DB_PASSWORD, clientSecret, GITHUB_TOKEN, PGPASS. */
const credentialWords = new Set([
  'password', 'passwd', 'passphrase', 'pass', 'pwd', 'pgpass', 'secret', 'token', 'credential', 'credentials',
  'apikey', 'auth', 'authorization', 'cookie', 'dsn', 'privatekey',
]);
/** A name ending in these words, after another word, is one too: SSH_KEY, TLS_KEY, SIGNING_KEY (not `key` alone, a reference). */
const qualifiedWords = new Set(['key']);
/** A connection URL or string names its credentials in it: DATABASE_URL, DB_URI, CONNECTION_STRING. */
const connectionWords = new Set(['database', 'db', 'connection']);
const connectionEnds = new Set(['url', 'uri', 'string']);

/** The words of a name: DB_PASSWORD, clientSecret, api-key, x.auth.token → lower-case words. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

/** Whether a key, variable or flag name is a credential's (the one rule set every case uses). */
export function isCredentialName(name: string): boolean {
  const w = words(name);
  const last = w.at(-1);
  if (last === undefined) return false;
  if (credentialWords.has(last)) return true;
  if (w.length > 1 && qualifiedWords.has(last)) return true;
  return connectionEnds.has(last) && w.slice(0, -1).some((x) => connectionWords.has(x));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A URL's password, wherever a string holds one: scheme://user:<masked>@host. */
function maskUrlPasswords(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/g, `$1${masked}@`);
}

/** Every value under a credential-named key: structure and key names stay, values go. */
function maskAll(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskAll);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskAll(v)]));
  return value === null || value === undefined ? value : masked;
}

function maskValues(values: unknown): unknown {
  if (!isObject(values)) return values === undefined ? undefined : masked;
  return Object.fromEntries(Object.keys(values).map((k) => [k, masked]));
}

/** A Secret or ConfigMap: metadata (annotations masked), type and key names; every value masked. */
function maskDataObject(object: Record<string, unknown>): Record<string, unknown> {
  const metadata = isObject(object.metadata) ? { ...object.metadata } : object.metadata;
  if (isObject(metadata) && metadata.annotations !== undefined) metadata.annotations = maskValues(metadata.annotations);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(object)) {
    if (k === 'metadata') out[k] = metadata;
    else if (k === 'apiVersion' || k === 'kind' || k === 'type' || k === 'immutable') out[k] = v;
    else out[k] = maskValues(v);
  }
  return out;
}

const dataKinds = new Set(['Secret', 'ConfigMap']);

/** args, command: `--password=x`, `PASSWORD=x`, and the value after a lone `--password`. */
function maskArguments(list: readonly string[]): string[] {
  const out: string[] = [];
  let maskNext = false;
  for (const arg of list) {
    if (maskNext) {
      maskNext = false;
      if (!arg.startsWith('-')) {
        out.push(masked);
        continue;
      }
    }
    const assignment = /^(-{0,2})([A-Za-z_][A-Za-z0-9_.-]*)=/.exec(arg);
    if (assignment && isCredentialName(assignment[2]!)) out.push(`${assignment[0]}${masked}`);
    else if (/^--?[A-Za-z]/.test(arg) && isCredentialName(arg.replace(/^-+/, ''))) {
      out.push(arg);
      maskNext = true;
    } else out.push(maskUrlPasswords(arg));
  }
  return out;
}

/** A Kubernetes reference to a Secret (a volume's `secret: {secretName}`, a projection's `secret: {name, items}`): names, not values. */
const referenceKeys = new Set(['name', 'secretName', 'items', 'optional', 'defaultMode']);
function isSecretReference(value: unknown): boolean {
  return isObject(value) && ('secretName' in value || 'name' in value) && Object.keys(value).every((k) => referenceKeys.has(k));
}

function maskDeep(value: unknown, key: string | undefined): unknown {
  if (key !== undefined && isCredentialName(key) && !isSecretReference(value)) return maskAll(value);
  if (typeof value === 'string') return maskUrlPasswords(value);
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'string')) return maskArguments(value as string[]);
    return value.map((v) => maskDeep(v, undefined));
  }
  if (!isObject(value)) return value;
  if (typeof value.kind === 'string' && dataKinds.has(value.kind) && (value.apiVersion === 'v1' || value.apiVersion === undefined)) return maskDataObject(value);
  const out: Record<string, unknown> = {};
  // An environment variable: {name, value}. Its value is masked when its name is a credential's.
  const envVar = typeof value.name === 'string' && 'value' in value && isCredentialName(value.name);
  for (const [k, v] of Object.entries(value)) {
    if (k === lastApplied) out[k] = masked;
    else if (envVar && k === 'value') out[k] = maskAll(v);
    else out[k] = maskDeep(v, k);
  }
  return out;
}

/**
 * A copy of an object fit for a log line. `kind` is the request's kind: a Secret or ConfigMap is masked
 * as one even when the object itself does not say so.
 */
export function maskObject(object: unknown, kind?: string): unknown {
  if (kind !== undefined && dataKinds.has(kind) && isObject(object)) return maskDataObject(object);
  return maskDeep(object, undefined);
}
