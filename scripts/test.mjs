#!/usr/bin/env node
// `npm test`: the build (TypeScript, policies to WASM), the policy authors' tests (`wasmgate test`:
// Rego unit tests with a coverage floor, the same tests on the WASM engine, the fixtures), the PSP
// oracle's build (cached), then the tap suite (after building gator, the reference for the Gatekeeper
// tests), then the end-to-end suite against a real kube-apiserver (scripts/e2e.mjs; its first run
// compiles the cluster binaries). Stops at the first stage that fails, with its exit code.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const stages = [
  ['build', [join(root, 'scripts', 'build.mjs')]],
  ['policy tests', [join(root, 'dist', 'cli', 'main.js'), 'test']],
  // The differential test's oracle: Kubernetes v1.24.17's PSP plugin, built once into .cache/psp/.
  ['psp oracle', [join(root, 'scripts', 'psp-oracle.mjs')]],
  // Gatekeeper's gator, which test/gatekeeper/ compares with: built once (minutes), then cached.
  ['gator', [join(root, 'scripts', 'gator.mjs')]],
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
