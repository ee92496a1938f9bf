import { createPrivateKey, X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { describeThrown, WasmgateError } from '../errors.js';

export type TlsVersion = 'TLSv1.2' | 'TLSv1.3';

export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  /** When set, clients must present a certificate signed by one of these CAs. */
  readonly clientCaFile?: string;
  /** Generated at start for a local run. */
  readonly selfSigned: boolean;
}

/** Certificate, key and client CAs read from their files and checked to work together. */
export interface TlsMaterial {
  readonly context: SecureContextOptions;
  readonly subject: string;
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the serving certificate. */
  readonly fingerprint: string;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new WasmgateError('CONFIG_INVALID', `cannot read the TLS ${what} ${path}: ${describeThrown(err)}`);
  }
}

/**
 * Reads the certificate (chain), key and client CAs and checks them: the certificate must parse, the
 * key must be its key, and Node must accept the whole as a TLS context. Throws CONFIG_INVALID naming the
 * file otherwise; a half-written pair during a rotation fails here and the old one stays in use.
 */
export function readTlsMaterial(files: TlsFiles, minVersion: TlsVersion): TlsMaterial {
  const cert = read(files.certFile, 'certificate');
  const key = read(files.keyFile, 'key');
  const ca = files.clientCaFile === undefined ? undefined : read(files.clientCaFile, 'client CA bundle');
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new WasmgateError('CONFIG_INVALID', `the TLS certificate ${files.certFile} is not a PEM certificate: ${describeThrown(err)}`);
  }
  try {
    if (!leaf.checkPrivateKey(createPrivateKey(key))) {
      throw new Error(`it is not the key of the certificate ${files.certFile}`);
    }
  } catch (err) {
    throw new WasmgateError('CONFIG_INVALID', `the TLS key ${files.keyFile} cannot be used: ${describeThrown(err)}`);
  }
  const context: SecureContextOptions = { cert, key, minVersion, ...(ca ? { ca } : {}) };
  try {
    createSecureContext(context);
  } catch (err) {
    throw new WasmgateError('CONFIG_INVALID', `TLS setup from ${files.certFile}, ${files.keyFile}${files.clientCaFile ? `, ${files.clientCaFile}` : ''} failed: ${describeThrown(err)}`);
  }
  return { context, subject: leaf.subject, notAfter: new Date(leaf.validTo), fingerprint: leaf.fingerprint256 };
}

/**
 * Generates a self-signed certificate for localhost (and this host's name) with its key, for a local
 * run without certificates, and writes them as tls.crt and tls.key (readable by the owner only).
 */
export async function generateSelfSigned(dir?: string): Promise<TlsFiles> {
  const target = dir ?? mkdtempSync(join(tmpdir(), 'wasmgate-tls-'));
  mkdirSync(target, { recursive: true, mode: 0o700 });
  // Loaded only here: its X.509 library costs ~14 MiB of every server's memory, and most have certificates.
  const { generate } = await import('selfsigned');
  const now = new Date();
  const pems = await generate([{ name: 'commonName', value: 'wasmgate (self-signed, local use)' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - 60_000),
    notAfterDate: new Date(now.getTime() + 30 * 24 * 3600 * 1000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 2, value: hostname() },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  });
  const certFile = join(target, 'tls.crt');
  const keyFile = join(target, 'tls.key');
  writeFileSync(certFile, pems.cert);
  writeFileSync(keyFile, pems.private, { mode: 0o600 });
  chmodSync(keyFile, 0o600);
  return { certFile, keyFile, selfSigned: true };
}
