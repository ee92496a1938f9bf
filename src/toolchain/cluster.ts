import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { WasmgateError } from '../errors.js';
import { packageRoot } from '../paths.js';

/** The Go module pinning the end-to-end suite's cluster: kube-apiserver, kubectl and etcd as `tool` dependencies. */
const moduleDir = join(packageRoot, 'scripts', 'cluster');

/** What `go build` makes, under the names the suite runs them by (go names etcd's `server/v3` package `server`). */
const tools = [
  { name: 'kube-apiserver', pkg: 'k8s.io/kubernetes/cmd/kube-apiserver', built: 'kube-apiserver' },
  { name: 'kubectl', pkg: 'k8s.io/kubernetes/cmd/kubectl', built: 'kubectl' },
  { name: 'etcd', pkg: 'go.etcd.io/etcd/server/v3', built: 'server' },
] as const;

export interface ClusterBinaries {
  readonly dir: string;
  readonly kubeApiserver: string;
  readonly kubectl: string;
  readonly etcd: string;
  /** "cache" when an earlier build was reused, "built" when this call compiled them. */
  readonly source: 'cache' | 'built';
}

function findGo(): string | undefined {
  const onPath = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .map((dir) => join(dir, 'go'))
    .find((candidate) => existsSync(candidate));
  return onPath ?? (existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}

function binaries(dir: string, source: ClusterBinaries['source']): ClusterBinaries {
  return { dir, kubeApiserver: join(dir, 'kube-apiserver'), kubectl: join(dir, 'kubectl'), etcd: join(dir, 'etcd'), source };
}

/**
 * The cluster binaries for the end-to-end suite, built once per (go.mod, go.sum, Go version) into
 * `.cache/cluster/<key>/`: the builds are byte-identical, so the key says everything. A cold build is
 * about 10 minutes on 2 cores (`-p 1` keeps its memory near 2 GB); Go's build cache makes a rebuild
 * take seconds. Never downloads anything but modules from the Go module proxy.
 */
export function resolveClusterBinaries(log: (line: string) => void = () => {}): ClusterBinaries {
  const go = findGo();
  if (!go) {
    throw new WasmgateError(
      'TOOL_BUILD_FAILED',
      'the end-to-end suite builds kube-apiserver, kubectl and etcd from scripts/cluster/go.mod with Go: install Go 1.26 or newer',
    );
  }
  const goVersion = execFileSync(go, ['version'], { encoding: 'utf8' }).trim();
  const key = createHash('sha256')
    .update(readFileSync(join(moduleDir, 'go.mod')))
    .update('\0')
    .update(readFileSync(join(moduleDir, 'go.sum')))
    .update('\0')
    .update(goVersion)
    .digest('hex')
    .slice(0, 16);
  const dir = join(packageRoot, '.cache', 'cluster', key);
  if (tools.every((tool) => existsSync(join(dir, tool.name)))) return binaries(dir, 'cache');

  log(`building ${tools.map((t) => t.name).join(', ')} from scripts/cluster/go.mod with ${goVersion} (about 10 minutes the first time, seconds after)`);
  // Built into a directory of its own and renamed whole, so an interrupted build never looks complete.
  const partial = `${dir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(partial, { recursive: true });
  try {
    execFileSync(go, ['build', '-p', '1', '-o', `${partial}/`, ...tools.map((t) => t.pkg)], {
      cwd: moduleDir,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    for (const tool of tools) if (tool.built !== tool.name) renameSync(join(partial, tool.built), join(partial, tool.name));
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
    // Binaries of an earlier pin or Go version are 300 MB nobody will run again.
    for (const entry of readdirSync(dirname(dir))) if (entry !== key && !entry.includes('.partial-')) rmSync(join(dirname(dir), entry), { recursive: true, force: true });
  } catch (err) {
    rmSync(partial, { recursive: true, force: true });
    throw new WasmgateError('TOOL_BUILD_FAILED', `go build of the cluster binaries in ${moduleDir} failed (see the Go output above)`, { cause: err });
  }
  return binaries(dir, 'built');
}

/**
 * The directory of cert-manager's CustomResourceDefinitions (`deploy/crds/`) in the module that
 * `scripts/cert-manager/go.mod` pins: `go mod download` fetches it once from the Go module proxy into
 * Go's module cache and checks it against go.sum.
 */
export function certManagerCrdsDir(): string {
  const go = findGo();
  const moduleDir = join(packageRoot, 'scripts', 'cert-manager');
  if (!go) throw new WasmgateError('TOOL_BUILD_FAILED', `fetching cert-manager's CRDs (${moduleDir}/go.mod) needs Go 1.26 or newer`);
  let out: string;
  try {
    out = execFileSync(go, ['mod', 'download', '-json', 'github.com/cert-manager/cert-manager'], { cwd: moduleDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  } catch (err) {
    throw new WasmgateError('TOOL_BUILD_FAILED', `go mod download of cert-manager in ${moduleDir} failed (see the Go output above)`, { cause: err });
  }
  const dir = (JSON.parse(out) as { Dir?: unknown }).Dir;
  if (typeof dir !== 'string') throw new WasmgateError('TOOL_BUILD_FAILED', `go mod download in ${moduleDir} did not say where the module is: ${out}`);
  return join(dir, 'deploy', 'crds');
}
