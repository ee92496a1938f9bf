// TLS: certificate rotation under load the way the kubelet does it, a half-rotated pair, client certificates.
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { generate } from 'selfsigned';
import { generateSelfSigned, type TlsFiles } from '../../dist/server/tls.js';
import type { CertificateReload } from '../../dist/server/server.js';
import { createCa, leafCert, type Pems } from '../helpers/pki.js';
import { admit, buildEcho, call, keepAliveAgent, nextEvent, recorded, review, sample, startServer } from './helpers.js';

const bundle = await buildEcho();
const tmp = () => mkdtempSync(join(tmpdir(), 'wasmgate-tls-test-'));
const fingerprintOf = (files: TlsFiles) => new X509Certificate(readFileSync(files.certFile)).fingerprint256;

/** A serving certificate signed by the CA, written to files. */
async function serverCert(ca: Pems, name: string): Promise<TlsFiles> {
  const pems = await leafCert(ca, `webhook ${name}`, 'server');
  const dir = tmp();
  writeFileSync(join(dir, 'tls.crt'), pems.cert);
  writeFileSync(join(dir, 'tls.key'), pems.private);
  return { certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key'), selfSigned: false };
}

/**
 * A directory laid out as the kubelet mounts a Secret: tls.crt -> ..data/tls.crt, ..data -> ..v1; an
 * update writes ..v2 and swaps the ..data symlink in one rename.
 */
function secretMount() {
  const dir = tmp();
  let version = 0;
  const project = (cert: string, key: string) => {
    const target = `..v${++version}`;
    mkdirSync(join(dir, target));
    copyFileSync(cert, join(dir, target, 'tls.crt'));
    copyFileSync(key, join(dir, target, 'tls.key'));
    symlinkSync(target, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  return {
    dir,
    project,
    init(cert: string, key: string) {
      project(cert, key);
      symlinkSync('..data/tls.crt', join(dir, 'tls.crt'));
      symlinkSync('..data/tls.key', join(dir, 'tls.key'));
    },
  };
}

t.test('certificate rotation mid-load: new handshakes get the new certificate, no connection is dropped', async (t) => {
  // As cert-manager rotates: one CA, a new leaf certificate and key.
  const ca = await createCa('webhook CA');
  const a = await serverCert(ca, 'first');
  const b = await serverCert(ca, 'second');
  const mount = secretMount();
  mount.init(a.certFile, a.keyFile);
  const s = await startServer({
    bundle,
    tlsCertFile: join(mount.dir, 'tls.crt'),
    tlsKeyFile: join(mount.dir, 'tls.key'),
    watch: true,
    watchDebounce: '50ms',
  });
  t.teardown(s.stop);
  const trust = Buffer.from(ca.cert);
  const agent = keepAliveAgent(trust);
  t.teardown(() => agent.destroy());

  const failures: string[] = [];
  const seen: { fingerprint: string; reused: boolean; after: boolean }[] = [];
  let rotated = false;
  let stop = false;
  const deadline = Date.now() + 60_000;
  const client = async (id: number) => {
    for (let i = 0; !stop && i < 5000 && Date.now() < deadline; i++) {
      const uid = `c${id}-${i}`;
      try {
        const reply = await admit(s.port, trust, review(uid), { agent });
        if (reply.json?.response?.uid !== uid) failures.push(`${uid}: ${reply.status}`);
        seen.push({ fingerprint: reply.fingerprint, reused: reply.reused, after: rotated });
      } catch (err) {
        failures.push(`${uid}: ${(err as Error).message}`);
      }
    }
  };
  const load = Promise.all([0, 1, 2].map(client));
  t.teardown(async () => {
    stop = true;
    await load;
  });
  // Let the load open its keep-alive connections on the first certificate.
  while (seen.length < 20 && Date.now() < deadline) await admit(s.port, trust, review('warmup'), { agent });

  const reloaded = nextEvent<CertificateReload>(s.server, 'certificateReload', (r) => r.fingerprint === fingerprintOf(b));
  mount.project(b.certFile, b.keyFile);
  const result = await reloaded;
  rotated = true;
  t.equal(result.ok, true, `rotation accepted (${result.error ?? ''})`);
  t.equal(result.fingerprint, fingerprintOf(b));
  t.match(result.trigger, /^change of .*tls\.(crt|key)/, 'seen as a change of the mounted files (their symlinks now reach a new ..data)');

  const fresh = await admit(s.port, trust, review('fresh'));
  t.equal(fresh.fingerprint, fingerprintOf(b), 'a new connection gets the new certificate');

  // Keep the load going a little on the connections opened before the rotation.
  const target = seen.length + 50;
  while (seen.length < target && Date.now() < deadline) await admit(s.port, trust, review('probe'), { agent });
  stop = true;
  await load;
  t.same(failures, [], `no request failed (${seen.length} answered)`);
  t.ok(seen.some((r) => !r.after && r.fingerprint === fingerprintOf(a)), 'before: the first certificate');
  t.ok(
    seen.some((r) => r.after && r.reused && r.fingerprint === fingerprintOf(a)),
    'after: connections opened before the rotation keep working (not dropped)',
  );

  // A half-rotated pair (new certificate, old key) is refused; the current one stays.
  const half = nextEvent<CertificateReload>(s.server, 'certificateReload', (r) => !r.ok);
  mount.project(a.certFile, b.keyFile);
  const refused = await half;
  t.equal(refused.ok, false);
  t.match(refused.error, /is not the key of the certificate/);
  t.equal(refused.fingerprint, fingerprintOf(b), 'still serving the last good certificate');
  t.equal((await admit(s.port, trust, review('after-half'))).fingerprint, fingerprintOf(b));
  const metrics = (await call(s.port, '/metrics', { ca: trust })).text;
  t.equal(sample(metrics, 'wasmgate_reload_failing', { target: 'certificate' }), 1);
  t.ok(sample(metrics, 'wasmgate_reloads_total', { target: 'certificate', result: 'success' })! >= 1);
  t.ok(s.logs.some((l) => l.msg === 'certificate reload rejected: the previous certificate stays in use'));
});

t.test('client certificates are verified for reviews when a client CA is configured; probes need none', async (t) => {
  const caPems = await createCa('test client CA');
  const clientPems = await leafCert(caPems, 'kube-apiserver', 'client');
  const strangerPems = await generate([{ name: 'commonName', value: 'stranger' }], { keyType: 'ec', algorithm: 'sha256' });
  const dir = tmp();
  writeFileSync(join(dir, 'client-ca.crt'), caPems.cert);
  const s = await startServer({ bundle, tlsClientCaFile: join(dir, 'client-ca.crt') });
  t.teardown(s.stop);

  const ok = await admit(s.port, s.ca, review('with-cert'), { cert: clientPems.cert, key: clientPems.private });
  t.equal(ok.json.response.allowed, true, 'a client certificate signed by the CA is accepted');
  const none = await admit(s.port, s.ca, review('no-cert'));
  t.equal(none.status, 401, 'no client certificate: refused');
  t.match(none.json, { status: 401, message: /no client certificate was presented/ });
  const stranger = await admit(s.port, s.ca, review('stranger'), { cert: strangerPems.cert, key: strangerPems.private });
  t.equal(stranger.status, 401, 'a certificate from another CA: refused');
  t.match(stranger.json.message, /not signed by the configured client CA/);
  await recorded();
  t.notOk(s.logs.some((l) => l.uid === 'no-cert' || l.uid === 'stranger'), 'neither reached the policy');
  // The kubelet probes without a client certificate.
  t.equal((await call(s.port, '/healthz', { ca: s.ca })).status, 200, '/healthz needs no client certificate');
  t.equal((await call(s.port, '/readyz', { ca: s.ca })).status, 200, '/readyz needs no client certificate');
  t.equal((await admit(s.port, s.ca, review('again'), { cert: clientPems.cert, key: clientPems.private })).status, 200, 'still serving');
  t.equal(sample((await call(s.port, '/metrics', { ca: s.ca })).text, 'wasmgate_bad_requests_total', { status: '401' }), 2, 'the refusals are counted');
});

t.test('a certificate and key that do not match fail the start, naming the files', async (t) => {
  const a = await generateSelfSigned(tmp());
  const b = await generateSelfSigned(tmp());
  await t.rejects(startServer({ bundle, tlsCertFile: a.certFile, tlsKeyFile: b.keyFile }), {
    code: 'CONFIG_INVALID',
    message: new RegExp(`TLS key ${b.keyFile} cannot be used: it is not the key of the certificate ${a.certFile}`),
  });
});
