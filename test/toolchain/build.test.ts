import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { buildPolicies } from '../../dist/toolchain/build.js';
import { inDirectory } from '../../dist/toolchain/opa.js';
import { opaTool } from '../helpers/policies.js';

/** A policy directory holding one main.rego with this text. */
function policyDir(rego: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-build-src-'));
  writeFileSync(join(dir, 'main.rego'), rego);
  return dir;
}

const build = (policiesDir: string) => buildPolicies({ opa: opaTool(), policiesDir, outDir: mkdtempSync(join(tmpdir(), 'wasmgate-build-out-')) });

t.test('a misspelt function is an unknown function, not a builtin the engine cannot run', async (t) => {
  const dir = policyDir('package wasmgate.main\n\ndecision := {"allowed": cnt(input.a) == 0, "violations": []}\n\nconfig_errors := set()\n');
  const err = await build(dir).then(() => undefined, (e: unknown) => e as Error);
  t.ok(err, 'the build fails');
  t.match(err?.message, /main\.rego:3: rego_type_error: undefined function cnt/, "OPA's own text");
  t.match(err?.message, /cnt is not a function of OPA or of the policy \(misspelt\? did you mean count\?\)/);
  t.notMatch(err?.message, /cannot run/);
});

t.test('an OPA builtin the engine cannot run is still named as such', async (t) => {
  const dir = policyDir('package wasmgate.main\n\ndecision := {"allowed": true, "violations": [], "b": units.parse(input.q)}\n\nconfig_errors := set()\n');
  const err = await build(dir).then(() => undefined, (e: unknown) => e as Error);
  t.match(err?.message, /builtins wasmgate's engine cannot run: units\.parse/);
  t.notMatch(err?.message, /not a function of OPA/);
});

t.test("opa build failures show OPA's own message (it writes them to stdout)", async (t) => {
  // Passes opa check; only opa build, given the entrypoints, finds config_errors missing.
  const dir = policyDir('package wasmgate.main\n\ndecision := {"allowed": true, "violations": []}\n');
  const err = await build(dir).then(() => undefined, (e: unknown) => e as Error);
  t.match(err?.message, /entrypoint "wasmgate\/main\/config_errors" does not refer to a rule or policy decision/);
});

t.test('fixtures beside the policies are no input of the build: OPA ignores them, and editing one recompiles nothing', async (t) => {
  const dir = policyDir('package wasmgate.main\n\ndecision := {"allowed": true, "violations": []}\n\nconfig_errors := set()\n\nmutation := {"patch": [], "profile": null}\n');
  // Two manifests OPA would merge into conflicting data if it loaded them.
  mkdirSync(join(dir, 'x', 'y', 'fixtures'), { recursive: true });
  writeFileSync(join(dir, 'x', 'y', 'fixtures', 'a.yaml'), '# expect: allow\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n');
  writeFileSync(join(dir, 'x', 'y', 'fixtures', 'b.yaml'), '# expect: allow\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n');
  const outDir = mkdtempSync(join(tmpdir(), 'wasmgate-build-out-'));
  const again = () => buildPolicies({ opa: opaTool(), policiesDir: dir, outDir });
  t.equal((await again()).skipped, false, 'built despite the fixtures');
  writeFileSync(join(dir, 'x', 'y', 'fixtures', 'c.yaml'), '# expect: allow\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n');
  t.equal((await again()).skipped, true, 'a new fixture: nothing to compile');
  writeFileSync(join(dir, 'x', 'y', 'extra.rego'), 'package wasmgate.extra\n\nx := 1\n');
  t.equal((await again()).skipped, false, 'a new Rego file: compiled again');
});

t.test("the same policies compiled from two directories give the same module, which names no build machine's path", async (t) => {
  const rego = 'package wasmgate.main\n\ndecision := {"allowed": input.a == 1, "violations": []}\n\nconfig_errors := set()\n\nmutation := {"patch": [], "profile": null}\n';
  const [first, second] = [policyDir(rego), policyDir(rego)];
  const modules = await Promise.all(
    [first, second].map(async (dir) => {
      const outDir = mkdtempSync(join(tmpdir(), 'wasmgate-build-out-'));
      // Forced: the second would otherwise be a copy of the first from .cache/builds/.
      await buildPolicies({ opa: opaTool(), policiesDir: dir, outDir, force: true });
      return readFileSync(join(outDir, 'policy.wasm'));
    }),
  );
  // wasm-opt's cache is keyed on OPA's output: a copy of the policies elsewhere (a test's scratch dir) hits it.
  t.ok(modules[0]!.equals(modules[1]!), 'identical policy.wasm');
  t.equal(modules[0]!.indexOf(first), -1, 'the policy directory is not in the module');
  t.ok(modules[0]!.includes('main.rego'), 'its file is, by its name inside the directory');
});

t.test('the same files compiled before, anywhere, are copied from .cache/builds/; a changed file or --force compiles', async (t) => {
  // A comment of its own: no earlier run compiled these files.
  const rego = `package wasmgate.main\n\n# ${randomUUID()}\ndecision := {"allowed": input.a == 1, "violations": []}\n\nconfig_errors := set()\n\nmutation := {"patch": [], "profile": null}\n`;
  const outputs = ['policy.wasm', 'data.json', 'bundle.tar.gz', 'catalogue.json', 'capabilities.json'];
  const first = await build(policyDir(rego));
  t.match(first, { skipped: false, fromCache: false }, 'compiled the first time');
  const copy = await build(policyDir(rego));
  t.match(copy, { skipped: false, fromCache: true }, 'the same files in another directory: from the cache');
  for (const f of outputs) t.ok(readFileSync(join(copy.outDir, f)).equals(readFileSync(join(first.outDir, f))), `the same ${f}`);
  t.match(await build(policyDir(rego.replace('input.a == 1', 'input.a == 2'))), { fromCache: false }, 'a changed rule: compiled');
  const forced = await buildPolicies({ opa: opaTool(), policiesDir: policyDir(rego), outDir: mkdtempSync(join(tmpdir(), 'wasmgate-build-out-')), force: true });
  t.match(forced, { skipped: false, fromCache: false }, 'forced: compiled');
});

t.test("OPA's messages about a build run in the policy directory name the files by their full path, as opa check does", async (t) => {
  const said = '2 errors occurred:\nmain.rego:3: rego_type_error: undefined function cnt\nlabels/team/team.rego:12: rego_unsafe_var_error: var x is unsafe';
  t.equal(
    inDirectory(said, '/p/policies'),
    '2 errors occurred:\n/p/policies/main.rego:3: rego_type_error: undefined function cnt\n/p/policies/labels/team/team.rego:12: rego_unsafe_var_error: var x is unsafe',
  );
  const envelope = '/w/src/toolchain/envelope.rego:7: rego_type_error: x';
  t.equal(inDirectory(envelope, '/p/policies'), envelope, 'a path given in full stays as it is');
  t.equal(inDirectory('see main.rego for why', '/p'), 'see main.rego for why', 'a file name without a line is not a location');
});
