import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Parser, type ReadEntry } from 'tar';
import t from 'tap';
import { entrypoints, loadBundle, PolicyEvaluator } from '../../dist/engine/index.js';
import { envelopeEntrypoint } from '../../dist/engine/bundle.js';
import { buildPolicies } from '../../dist/toolchain/build.js';
import { envelopeModule } from '../../dist/toolchain/entrypoints.js';
import { optimiseWasm, resolveWasmOpt, type WasmOptTool } from '../../dist/toolchain/wasm-opt.js';
import { runTestsOnWasm } from '../../dist/harness/rego-tests.js';
import { compileTemplate } from '../../dist/gatekeeper/compile.js';
import { parseTemplate } from '../../dist/gatekeeper/objects.js';
import { readObjects } from '../../dist/gatekeeper/read.js';
import { opaTool, repoRoot, runOpa } from '../helpers/policies.js';

const policiesDir = join(repoRoot, 'test', 'engine', 'policies', 'basic');
const tempDir = (name: string) => mkdtempSync(join(tmpdir(), `wasmgate-wasm-opt-${name}-`));

interface TarEntry {
  readonly path: string;
  readonly mode?: number;
  readonly mtime?: number;
  readonly type: string;
  readonly body: Buffer;
}

function tarEntries(tarball: string): Promise<TarEntry[]> {
  const entries: TarEntry[] = [];
  return new Promise((done, fail) => {
    const parser = new Parser({
      onReadEntry: (entry: ReadEntry) => {
        const parts: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => parts.push(chunk));
        entry.on('end', () =>
          entries.push({ path: entry.path, mode: entry.mode, mtime: entry.mtime?.getTime(), type: entry.type, body: Buffer.concat(parts) }),
        );
      },
    });
    parser.on('end', () => done(entries));
    parser.on('error', fail);
    parser.end(readFileSync(tarball));
  });
}

/** A stand-in for wasm-opt: a Node script that runs this body with `args` (its argv) in scope. */
function fakeWasmOpt(body: string): WasmOptTool {
  const path = join(tempDir('tool'), 'wasm-opt.cjs');
  writeFileSync(path, `const args = process.argv.slice(2);\n${body}\n`);
  return { path, version: `fake-${randomUUID()}` };
}

t.test("the build ships wasm-opt's output of OPA's module, as policy.wasm and inside bundle.tar.gz, with names", async (t) => {
  const outDir = tempDir('out');
  const targets = Object.values(entrypoints);
  await buildPolicies({ opa: opaTool(), policiesDir, outDir, entrypoints: targets });

  // OPA's own module for the same sources, as the build invokes it.
  const raw = join(tempDir('raw'), 'bundle.tar.gz');
  const run = await runOpa(opaTool(), [
    'build', '-t', 'wasm', '--capabilities', join(outDir, 'capabilities.json'), '--ignore', '*_test.rego', '--ignore', 'fixtures',
    ...[...targets, envelopeEntrypoint].flatMap((e) => ['-e', e]), '-o', raw, '.', envelopeModule,
  ], policiesDir);
  t.equal(run.exitCode, 0, run.stderr);
  const opaEntries = await tarEntries(raw);
  const opaWasm = opaEntries.find((e) => e.path === '/policy.wasm')!.body;

  const shipped = readFileSync(join(outDir, 'policy.wasm'));
  t.ok(shipped.length < opaWasm.length * 0.95, `policy.wasm (${shipped.length} bytes) is smaller than OPA's module (${opaWasm.length})`);
  // The optimiser run afresh (an empty cache) on OPA's module gives exactly what the build shipped.
  t.ok(shipped.equals(await optimiseWasm(opaWasm, 'OPA\'s module', { cacheDir: tempDir('cache') })), "policy.wasm is wasm-opt's output of OPA's module");

  const names = WebAssembly.Module.customSections(new WebAssembly.Module(shipped), 'name');
  t.equal(names.length, 1, 'the name section is kept');
  t.ok(Buffer.from(names[0]!).includes('g0.data.wasmgate.main.decision'), 'it names the Rego rules');

  const bundleEntries = await tarEntries(join(outDir, 'bundle.tar.gz'));
  t.same(
    bundleEntries.map(({ path, mode, mtime, type }) => ({ path, mode, mtime, type })),
    opaEntries.map(({ path, mode, mtime, type }) => ({ path, mode, mtime, type })),
    'the bundle has the entries OPA wrote, in its order, with its modes and times',
  );
  for (const [i, entry] of bundleEntries.entries()) {
    const expected = entry.path === '/policy.wasm' ? shipped : opaEntries[i]!.body;
    t.ok(entry.body.equals(expected), `${entry.path}: ${entry.path === '/policy.wasm' ? 'the optimised module' : "OPA's bytes"}`);
  }
  const inspected = await runOpa(opaTool(), ['inspect', '--format', 'json', join(outDir, 'bundle.tar.gz')]);
  t.equal(inspected.exitCode, 0, `OPA reads the rewritten bundle ${inspected.stderr}`);
  t.same((JSON.parse(inspected.stdout) as { wasm_modules: { path: string }[] }).wasm_modules.map((m) => m.path), ['/policy.wasm'], 'and finds its module');

  // What `serve --bundle` loads.
  const optimised = new PolicyEvaluator(await loadBundle(join(outDir, 'bundle.tar.gz')));
  const fromOpa = new PolicyEvaluator(await loadBundle(raw));
  const reviews = [
    { request: { object: { metadata: { name: 'a', labels: { team: 'x' } }, items: [1] } } },
    { request: { object: { metadata: { name: 'b' }, items: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] } } },
    { request: { object: { metadata: { name: 'c', labels: {} } } } },
  ];
  for (const review of reviews) {
    t.same(optimised.decide(review), fromOpa.decide(review), `${review.request.object.metadata.name}: the same decision`);
    t.same(optimised.mutate(review), fromOpa.mutate(review), `${review.request.object.metadata.name}: the same mutation`);
  }
});

t.test('a failing wasm-opt fails the build with its message, naming the step, and nothing is marked built', async (t) => {
  const outDir = tempDir('out');
  const failing = fakeWasmOpt('process.stderr.write("Fatal: out of cheese\\n"); process.exit(1);');
  const err = await buildPolicies({ opa: opaTool(), wasmOpt: failing, policiesDir, outDir }).then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  t.equal(err?.code, 'WASM_OPT_FAILED');
  t.match(err?.message, new RegExp(`^wasm-opt \\(binaryen ${failing.version}\\) could not optimise the policy\\.wasm OPA compiled from \\S*basic: Fatal: out of cheese$`));
  t.equal((await buildPolicies({ opa: opaTool(), policiesDir, outDir })).skipped, false, 'the next build compiles again');
});

t.test("wasm-opt's own error for a module it cannot read", async (t) => {
  const err = await optimiseWasm(Buffer.from('not a module'), 'the test module', { cacheDir: tempDir('cache') }).then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  t.equal(err?.code, 'WASM_OPT_FAILED');
  t.match(err?.message, /^wasm-opt \(binaryen [\d.]+\) could not optimise the test module: .*error/);
});

t.test('an optimised module is taken from the cache the next time; the cache keeps the 128 used last', async (t) => {
  const cacheDir = tempDir('cache');
  const calls = join(tempDir('calls'), 'calls');
  // Copies its input to its output (the last argument) and counts its runs.
  const tool = fakeWasmOpt(
    `const fs = require('node:fs'); fs.appendFileSync(${JSON.stringify(calls)}, 'x'); fs.copyFileSync(args[args.length - 3], args[args.length - 1]);`,
  );
  const old = new Date(Date.now() - 3600_000);
  for (let i = 0; i < 134; i++) {
    writeFileSync(join(cacheDir, `old-${String(i).padStart(3, '0')}.wasm`), '');
    utimesSync(join(cacheDir, `old-${String(i).padStart(3, '0')}.wasm`), old, new Date(old.getTime() + i));
  }
  const module = Buffer.from('\0asm\x01\0\0\0');
  t.ok((await optimiseWasm(module, 'm', { tool, cacheDir })).equals(module), "the tool's output");
  t.ok((await optimiseWasm(module, 'm', { tool, cacheDir })).equals(module), 'the same output from the cache');
  t.equal(readFileSync(calls, 'utf8'), 'x', 'wasm-opt ran once');
  const kept = readdirSync(cacheDir).sort();
  t.equal(kept.length, 128, '128 modules kept');
  t.notOk(kept.includes('old-006.wasm'), 'the seven used least recently went');
  t.ok(kept.includes('old-007.wasm') && kept.includes('old-133.wasm'), 'the others stay');
  const unwritable = join(cacheDir, 'old-133.wasm', 'cache');
  t.ok((await optimiseWasm(module, 'm', { tool, cacheDir: unwritable })).equals(module), 'a cache that cannot be written: the output all the same');
  t.equal(readFileSync(calls, 'utf8'), 'xx');
});

t.test('the Rego tests the harness runs on the WASM engine are optimised as the policy is', async (t) => {
  const failing = fakeWasmOpt('process.stderr.write("Fatal: no\\n"); process.exit(1);');
  const capabilities = join(tempDir('out'), 'capabilities.json');
  await buildPolicies({ opa: opaTool(), policiesDir, outDir: join(capabilities, '..'), entrypoints: Object.values(entrypoints) });
  const tests = [{ package: 'data.wasmgate.main', name: 'decision', file: '', row: 0, outcome: 'pass' as const }];
  const err = await runTestsOnWasm(opaTool(), policiesDir, tests, capabilities, 10_000, failing).then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  t.equal(err?.code, 'WASM_OPT_FAILED');
  t.match(err?.message, /could not optimise the Rego tests compiled to WebAssembly: Fatal: no/);
});

t.test("Gatekeeper templates are compiled to optimised modules too, and wasm-opt's failure names the template", async (t) => {
  const [object] = await readObjects(join(repoRoot, 'test', 'gatekeeper', 'library', 'review', 'template.yaml'));
  const template = parseTemplate(object!, 'template.yaml');
  const failing = fakeWasmOpt('process.stderr.write("Fatal: no\\n"); process.exit(1);');
  const err = await compileTemplate(template, { opa: opaTool(), wasmOpt: failing, cacheDir: tempDir('gatekeeper') }).then(
    () => undefined,
    (e: unknown) => e as Error & { code?: string },
  );
  t.equal(err?.code, 'WASM_OPT_FAILED');
  t.match(err?.message, `could not optimise the WASM of template.yaml: template ${template.name}: Fatal: no`);
});

t.test('an unchanged build is skipped, wasm-opt included; another binaryen version builds again', async (t) => {
  const outDir = tempDir('out');
  const build = (wasmOpt?: WasmOptTool) => buildPolicies({ opa: opaTool(), policiesDir, outDir, ...(wasmOpt ? { wasmOpt } : {}) });
  t.equal((await build()).skipped, false);
  const calls = join(tempDir('calls'), 'calls');
  const counting = fakeWasmOpt(`require('node:fs').appendFileSync(${JSON.stringify(calls)}, 'x'); process.exit(1);`);
  t.equal((await build({ ...counting, version: resolveWasmOpt().version })).skipped, true, 'the same version: skipped, wasm-opt not run');
  t.notOk(existsSync(calls));
  await t.rejects(build(counting), { code: 'WASM_OPT_FAILED' }, 'another version: compiled and optimised again');
  t.equal(readFileSync(calls, 'utf8'), 'x');
});
