import { EventEmitter } from 'node:events';
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Express } from 'express';
import { usableCpus } from '../config/cpus.js';
import type { ServeConfig } from '../config/index.js';
import { describeThrown, WasmgateError } from '../errors.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { WebhookMetrics } from '../observability/metrics.js';
import { createApp } from './app.js';
import { capConnections } from './connections.js';
import { admissionAnswerer, mutationAnswerer, type AppContext, type ReviewAnswerer } from './handlers.js';
import { reviewFastPath } from './review-fast-path.js';
import { PolicyHolder, type ReloadResult } from './policy.js';
import { generateSelfSigned, readTlsMaterial, type TlsFiles, type TlsMaterial } from './tls.js';
import { watchFiles, type FileWatch } from './watch.js';

export interface BuildOptions {
  readonly logger?: Logger;
  readonly metrics?: WebhookMetrics;
}

export interface CertificateReload {
  readonly ok: boolean;
  readonly trigger: string;
  readonly fingerprint: string;
  readonly error?: string;
}

export interface WebhookServerEvents {
  /** A policy reload finished (ok or not). */
  policyReload: [ReloadResult];
  /** A certificate reload finished (ok or not). */
  certificateReload: [CertificateReload];
}

/** Files whose change reloads the policy: policy.wasm and data.json of a bundle directory, or the .tar.gz. */
function policyFiles(bundle: string, dataFile: string | undefined): string[] {
  const files = statSync(bundle).isDirectory() ? [join(bundle, 'policy.wasm'), join(bundle, 'data.json')] : [bundle];
  return dataFile === undefined ? files : [...files, dataFile];
}

/**
 * The admission webhook, built and checked but not yet listening. `build` does everything that can
 * fail — configuration, policy load and self-check, TLS material, file watches — so a server that
 * builds will serve; `listen` only binds the port; `shutdown` drains.
 */
export class WebhookServer extends EventEmitter<WebhookServerEvents> {
  readonly app: Express;
  readonly https: Server;
  private readonly state = { draining: false };
  private watches: FileWatch[] = [];
  private shuttingDown?: Promise<void>;
  private markStopped!: () => void;
  /** Settles once a shutdown has finished. */
  readonly stopped = new Promise<void>((resolve) => (this.markStopped = resolve));

  private constructor(
    readonly config: ServeConfig,
    readonly logger: Logger,
    readonly metrics: WebhookMetrics,
    readonly policy: PolicyHolder,
    readonly tlsFiles: TlsFiles,
    private tlsMaterial: TlsMaterial,
  ) {
    super();
    const ctx: AppContext = { config, policy, metrics, logger, state: this.state, clientCertificates: tlsFiles.clientCaFile !== undefined };
    const answerers = new Map<string, ReviewAnswerer>([
      [config.path, admissionAnswerer(ctx)],
      [config.mutatePath, mutationAnswerer(ctx)],
    ]);
    this.app = createApp(ctx, answerers);
    this.https = createServer(
      {
        ...tlsMaterial.context,
        // Client certificates are asked for, but checked per route (review routes only): the kubelet's
        // probes of /healthz and /readyz come without one.
        requestCert: tlsFiles.clientCaFile !== undefined,
        rejectUnauthorized: false,
        // A client must finish its TLS handshake, then its headers, then its body, each in bounded time.
        handshakeTimeout: config.headersTimeout,
        headersTimeout: config.headersTimeout,
        requestTimeout: config.requestTimeout,
        keepAliveTimeout: config.keepAliveTimeout,
        // How often Node checks the two timeouts above (default 30 s would let them overrun by that much).
        connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(config.headersTimeout / 4))),
      },
      reviewFastPath(ctx, answerers, this.app),
    );
    capConnections(this.https, config.maxConnections, logger, metrics);
    // After listen, a server error (EMFILE, …) is logged rather than left unhandled, which would crash.
    this.https.on('error', (err) => logger.error({ reason: err.message }, 'server error'));
    this.https.on('tlsClientError', (err, socket) => {
      logger.debug({ remote: socket.remoteAddress, reason: err.message }, 'TLS handshake failed');
    });
    metrics.policyServed(policy.current.revision, policy.current.source);
    metrics.certificateExpiry.set(tlsMaterial.notAfter.getTime() / 1000);
  }

  static async build(config: ServeConfig, options: BuildOptions = {}): Promise<WebhookServer> {
    const logger = options.logger ?? createLogger({ level: config.log.level });
    const metrics = options.metrics ?? new WebhookMetrics();
    let tlsFiles: TlsFiles;
    if (config.tls.certFile !== undefined && config.tls.keyFile !== undefined) {
      tlsFiles = { certFile: config.tls.certFile, keyFile: config.tls.keyFile, clientCaFile: config.tls.clientCaFile, selfSigned: false };
    } else {
      tlsFiles = { ...(await generateSelfSigned(config.tls.selfSignedDir)), clientCaFile: config.tls.clientCaFile };
      logger.warn(
        { certFile: tlsFiles.certFile, keyFile: tlsFiles.keyFile },
        `no TLS certificate configured: generated a self-signed one for local use at ${tlsFiles.certFile} (key ${tlsFiles.keyFile})`,
      );
    }
    const tlsMaterial = readTlsMaterial(tlsFiles, config.tls.minVersion);

    const policy = await PolicyHolder.load({
      bundle: config.bundle,
      dataFile: config.dataFile,
      gatekeeper: config.gatekeeper,
      gatekeeperOnly: config.gatekeeperOnly,
      workers: config.workers,
      cores: usableCpus(),
      spinMicros: config.spinMicros,
      timeoutMs: config.evalTimeout,
      memoryLimitBytes: config.memoryLimit,
      print: (line) => logger.info({ print: line }, 'policy print'),
    });
    const server = new WebhookServer(config, logger, metrics, policy, tlsFiles, tlsMaterial);
    logger.info(
      { revision: policy.current.revision, source: policy.current.source, workers: policy.current.engine.workers, dataFile: config.dataFile },
      'policy loaded and self-checked',
    );
    try {
      if (config.watch) await server.startWatching();
    } catch (err) {
      await server.close();
      throw err;
    }
    return server;
  }

  private async startWatching(): Promise<void> {
    // The Gatekeeper modules (~15 MiB) are loaded only when templates are configured.
    const templates = this.config.gatekeeper === undefined ? [] : (await import('../gatekeeper/source.js')).gatekeeperFiles(this.config.gatekeeper);
    const onError = (err: Error) => this.logger.warn({ reason: err.message }, 'file watch error');
    this.watches.push(
      await watchFiles([...policyFiles(this.config.bundle, this.config.dataFile), ...templates], this.config.watchDebounce, (paths) => void this.reloadPolicy(`change of ${paths.join(', ')}`), onError),
    );
    if (!this.tlsFiles.selfSigned || this.tlsFiles.clientCaFile !== undefined) {
      const files = [this.tlsFiles.certFile, this.tlsFiles.keyFile, ...(this.tlsFiles.clientCaFile ? [this.tlsFiles.clientCaFile] : [])];
      this.watches.push(
        await watchFiles(files, this.config.watchDebounce, (paths) => this.reloadCertificate(`change of ${paths.join(', ')}`), onError),
      );
    }
  }

  /** Loads the policy anew into fresh workers; on any failure the current one keeps serving. */
  async reloadPolicy(trigger: string): Promise<ReloadResult> {
    const result = await this.policy.reload(trigger);
    this.metrics.reloaded('policy', result.ok);
    if (result.ok) {
      this.metrics.policyServed(result.revision, this.policy.current.source);
      this.logger.info({ trigger, revision: result.revision, previousRevision: result.previousRevision }, 'policy reloaded');
    } else {
      this.logger.error({ trigger, revision: result.revision, reason: result.error }, 'policy reload rejected: the previous policy keeps serving');
    }
    this.emit('policyReload', result);
    return result;
  }

  /**
   * Reads the certificate files anew and, if they make a working pair, serves new handshakes with them.
   * Connections already open keep theirs; nothing is dropped.
   */
  reloadCertificate(trigger: string): CertificateReload {
    let result: CertificateReload;
    try {
      const material = readTlsMaterial(this.tlsFiles, this.config.tls.minVersion);
      this.https.setSecureContext(material.context);
      this.tlsMaterial = material;
      this.metrics.certificateExpiry.set(material.notAfter.getTime() / 1000);
      result = { ok: true, trigger, fingerprint: material.fingerprint };
      this.logger.info({ trigger, subject: material.subject, notAfter: material.notAfter.toISOString(), fingerprint: material.fingerprint }, 'certificate reloaded');
    } catch (err) {
      result = { ok: false, trigger, fingerprint: this.tlsMaterial.fingerprint, error: describeThrown(err) };
      this.logger.error({ trigger, reason: result.error }, 'certificate reload rejected: the previous certificate stays in use');
    }
    this.metrics.reloaded('certificate', result.ok);
    this.emit('certificateReload', result);
    return result;
  }

  get certificate(): TlsMaterial {
    return this.tlsMaterial;
  }

  get draining(): boolean {
    return this.state.draining;
  }

  /** Binds the port. Fails with a clear message when it is taken. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => {
        reject(
          err.code === 'EADDRINUSE' || err.code === 'EACCES' || err.code === 'EADDRNOTAVAIL'
            ? new WasmgateError('CONFIG_INVALID', `cannot listen on ${this.config.host ?? '*'}:${this.config.port}: ${err.message}`)
            : err,
        );
      };
      this.https.once('error', onError);
      this.https.listen({ port: this.config.port, ...(this.config.host ? { host: this.config.host } : {}) }, () => {
        this.https.off('error', onError);
        const address = this.https.address() as AddressInfo;
        const wildcard = address.address === '::' || address.address === '0.0.0.0';
        const host = wildcard ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
        const url = `https://${host}:${address.port}${this.config.path}`;
        this.logger.info(
          { address: address.address, port: address.port, path: this.config.path, url, mutateUrl: `https://${host}:${address.port}${this.config.mutatePath}` },
          this.tlsFiles.selfSigned
            ? `listening on ${url} (self-signed: try curl --cacert ${this.tlsFiles.certFile} https://${host}:${address.port}/readyz)`
            : `listening on ${url}`,
        );
        resolve(address);
      });
    });
  }

  /**
   * Graceful shutdown: /readyz fails at once, and after `shutdownDelay` the listener closes (idle
   * keep-alive connections too); requests in flight finish, each answer closing its connection; after
   * `shutdownTimeout` the connections left are cut. Then the policy engine stops. Safe to call twice.
   */
  shutdown(): Promise<void> {
    this.shuttingDown ??= this.drain().finally(() => this.markStopped());
    return this.shuttingDown;
  }

  private async drain(): Promise<void> {
    this.state.draining = true;
    const inFlight = async () => (await this.metrics.inFlight.get()).values[0]?.value ?? 0;
    this.logger.info({ inFlight: await inFlight(), delayMs: this.config.shutdownDelay }, 'shutting down: readiness now fails');
    if (this.config.shutdownDelay > 0) await new Promise((r) => setTimeout(r, this.config.shutdownDelay));
    await Promise.all(this.watches.map((w) => w.close()));
    this.watches = [];
    const closed = new Promise<void>((resolve) => {
      if (!this.https.listening) resolve();
      else this.https.close(() => resolve());
    });
    this.logger.info({ inFlight: await inFlight(), timeoutMs: this.config.shutdownTimeout }, 'stopped accepting connections; finishing requests in flight');
    const deadline = setTimeout(() => {
      this.logger.warn({ timeoutMs: this.config.shutdownTimeout }, 'shutdown timeout: closing the connections left');
      this.https.closeAllConnections();
    }, this.config.shutdownTimeout);
    await closed;
    clearTimeout(deadline);
    await this.policy.close();
    this.logger.info('shutdown complete');
  }

  /** Releases what `build` acquired without ever listening (for a failed start, and tests of the app). */
  private async close(): Promise<void> {
    await Promise.all(this.watches.map((w) => w.close()));
    await this.policy.close();
  }
}
