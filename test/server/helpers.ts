import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { TLSSocket } from 'node:tls';
import type { Test } from 'tap';
import { loadServeConfig, type ServeConfig } from '../../dist/config/index.js';
import { createLogger } from '../../dist/observability/logger.js';
import { WebhookServer } from '../../dist/server/server.js';
import { compilePolicies, repoRoot } from '../helpers/policies.js';

export const echoPolicy = join(repoRoot, 'test', 'server', 'policies', 'echo');

/** Compiles the echo policy (whose decisions the request dictates) into a fresh directory. */
export function buildEcho(): Promise<string> {
  return compilePolicies(echoPolicy);
}

export type Flags = Record<string, string | boolean>;

/**
 * A config as `wasmgate serve` would build it from these flags, on 127.0.0.1, a free port, one worker, no
 * watching, and no shutdown delay (nothing routes to a test server; sigterm.test.ts covers the default).
 */
export function testConfig(flags: Flags): ServeConfig {
  return loadServeConfig({
    flags: { host: '127.0.0.1', port: '0', workers: '1', watch: false, logLevel: 'debug', shutdownDelay: '0s', ...flags },
    env: {},
  }).config;
}

export interface Running {
  readonly server: WebhookServer;
  readonly port: number;
  /** Parsed JSON log lines, in order. */
  readonly logs: Record<string, unknown>[];
  /** The CA a client must trust: the serving certificate (self-signed) unless told otherwise. */
  readonly ca: Buffer;
  readonly stop: () => Promise<void>;
}

/** Builds and starts a webhook with its log captured; `stop` drains it. */
export async function startServer(flags: Flags): Promise<Running> {
  const logs: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
  });
  const server = await WebhookServer.build(testConfig(flags), { logger });
  const { port } = await server.listen();
  return { server, port, logs, ca: readFileSync(server.tlsFiles.certFile), stop: () => server.shutdown() };
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  readonly json: any;
  /** SHA-256 fingerprint of the certificate the server presented on this connection. */
  readonly fingerprint: string;
  /** Whether the request went over a connection opened for an earlier one. */
  readonly reused: boolean;
}

export interface Call extends Omit<RequestOptions, 'port' | 'ca'> {
  readonly body?: string | Buffer;
  readonly ca: Buffer | Buffer[];
}

/** One HTTPS request to 127.0.0.1:port; resolves with the whole answer. */
export function call(port: number, path: string, options: Call): Promise<Reply> {
  const { body, ...rest } = options;
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body === undefined ? 'GET' : 'POST', agent: false, ...rest }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json, fingerprint, reused: req.reusedSocket });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** POSTs an AdmissionReview as JSON to the validating endpoint (or `extra.path`). */
export function admit(port: number, ca: Buffer | Buffer[], review: unknown, extra: Partial<Call> = {}): Promise<Reply> {
  return call(port, extra.path ?? '/validate', {
    ca,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof review === 'string' || Buffer.isBuffer(review) ? review : JSON.stringify(review),
    ...extra,
  });
}

export function keepAliveAgent(ca: Buffer | Buffer[]): Agent {
  return new Agent({ keepAlive: true, ca, maxSockets: 4 });
}

/** An AdmissionReview of a ConfigMap whose spec tells the echo policy what to decide. */
export function review(
  uid: string,
  spec: Record<string, unknown> = {},
  options: { apiVersion?: string; kind?: string; operation?: string; object?: Record<string, unknown> } = {},
) {
  const kind = options.kind ?? 'ConfigMap';
  return {
    apiVersion: options.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid,
      kind: { group: '', version: 'v1', kind },
      resource: { group: '', version: 'v1', resource: `${kind.toLowerCase()}s` },
      name: `obj-${uid}`,
      namespace: 'team-a',
      operation: options.operation ?? 'CREATE',
      userInfo: { username: 'alice@example.com', groups: ['system:authenticated'] },
      object: options.object ?? { apiVersion: 'v1', kind, metadata: { name: `obj-${uid}`, namespace: 'team-a' }, spec },
      dryRun: false,
    },
  };
}

/** Resolves with the next `event` of the server whose payload passes `test`. */
export function nextEvent<T>(server: WebhookServer, event: 'policyReload' | 'certificateReload', test: (value: T) => boolean = () => true): Promise<T> {
  return new Promise((resolve) => {
    const listener = (value: T) => {
      if (!test(value)) return;
      server.off(event, listener as never);
      resolve(value);
    };
    server.on(event, listener as never);
  });
}

/**
 * Resolves once a server in this process has logged and counted what it has answered: it makes the log
 * lines and metrics of a turn's answers in the next turn, which may come after the client has read them.
 */
export function recorded(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The value of one sample in Prometheus text, or undefined. */
export function sample(metrics: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of metrics.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[4]);
  }
  return undefined;
}

/**
 * A real `wasmgate serve` on 127.0.0.1 (no watches) with its standard output read as JSON lines
 * (`lines` parsed, `texts` as written); `logLine` resolves at the first line that passes, and rejects if the server exits first.
 */
export function spawnServe(t: Test, bundle: string, args: string[]) {
  const child = spawn(process.execPath, [join(repoRoot, 'dist', 'cli', 'main.js'), 'serve', '--bundle', bundle, '--host', '127.0.0.1', '--no-watch', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WASMGATE_LOG_LEVEL: 'info' },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const closed = new Promise((resolve) => child.stdout.once('close', resolve));
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));

  const lines: Record<string, any>[] = [];
  const texts: string[] = [];
  const waiters: { test: (l: Record<string, any>) => boolean; resolve: (l: Record<string, any>) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Record<string, any>;
    lines.push(line);
    texts.push(text);
    for (const w of [...waiters]) {
      if (w.test(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const logLine = (test: (l: Record<string, any>) => boolean) =>
    new Promise<Record<string, any>>((resolve, reject) => {
      const found = lines.find(test);
      if (found) return resolve(found);
      waiters.push({ test, resolve });
      void exited.then(() => reject(new Error(`the server exited first:\n${stderr}`)));
    });
  return { child, exited, closed, lines, texts, logLine, stderr: () => stderr };
}

/** spawnServe on a port of its own; resolves once it listens, with the port and its self-signed CA. */
export async function serveProcess(t: Test, bundle: string, args: string[]) {
  const served = spawnServe(t, bundle, ['--port', '0', ...args]);
  const listening = await served.logLine((l) => l.msg?.startsWith('listening'));
  const selfSigned = await served.logLine((l) => typeof l.certFile === 'string');
  return { ...served, port: listening.port as number, ca: readFileSync(selfSigned.certFile) };
}
