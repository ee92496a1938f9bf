#!/usr/bin/env node
// Builds kube-apiserver, kubectl and etcd (pinned in scripts/cluster/go.mod) into .cache/cluster/ unless
// they are there: what the e2e suite runs. Prints their directory.
const { resolveClusterBinaries } = await import('../dist/toolchain/cluster.js');
try {
  console.log(resolveClusterBinaries((line) => console.error(`cluster: ${line}`)).dir);
} catch (err) {
  console.error(`cluster: ${err?.message ?? err}`);
  process.exit(1);
}
