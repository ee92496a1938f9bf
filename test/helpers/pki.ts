// Certificates for tests: a CA, and leaf certificates it signs, for serving on 127.0.0.1 or for a client.
import { generate } from 'selfsigned';

export interface Pems {
  readonly cert: string;
  readonly private: string;
}

export function createCa(commonName: string): Promise<Pems> {
  return generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
}

/**
 * A leaf certificate signed by the CA: for serving on 127.0.0.1 (and localhost), or for a client. A
 * client's `groups` become its organizations, which kube-apiserver reads as the user's groups.
 */
export function leafCert(ca: Pems, commonName: string, use: 'server' | 'client', groups: readonly string[] = []): Promise<Pems> {
  return generate([{ name: 'commonName', value: commonName }, ...groups.map((group) => ({ name: 'organizationName', value: group }))], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true },
      use === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
      ...(use === 'server'
        ? [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }, { type: 2 as const, value: 'localhost' }] }]
        : []),
    ],
  });
}
