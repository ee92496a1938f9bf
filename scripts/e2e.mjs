#!/usr/bin/env node
// The end-to-end suite: builds (or finds in .cache/cluster/) kube-apiserver, kubectl and etcd from
// scripts/cluster/go.mod, then runs test/e2e/ with tap against dist/ (build first: `npm run build`).
// It is its own tap run (its file is *.e2e.ts, outside the main include test/**/*.test.ts), so the main
// suite never starts a cluster and .ci/run adds up both runs' counts.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { resolveClusterBinaries } = await import('../dist/toolchain/cluster.js');
let cluster;
try {
  cluster = resolveClusterBinaries((line) => console.error(`e2e: ${line}`));
} catch (err) {
  console.error(`e2e: ${err?.message ?? err}`);
  process.exit(1);
}
console.error(`e2e: cluster binaries (${cluster.source}) in ${cluster.dir}`);
const tap = join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs');
// One cluster per file, the files one after the other (--jobs 1: two control planes at once would
// crowd 2 cores). A file's checks run in order, and a cold, loaded machine gets 10 minutes.
const files = ['cluster.e2e.ts', 'eval-fidelity.e2e.ts'].map((file) => join('test', 'e2e', file));
const run = spawnSync(process.execPath, [tap, '--timeout', '600', '--jobs', '1', ...files, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, WASMGATE_E2E_BINARIES: cluster.dir },
});
process.exit(run.status ?? 1);
