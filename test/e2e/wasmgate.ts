// `wasmgate serve` from dist/, as a process of its own on a port the OS picks, serving a certificate
// signed by the suite's CA.
import { request } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import { join } from 'node:path';
import { repoRoot } from '../helpers/policies.js';
import { start, stop, waitFor, type Started } from './processes.js';

export interface Wasmgate {
  readonly process: Started;
  readonly port: number;
  /** The revision /readyz reports now. */
  readonly revision: () => Promise<string>;
  /** Waits until /readyz reports a revision other than `previous` from a successful reload. */
  readonly reloadedFrom: (previous: string) => Promise<string>;
  /** The fingerprint of the certificate a new TLS connection is served. */
  readonly servedFingerprint: () => Promise<string>;
  /**
   * Whether a log line matching `test` appears within 10 s: wasmgate logs a decision right after it
   * answers, so the line may land a moment after kubectl has returned.
   */
  readonly logged: (test: (line: Record<string, unknown>) => boolean) => Promise<boolean>;
  readonly stop: () => Promise<void>;
}

export interface ServeOptions {
  readonly name: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly caCert: string;
  readonly logDir: string;
  readonly bundle?: string;
  readonly dataFile?: string;
  /** Policy worker threads; default 1 (0: the server's own thread evaluates). */
  readonly workers?: string;
  readonly extraArgs?: readonly string[];
}

interface Readyz {
  status: string;
  policy: { revision: string };
  lastReload?: { ok: boolean; revision?: string; error?: string };
}

function readyz(port: number, ca: string): Promise<{ status: number; body: Readyz }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', ca, agent: false, timeout: 5_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Readyz }));
    });
    req.on('timeout', () => req.destroy(new Error('no answer from /readyz within 5 s')));
    req.on('error', reject);
    req.end();
  });
}

function parseLogs(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

export async function startWasmgate(options: ServeOptions): Promise<Wasmgate> {
  const args = [
    join(repoRoot, 'dist', 'cli', 'main.js'),
    'serve',
    '--host', '127.0.0.1',
    '--port', '0',
    '--workers', options.workers ?? '1',
    '--bundle', options.bundle ?? join(repoRoot, 'wasm'),
    '--tls-cert-file', options.certFile,
    '--tls-key-file', options.keyFile,
    ...(options.dataFile ? ['--data-file', options.dataFile] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = start(options.name, process.execPath, args, options.logDir);
  const logs = () => parseLogs(child.log());
  let exited = false;
  void child.exited.then(() => (exited = true));
  const giveUp = () => (exited ? `${options.name} exited: ${child.log().slice(-4000)}` : undefined);
  const port = await waitFor(
    `${options.name} to listen`,
    async () => {
      const line = logs().find((entry) => typeof entry.port === 'number' && String(entry.msg).startsWith('listening on'));
      return line ? (line.port as number) : undefined;
    },
    60_000,
    { giveUp },
  );
  await waitFor(`${options.name} /readyz`, async () => ((await readyz(port, options.caCert)).status === 200 ? true : undefined), 60_000, { giveUp });

  const revision = async () => (await readyz(port, options.caCert)).body.policy.revision;
  return {
    process: child,
    port,
    revision,
    reloadedFrom: (previous) =>
      waitFor(
        `${options.name} to serve a new revision after ${previous}`,
        async () => {
          const { body } = await readyz(port, options.caCert);
          if (body.lastReload && !body.lastReload.ok) throw new Error(`reload rejected: ${body.lastReload.error}`);
          return body.policy.revision !== previous ? body.policy.revision : undefined;
        },
        30_000,
      ),
    servedFingerprint: () =>
      new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, ca: options.caCert, servername: 'localhost' }, () => {
          const cert: PeerCertificate = socket.getPeerCertificate();
          socket.end();
          resolve(cert.fingerprint256);
        });
        socket.on('error', reject);
      }),
    logged: (test) => waitFor('a log line', async () => (logs().some(test) ? true : undefined), 10_000).catch(() => false),
    stop: () => stop(child, 30_000),
  };
}
