#!/usr/bin/env node
// `npm run build`: compiles the TypeScript host, then the policies to WASM with the pinned OPA.
// The host is compiled first because the policy build reads the host's builtin table from it.
// Options: --policies DIR (default policies/), --out DIR (default wasm/), --force.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const { values } = parseArgs({
  options: {
    policies: { type: 'string', default: join(root, 'policies') },
    out: { type: 'string', default: join(root, 'wasm') },
    force: { type: 'boolean', default: false },
  },
});

const log = (line) => console.error(`build: ${line}`);
const started = Date.now();
try {
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { stdio: 'inherit' });
  log(`TypeScript compiled to dist/ (${Date.now() - started} ms)`);
} catch {
  log('TypeScript compilation failed (errors above)');
  process.exit(1);
}

const { resolveOpa } = await import('../dist/toolchain/opa.js');
const { buildPolicies } = await import('../dist/toolchain/build.js');
try {
  const opa = resolveOpa(log);
  log(`using OPA ${opa.version} (${opa.source}: ${opa.path})`);
  await buildPolicies({ opa, policiesDir: values.policies, outDir: values.out, force: values.force, log });
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`build failed: ${err?.message ?? err}`);
  process.exit(1);
}
