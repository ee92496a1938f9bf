// A real control plane on loopback: etcd and kube-apiserver built from scripts/cluster/go.mod, on ports
// the OS picks, with RBAC, a PKI made for this run and one kubeconfig per user. No controller-manager
// and no kubelet: objects are stored, nothing runs.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { resolveClusterBinaries, type ClusterBinaries } from '../../dist/toolchain/cluster.js';
import { clientCert, createCa, servingCert, writePems, writeServiceAccountKeys, type Pems } from './pki.js';
import { freePort, start, stop, waitFor, type Started } from './processes.js';

/** The scripts/e2e.mjs stage builds the binaries and passes their directory; run alone, the suite finds (or builds) them itself. */
function binaries(): ClusterBinaries {
  const dir = process.env.WASMGATE_E2E_BINARIES;
  if (dir) return { dir, kubeApiserver: join(dir, 'kube-apiserver'), kubectl: join(dir, 'kubectl'), etcd: join(dir, 'etcd'), source: 'cache' };
  return resolveClusterBinaries((line) => console.error(line));
}

export interface KubectlResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export type Kubectl = (args: readonly string[], stdin?: string) => Promise<KubectlResult>;

export interface User {
  readonly name: string;
  readonly kubeconfig: string;
  readonly kubectl: Kubectl;
}

export interface Cluster {
  readonly ca: Pems;
  readonly caFile: string;
  readonly server: string;
  readonly admin: User;
  /** A user with no admin group; what it may do is granted by RBAC in the suite. */
  readonly developer: User;
  readonly etcd: Started;
  readonly apiserver: Started;
  /** Every port the control plane listens on. */
  readonly ports: { readonly etcdClient: number; readonly etcdPeer: number; readonly apiserver: number };
  readonly dir: string;
}

/** The longest a single kubectl call may take; kubectl's own request timeout is below it. */
const kubectlTimeoutMs = 60_000;

function kubectlFor(binary: string, kubeconfig: string, home: string): Kubectl {
  return (args, stdin) =>
    new Promise((resolve, reject) => {
      const child = spawn(binary, ['--kubeconfig', kubeconfig, '--request-timeout', '45s', ...args], {
        stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        // Its discovery cache in the run's directory, never the user's ~/.kube.
        env: { ...process.env, HOME: home, KUBECONFIG: kubeconfig },
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), kubectlTimeoutMs);
      child.once('error', reject);
      child.once('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stdout, stderr });
      });
      if (child.stdin) {
        // A kubectl that fails before reading its input closes the pipe: its exit code says what happened.
        child.stdin.on('error', () => {});
        child.stdin.end(stdin);
      }
    });
}

function writeKubeconfig(path: string, server: string, caFile: string, user: string, cert: { certFile: string; keyFile: string }): void {
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'e2e', cluster: { server, 'certificate-authority': caFile } }],
      users: [{ name: user, user: { 'client-certificate': cert.certFile, 'client-key': cert.keyFile } }],
      contexts: [{ name: user, context: { cluster: 'e2e', user } }],
      'current-context': user,
    }),
  );
}

function get(url: string, options: { ca?: string; cert?: string; key?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const send = url.startsWith('https:') ? request : httpRequest;
    const req = send(url, { ...options, agent: false, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Waits for `ready`, but fails at once if the process exits first; either failure shows the end of its log. */
async function readyOrExited(process_: Started, what: string, ready: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  let exited = false;
  void process_.exited.then(() => (exited = true));
  await waitFor(what, async () => ((await ready()) ? true : undefined), timeoutMs, {
    giveUp: () => (exited ? `${process_.name} exited before it was ready` : undefined),
  }).catch((err: Error) => {
    throw new Error(`${err.message}\n${process_.name}'s log:\n${process_.log().slice(-4000)}`);
  });
}

interface Launch {
  readonly process: Started;
  readonly what: string;
  readonly ready: () => Promise<boolean>;
  readonly timeoutMs: number;
}

/**
 * Starts a server on `count` ports the OS just said were free. Another program on this machine may
 * take one of them before the server binds it; then the server is started again on new ports.
 */
async function startOnFreePorts(count: number, launch: (ports: number[]) => Launch): Promise<{ process: Started; ports: number[] }> {
  for (let attempt = 1; ; attempt++) {
    const ports: number[] = [];
    while (ports.length < count) ports.push(await freePort());
    const { process: started, what, ready, timeoutMs } = launch(ports);
    try {
      await readyOrExited(started, what, ready, timeoutMs);
      return { process: started, ports };
    } catch (err) {
      if (attempt >= 3 || !/address already in use/.test(started.log())) throw err;
      await stop(started);
    }
  }
}

export async function startCluster(dir: string): Promise<Cluster> {
  const bin = binaries();
  const pki = join(dir, 'pki');
  mkdirSync(pki, { recursive: true });
  const ca = await createCa('wasmgate-e2e-ca');
  const caFile = writePems(pki, 'ca', ca).certFile;
  const apiserverTls = writePems(pki, 'apiserver', await servingCert(ca, 'kube-apiserver'));
  const adminTls = writePems(pki, 'admin', await clientCert(ca, 'e2e-admin', ['system:masters']));
  const developerTls = writePems(pki, 'developer', await clientCert(ca, 'alice', ['e2e:developers']));
  const serviceAccount = writeServiceAccountKeys(pki);

  const etcd = await startOnFreePorts(2, (ports) => {
    const [client, peer] = ports.map((port) => `http://127.0.0.1:${port}`) as [string, string];
    return {
      process: start(
        'etcd',
        bin.etcd,
        [
          '--name', 'e2e',
          // A new store for every attempt: one that failed to listen may have begun bootstrapping its own.
          '--data-dir', mkdtempSync(join(dir, 'etcd-')),
          '--listen-client-urls', client,
          '--advertise-client-urls', client,
          '--listen-peer-urls', peer,
          '--initial-advertise-peer-urls', peer,
          '--initial-cluster', `e2e=${peer}`,
          // A throwaway store: durability buys nothing here and fsync is slow on a busy disk.
          '--unsafe-no-fsync',
          '--log-level', 'warn',
        ],
        dir,
      ),
      what: 'etcd /health',
      ready: async () => (await get(`${client}/health`)).body.includes('"health":"true"'),
      timeoutMs: 60_000,
    };
  });
  const [etcdClient, etcdPeer] = etcd.ports as [number, number];

  const admin = { ca: ca.cert, cert: readFileSync(adminTls.certFile, 'utf8'), key: readFileSync(adminTls.keyFile, 'utf8') };
  const apiserver = await startOnFreePorts(1, ([port]) => ({
    process: start(
      'kube-apiserver',
      bin.kubeApiserver,
      [
        '--etcd-servers', `http://127.0.0.1:${etcdClient}`,
        '--bind-address', '127.0.0.1',
        '--advertise-address', '127.0.0.1',
        '--secure-port', String(port),
        '--tls-cert-file', apiserverTls.certFile,
        '--tls-private-key-file', apiserverTls.keyFile,
        '--client-ca-file', caFile,
        '--authorization-mode', 'RBAC',
        '--service-account-issuer', 'https://kubernetes.default.svc.cluster.local',
        '--service-account-key-file', serviceAccount.publicKeyFile,
        '--service-account-signing-key-file', serviceAccount.privateKeyFile,
        '--service-cluster-ip-range', '10.96.0.0/24',
        // No controller-manager keeps the kubernetes Service's endpoints: nothing should try to.
        '--endpoint-reconciler-type', 'none',
        '--cert-dir', join(dir, 'apiserver-certs'),
        '--profiling=false',
      ],
      dir,
    ),
    what: 'kube-apiserver /readyz',
    ready: async () => (await get(`https://127.0.0.1:${port}/readyz`, admin)).status === 200,
    timeoutMs: 120_000,
  }));
  const apiserverPort = apiserver.ports[0]!;
  const server = `https://127.0.0.1:${apiserverPort}`;

  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const user = (name: string, tls: { certFile: string; keyFile: string }): User => {
    const kubeconfig = join(dir, `${name}.kubeconfig`);
    writeKubeconfig(kubeconfig, server, caFile, name, tls);
    return { name, kubeconfig, kubectl: kubectlFor(bin.kubectl, kubeconfig, home) };
  };
  const cluster: Cluster = {
    ca,
    caFile,
    server,
    admin: user('e2e-admin', adminTls),
    developer: user('alice', developerTls),
    etcd: etcd.process,
    apiserver: apiserver.process,
    ports: { etcdClient, etcdPeer, apiserver: apiserverPort },
    dir,
  };
  // The API server makes kube-system itself, shortly after it is ready.
  await waitFor('namespace kube-system', async () => ((await cluster.admin.kubectl(['get', 'namespace', 'kube-system'])).code === 0 ? true : undefined), 60_000);
  return cluster;
}
