import { defaultBundleDir } from '../engine/bundle.js';
import { boolean, bytes, duration, integer, oneOf, string, type Parser } from './values.js';
import { defaultWorkers } from './cpus.js';

export const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const tlsVersions = ['TLSv1.2', 'TLSv1.3'] as const;

/**
 * One setting of `wasmgate serve`. Its flag and environment variable are derived from the key:
 * `tls.certFile` is `--tls-cert-file`, `WASMGATE_TLS_CERT_FILE`, and `tls: {certFile: …}` in the file.
 */
export interface OptionSpec<T = unknown> {
  readonly key: string;
  readonly parse: Parser<T>;
  /** Undefined: the setting is optional and unset by default. */
  readonly default?: T;
  readonly description: string;
  /** Shown in --help instead of the default value itself. */
  readonly defaultText?: string;
  /** The value must name an existing file (or, with 'any', a file or a directory). */
  readonly mustExist?: 'file' | 'any';
}

function option<T>(spec: OptionSpec<T>): OptionSpec<T> {
  return spec;
}

const path = string();
const minute = 60_000;

export const optionSpecs = [
  option({ key: 'port', parse: integer(0, 65535), default: 8443, description: 'HTTPS port (0 picks a free one)' }),
  option({ key: 'host', parse: string(), description: 'address to listen on', defaultText: 'all interfaces' }),
  option({
    key: 'path',
    parse: string({ pattern: /^\/[A-Za-z0-9._~\-/]*$/, hint: 'an absolute URL path such as /validate' }),
    default: '/validate',
    description: 'URL path of the validating AdmissionReview endpoint',
  }),
  option({
    key: 'mutatePath',
    parse: string({ pattern: /^\/[A-Za-z0-9._~\-/]*$/, hint: 'an absolute URL path such as /mutate' }),
    default: '/mutate',
    description: 'URL path of the mutating AdmissionReview endpoint (the PodSecurityPolicy defaulting)',
  }),
  option({
    key: 'bundle',
    parse: path,
    default: defaultBundleDir,
    defaultText: 'wasm/ (what npm run build writes)',
    description: 'compiled policy: a directory with policy.wasm and data.json, or an OPA bundle .tar.gz',
    mustExist: 'any',
  }),
  option({ key: 'dataFile', parse: path, description: 'YAML or JSON data document replacing the bundle\'s data', mustExist: 'file' }),
  option({ key: 'gatekeeper', parse: path, description: 'directory of Gatekeeper ConstraintTemplates and Constraints, decided beside the bundle', mustExist: 'any' }),
  option({ key: 'gatekeeperOnly', parse: boolean, default: false, description: 'decide with the gatekeeper templates alone, without the bundle' }),
  option({
    key: 'workers',
    parse: integer(0, 256),
    default: defaultWorkers(),
    defaultText: 'one per CPU the process may use (cores, lowered by its cgroup CPU quota); 0 when that is one',
    description: "policy worker threads; 0: evaluate in the server's own thread, stopped at the same deadlines by a watchdog thread (with Gatekeeper templates, one worker)",
  }),
  option({
    key: 'spinMicros',
    parse: integer(0, 100_000),
    default: 300,
    description:
      'µs a policy worker that has answered polls for its next review, and the server for the answer to a review evaluated alone, instead of sleeping until woken; only while a core is free for it (0: never)',
  }),
  option({ key: 'evalTimeout', parse: duration(1, 10 * minute), default: 2000, defaultText: '2s', description: 'deadline of one policy evaluation' }),
  option({
    key: 'reviewTimeout',
    parse: duration(1, 10 * minute),
    default: 10_000,
    defaultText: '10s',
    description: 'longest time from a review\'s arrival to its answer; the API server\'s ?timeout= (its timeoutSeconds) lowers it',
  }),
  option({ key: 'memoryLimit', parse: bytes(1024 * 1024, 4 * 1024 ** 3), default: 256 * 1024 ** 2, defaultText: '256MiB', description: 'memory ceiling of one policy instance' }),
  option({ key: 'failOpen', parse: boolean, default: false, defaultText: 'false: deny them', description: 'allow requests whose evaluation failed or timed out' }),
  option({ key: 'bodyLimit', parse: bytes(1024, 1024 ** 3), default: 8 * 1024 ** 2, defaultText: '8MiB', description: 'largest AdmissionReview body accepted' }),
  option({ key: 'tls.certFile', parse: path, description: 'PEM certificate (chain); without it a self-signed pair is generated', mustExist: 'file' }),
  option({ key: 'tls.keyFile', parse: path, description: 'PEM private key of the certificate', mustExist: 'file' }),
  option({ key: 'tls.clientCaFile', parse: path, description: 'PEM CA bundle: when set, clients must present a certificate it signed', mustExist: 'file' }),
  option({ key: 'tls.minVersion', parse: oneOf(tlsVersions), default: 'TLSv1.2', description: 'lowest TLS version accepted' }),
  option({ key: 'tls.selfSignedDir', parse: path, description: 'where to write a generated self-signed pair', defaultText: 'a new temporary directory' }),
  option({
    key: 'maxConnections',
    parse: integer(0, 1_000_000),
    default: 1024,
    description: 'open connections the server holds at most; a new one past them is closed as it is accepted (0: no limit)',
  }),
  option({ key: 'keepAliveTimeout', parse: duration(1, 60 * minute), default: 120_000, defaultText: '120s', description: 'idle keep-alive time (keep it above the API server\'s 90 s)' }),
  option({ key: 'headersTimeout', parse: duration(1, 10 * minute), default: 10_000, defaultText: '10s', description: 'time a client has to send the request headers' }),
  option({ key: 'requestTimeout', parse: duration(1, 60 * minute), default: 30_000, defaultText: '30s', description: 'time a client has to send the whole request' }),
  option({
    key: 'shutdownDelay',
    parse: duration(0, 10 * minute),
    // Long enough for the endpoint removal to reach the API servers, which until then keep sending reviews
    // on their keep-alive connections: a listener closed at once would reset those.
    default: 5000,
    defaultText: '5s',
    description: 'on SIGTERM, keep serving this long with /readyz failing before closing the listener',
  }),
  option({ key: 'shutdownTimeout', parse: duration(0, 60 * minute), default: 25_000, defaultText: '25s', description: 'on SIGTERM, longest wait for requests in flight' }),
  option({ key: 'watch', parse: boolean, default: true, defaultText: 'true; --no-watch turns it off', description: 'reload the policy, its data and the certificate when their files change' }),
  option({ key: 'watchDebounce', parse: duration(0, minute), default: 250, defaultText: '250ms', description: 'quiet time after a file change before reloading' }),
  option({ key: 'log.level', parse: oneOf(logLevels), default: 'info', description: 'log level' }),
  option({
    key: 'log.objects',
    parse: boolean,
    default: false,
    description: 'add the reviewed object to decision logs (Secret data and sensitive values masked)',
  }),
] as const satisfies readonly OptionSpec[];

/** `tls.certFile` → `tls-cert-file`. */
export function flagName(key: string): string {
  return key.replace(/\./g, '-').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `tls.certFile` → `WASMGATE_TLS_CERT_FILE`. */
export function envName(key: string): string {
  return `WASMGATE_${flagName(key).replace(/-/g, '_').toUpperCase()}`;
}

/** `tls.certFile` → `tlsCertFile`, the attribute commander stores `--tls-cert-file` under. */
export function attributeName(key: string): string {
  return flagName(key).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export const configFileEnv = 'WASMGATE_CONFIG';
