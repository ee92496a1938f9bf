import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildPolicies } from '../../dist/toolchain/build.js';
import { opaTool, repoRoot } from '../helpers/policies.js';

const cli = join(repoRoot, 'dist', 'cli', 'main.js');
const messy = 'package wasmgate.main\nimport rego.v1\nallowed   :=    true\n\n\n\nkept := 1\nx := 2\ny := 3\nz := 4\nw := 5\nv := 6\nlast   :=  7\n';

function wasmgate(args: string[], cwd: string) {
  const run = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd, env: { ...process.env, NO_COLOR: '1' } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** A directory with one unformatted and one formatted policy file. */
function messyDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-fmt-'));
  writeFileSync(join(dir, 'messy.rego'), messy);
  writeFileSync(join(dir, 'tidy.rego'), 'package wasmgate.tidy\n\nok := true\n');
  return dir;
}

const opaFormatted = (file: string) => spawnSync(opaTool().path, ['fmt', file], { encoding: 'utf8' }).stdout;

t.test('wasmgate fmt --check lists unformatted files, exit 1, and changes nothing', async (t) => {
  const dir = messyDir();
  const run = wasmgate(['fmt', '--check', dir], dir);
  t.equal(run.code, 1);
  t.equal(run.stdout, 'messy.rego\n');
  t.match(run.stderr, /1 file\(s\) not formatted; "wasmgate fmt .*" formats them/);
  t.equal(readFileSync(join(dir, 'messy.rego'), 'utf8'), messy);
});

t.test('wasmgate fmt --diff shows the change as a unified diff that patch applies, exit 1, and changes nothing', async (t) => {
  const dir = messyDir();
  const run = wasmgate(['fmt', '--diff', '.'], dir);
  t.equal(run.code, 1);
  t.match(run.stdout, /^--- messy\.rego\n\+\+\+ messy\.rego \(opa fmt\)\n@@ -1,\d+ \+1,\d+ @@\n package wasmgate\.main\n/);
  t.match(run.stdout, /\n-last   :=  7\n\+last := 7\n$/);
  t.notMatch(run.stdout, /tidy\.rego/);
  t.equal(readFileSync(join(dir, 'messy.rego'), 'utf8'), messy);
  writeFileSync(join(dir, 'change.diff'), run.stdout);
  const patched = spawnSync('patch', ['--output', 'patched.rego', 'messy.rego', 'change.diff'], { encoding: 'utf8', cwd: dir });
  t.equal(patched.status, 0, patched.stderr + patched.stdout);
  t.equal(readFileSync(join(dir, 'patched.rego'), 'utf8'), opaFormatted(join(dir, 'messy.rego')), 'patch turns the file into what opa fmt writes');
});

t.test('wasmgate fmt rewrites what differs, as the pinned opa fmt formats it; then nothing is left', async (t) => {
  const dir = messyDir();
  const expected = opaFormatted(join(dir, 'messy.rego'));
  const run = wasmgate(['fmt', '.'], dir);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stdout, 'formatted messy.rego\n');
  t.equal(readFileSync(join(dir, 'messy.rego'), 'utf8'), expected);
  const again = wasmgate(['fmt', '--check', '.'], dir);
  t.equal(again.code, 0);
  t.match(again.stderr, /every \.rego file in \. is formatted/);
});

t.test('wasmgate fmt: a path that does not exist or Rego that does not parse is exit 2', async (t) => {
  const dir = messyDir();
  const missing = wasmgate(['fmt', 'nope'], dir);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /no such file or directory: nope/);
  writeFileSync(join(dir, 'broken.rego'), 'package x\n\na := {\n');
  const broken = wasmgate(['fmt', '.'], dir);
  t.equal(broken.code, 2);
  t.match(broken.stderr, /broken\.rego:\d+: rego_parse_error/);
});

t.test('the build refuses unformatted Rego and names wasmgate fmt, not an opa that may not be on PATH', async (t) => {
  const dir = messyDir();
  const err = await buildPolicies({ opa: opaTool(), policiesDir: dir, outDir: mkdtempSync(join(tmpdir(), 'wasmgate-fmt-out-')) }).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  t.match(err?.message, /not formatted as opa fmt writes them:\n {2}.*messy\.rego\n/);
  t.match(err?.message, /Format them with "wasmgate fmt .*" \(in a wasmgate checkout: "npm run fmt -- .*"\)/);
  t.notMatch(err?.message, /opa fmt -w/);
});
