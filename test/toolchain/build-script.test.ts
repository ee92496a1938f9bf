import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { deployDataText } from '../../scripts/deploy-data.mjs';
import { opaTool, repoRoot } from '../helpers/policies.js';

/** A scratch copy of what `npm run build` reads, so that its runs touch neither dist/ nor wasm/ here. */
function scratchCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-build-script-'));
  for (const path of ['package.json', 'tsconfig.json', 'src', 'deploy', join('scripts', 'build.mjs'), join('scripts', 'deploy-data.mjs'), join('scripts', 'opa', 'go.mod')]) {
    cpSync(join(repoRoot, path), join(dir, path), { recursive: true });
  }
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'policies'));
  cpSync(join(repoRoot, 'test', 'harness', 'policies', 'good'), join(dir, 'policies'), { recursive: true });
  return dir;
}

function build(dir: string) {
  const run = spawnSync(process.execPath, [join(dir, 'scripts', 'build.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, OPA: opaTool().path },
  });
  return { code: run.status, log: run.stderr };
}

t.test('npm run build compiles TypeScript only when a TypeScript input changed', async (t) => {
  const dir = scratchCheckout();
  const first = build(dir);
  t.equal(first.code, 0, first.log);
  t.match(first.log, /TypeScript compiled to dist\//);
  t.match(first.log, /compiled policies to wasm\/policy\.wasm/);

  const deployData = () => readFileSync(join(dir, 'deploy', 'data.yaml'), 'utf8');
  t.equal(deployData(), deployDataText(readFileSync(join(dir, 'policies', 'data.yaml'), 'utf8')), 'deploy/data.yaml is written from policies/data.yaml');

  appendFileSync(join(dir, 'policies', 'main.rego'), '\nextra := 1\n');
  appendFileSync(join(dir, 'policies', 'data.yaml'), '# an edit\n');
  const regoOnly = build(dir);
  t.equal(regoOnly.code, 0, regoOnly.log);
  t.match(regoOnly.log, /TypeScript sources unchanged since the last build: tsc skipped/);
  t.notMatch(regoOnly.log, /TypeScript compiled/);
  t.match(regoOnly.log, /compiled policies to wasm\/policy\.wasm/, 'the changed Rego is compiled');
  t.match(regoOnly.log, /deploy\/data\.yaml written from policies\/data\.yaml/);
  t.match(deployData(), /# an edit\n$/, 'and deploy/ follows policies/data.yaml');

  appendFileSync(join(dir, 'src', 'paths.ts'), '\n// a change\n');
  const typescript = build(dir);
  t.equal(typescript.code, 0, typescript.log);
  t.match(typescript.log, /TypeScript compiled to dist\//);
  t.match(typescript.log, /policies unchanged since the last build/);
});
