#!/usr/bin/env node
// `npm run build`: compiles the TypeScript host, then the policies to WASM with the pinned OPA.
// The host is compiled first because the policy build reads the host's builtin table from it.
// Each step is skipped when its inputs are unchanged: tsc when no TypeScript source, tsconfig.json or
// TypeScript version changed (a fingerprint in .cache/tsc/), so a Rego-only change compiles only Rego.
// With the default policies/, it also writes deploy/data.yaml from policies/data.yaml (scripts/deploy-data.mjs)
// and the README's policy table from the catalogue (src/policies/readme-table.ts).
// Options: --policies DIR (default policies/), --out DIR (default wasm/), --force (redo every step).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { syncDeployData } from './deploy-data.mjs';

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

const filesUnder = (dir) =>
  readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
    .sort();

/** What dist/ is compiled from: the sources, tsconfig.json and the compiler's version. */
function typescriptFingerprint() {
  const hash = createHash('sha256');
  hash.update(`typescript ${JSON.parse(readFileSync(join(root, 'node_modules', 'typescript', 'package.json'), 'utf8')).version}\n`);
  for (const file of [join(root, 'tsconfig.json'), ...filesUnder(join(root, 'src'))]) {
    hash.update(`${relative(root, file)}\n`);
    hash.update(readFileSync(file));
  }
  return hash.digest('hex');
}

const tscStamp = join(root, '.cache', 'tsc', 'fingerprint');
const tscInputs = typescriptFingerprint();
if (!values.force && existsSync(join(root, 'dist', 'cli', 'main.js')) && existsSync(tscStamp) && readFileSync(tscStamp, 'utf8') === tscInputs) {
  log('TypeScript sources unchanged since the last build: tsc skipped');
} else {
  rmSync(tscStamp, { force: true });
  try {
    execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', root], { stdio: 'inherit' });
    log(`TypeScript compiled to dist/ (${Date.now() - started} ms)`);
  } catch {
    log('TypeScript compilation failed (errors above)');
    process.exit(1);
  }
  mkdirSync(dirname(tscStamp), { recursive: true });
  writeFileSync(tscStamp, tscInputs);
}

if (values.policies === join(root, 'policies') && syncDeployData(root)) log('deploy/data.yaml written from policies/data.yaml');

const { resolveOpa } = await import('../dist/toolchain/opa.js');
const { buildPolicies } = await import('../dist/toolchain/build.js');
try {
  const opa = resolveOpa(log);
  log(`using OPA ${opa.version} (${opa.source}: ${opa.path})`);
  await buildPolicies({ opa, policiesDir: values.policies, outDir: values.out, force: values.force, log });
  if (values.policies === join(root, 'policies')) {
    const { syncReadmeTable } = await import('../dist/policies/readme-table.js');
    if (syncReadmeTable(root, values.out)) log('README.md policy table written from the catalogue');
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (err) {
  console.error(`build failed: ${err?.message ?? err}`);
  process.exit(1);
}
