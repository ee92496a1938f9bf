#!/usr/bin/env node
// `npm test`: the build (TypeScript, policies to WASM), the policy authors' tests (`wasmgate test`:
// Rego unit tests with a coverage floor, the same tests on the WASM engine, the fixtures), the pinned Go
// tools (cached; two builds at a time when cold), the tap suite, then the end-to-end suite against a
// real kube-apiserver (scripts/e2e.mjs). Stops at the first stage that fails, with its exit code.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const stages = [
  ['build', [join(root, 'scripts', 'build.mjs')]],
  ['policy tests', [join(root, 'dist', 'cli', 'main.js'), 'test']],
  // The Go tools the tests compare with or run, built once (minutes, two at a time), then cached:
  // Kubernetes v1.24.17's PSP plugin (the differential test's oracle), Gatekeeper's gator, and
  // kube-apiserver, kubectl and etcd (the e2e suite).
  ['go tools', [join(root, 'scripts', 'go-tools.mjs')]],
  ['tap suite', [join(root, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), ...process.argv.slice(2)]],
  ['e2e suite', [join(root, 'scripts', 'e2e.mjs')]],
];

for (const [name, args] of stages) {
  console.error(`\n== ${name}`);
  const run = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (run.status !== 0) {
    console.error(`\n== ${name} failed (exit ${run.status ?? run.signal})`);
    process.exit(run.status || 1);
  }
}
