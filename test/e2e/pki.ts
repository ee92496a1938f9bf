// The suite's PKI, made at test time: one CA (test/helpers/pki.ts) that signs the API server's and
// wasmgate's serving certificates and the users' client certificates (the API server maps CN to user,
// O to groups); the files kube-apiserver reads.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leafCert, type Pems } from '../helpers/pki.js';

export { createCa, type Pems } from '../helpers/pki.js';

/** A serving certificate for 127.0.0.1 and localhost, signed by the CA. */
export const servingCert = (ca: Pems, commonName: string) => leafCert(ca, commonName, 'server');

/** A client certificate: the user `user` in `groups`. */
export const clientCert = (ca: Pems, user: string, groups: readonly string[]) => leafCert(ca, user, 'client', groups);

export interface PemFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

export function writePems(dir: string, name: string, pems: Pems): PemFiles {
  const files = { certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  writeFileSync(files.certFile, pems.cert);
  writeFileSync(files.keyFile, pems.private, { mode: 0o600 });
  return files;
}

/** The key pair the API server signs service account tokens with (private) and verifies them by (public). */
export function writeServiceAccountKeys(dir: string): { privateKeyFile: string; publicKeyFile: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const files = { privateKeyFile: join(dir, 'service-account.key'), publicKeyFile: join(dir, 'service-account.pub') };
  writeFileSync(files.privateKeyFile, privateKey.export({ type: 'sec1', format: 'pem' }), { mode: 0o600 });
  writeFileSync(files.publicKeyFile, publicKey.export({ type: 'spki', format: 'pem' }));
  return files;
}
