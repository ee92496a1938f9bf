import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { applyJsonPatch, Engine, loadBundle, parseDecision, PolicyEvaluator, readDataFile, WasmPolicy } from '../../dist/engine/index.js';
import { dataSegmentPages, memoryImportMinimum } from '../../dist/engine/wasm-binary.js';
import { isWasmgateError } from '../../dist/errors.js';
import { compilePolicies, opaTool, repoRoot } from '../helpers/policies.js';

const policies = join(repoRoot, 'test', 'engine', 'policies');
const basic = await compilePolicies(join(policies, 'basic'));

function review(name: string, items: number, labelled: boolean, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: name,
      object: { metadata: { name, ...(labelled ? { labels: { team: 'a' } } : {}) }, items: Array(items).fill('x'), ...extra },
    },
  };
}

t.test('in-thread evaluation gives typed decisions', async (t) => {
  const evaluator = new PolicyEvaluator(await loadBundle(basic));
  t.same(evaluator.decide(review('ok', 1, true)), { allowed: true, violations: [] });
  const denied = evaluator.decide(review('big', 5, false));
  t.equal(denied.allowed, false);
  t.same(
    denied.violations.map((v) => [v.policy, v.action, v.message]),
    [
      ['size', 'deny', 'big has 5 items, more than 3'],
      ['label', 'warn', 'big has no team label'],
    ],
  );
  t.equal(denied.violations[1]!.path, 'metadata.labels.team');
  const bytes = new TextEncoder().encode(JSON.stringify(review('big', 5, false))).buffer;
  t.same(evaluator.decide(bytes), denied, 'JSON bytes in an ArrayBuffer decide like the object');
});

t.test('1,000 mixed evaluations on the pool equal in-thread evaluation', async (t) => {
  const engine = await Engine.load({ bundle: basic, workers: 2 });
  t.teardown(() => engine.close());
  // Both workers started, so both take jobs (a loaded machine may start the second late).
  await engine.ready();
  const inputs = Array.from({ length: 1000 }, (_, i) => review(`obj-${i}`, i % 7, i % 3 === 0));
  const pooled = await Promise.all(
    inputs.map((input, i) =>
      // Every other input travels as bytes (a Buffer, as the webhook has it), the rest as objects.
      engine.evaluate(i % 2 === 0 ? input : Buffer.from(JSON.stringify(input))),
    ),
  );
  const inline = inputs.map((input) => engine.evaluateSync(input));
  t.same(pooled, inline);
  t.ok(pooled.some((d) => d.allowed) && pooled.some((d) => !d.allowed), 'the mix has both outcomes');
  const stats = engine.stats();
  t.equal(stats.workers, 2);
  t.ok(stats.wasmMemoryBytes.every((bytes) => bytes >= 64 * 1024), `every worker reports its WASM memory (${stats.wasmMemoryBytes.join(', ')})`);
});

t.test('mutations: typed, on the pool as in-thread, idempotent once applied', async (t) => {
  const engine = await Engine.load({ bundle: basic, workers: 2 });
  t.teardown(() => engine.close());
  t.same(engine.mutateSync(review('labelled', 1, true)), { patch: [], profile: 'team' });
  const bare = review('bare', 1, false);
  const mutation = engine.mutateSync(bare);
  t.same(mutation, { patch: [{ op: 'add', path: '/metadata/labels', value: { team: 'unassigned' } }], profile: 'team' });
  const defaulted = { ...bare, request: { ...bare.request, object: applyJsonPatch(bare.request.object, mutation.patch) } };
  t.same(await engine.mutate(defaulted), { patch: [], profile: 'team' }, 'a second pass patches nothing');
  t.equal((await engine.evaluate(defaulted)).violations.length, 0, 'and the defaulted object has nothing to warn about');

  const inputs = Array.from({ length: 200 }, (_, i) => review(`obj-${i}`, 1, i % 2 === 0, i % 3 === 0 ? { metadata: { name: `obj-${i}`, labels: { x: '1' } } } : {}));
  const pooled = await Promise.all(inputs.map((input, i) => engine.mutate(i % 2 === 0 ? input : Buffer.from(JSON.stringify(input)))));
  t.same(pooled, inputs.map((input) => engine.mutateSync(input)));
  t.ok(new Set(pooled.map((m) => JSON.stringify(m.patch))).size === 3, 'the mix has every kind of patch');
});

t.test('a malformed or slow mutation is an error, never an empty patch', async (t) => {
  const engine = await Engine.load({ bundle: basic, workers: 1, timeoutMs: 300 });
  t.teardown(() => engine.close());
  const asked = (mutation: unknown) => review('m', 1, true, { mutation });
  await t.rejects(engine.mutate(asked({ patch: 'all', profile: null })), { code: 'EVAL_FAILED', message: /malformed mutation: patch is not an array/ });
  t.throws(() => engine.mutateSync(asked({ patch: [{ op: 'add', path: '/a' }], profile: null })), { code: 'EVAL_FAILED', message: /has no value/ });
  const err = await engine.mutate(review('stuck', 1, true, { spin: 100000 })).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isWasmgateError(err, 'EVAL_TIMEOUT'), `the decisions' deadline holds for mutations (got ${String(err)})`);
  t.same(await engine.mutate(review('after', 1, true)), { patch: [], profile: 'team' }, 'the replacement worker answers');
});

t.test('an evaluation past its deadline times out and the pool keeps answering', async (t) => {
  const engine = await Engine.load({ bundle: basic, workers: 1, timeoutMs: 300 });
  t.teardown(() => engine.close());
  // 10^10 iterations inside WASM: the worker would not return for hours.
  const stuck = review('stuck', 1, true, { spin: 100000 });
  const err = await engine.evaluate(stuck).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isWasmgateError(err, 'EVAL_TIMEOUT'), `typed timeout error (got ${String(err)})`);
  const next = await Promise.all([engine.evaluate(review('a', 1, true)), engine.evaluate(review('b', 9, true))]);
  t.same(
    next.map((d) => d.allowed),
    [true, false],
    'the replacement worker answers',
  );
});

t.test('a closing pool whose workers time out replaces them until its queue is empty (it never wedges)', async (t) => {
  const engine = await Engine.load({ bundle: basic, workers: 2, timeoutMs: 300 });
  // Six stuck evaluations on two workers: two run, four wait; then the engine closes, as a reload closes the old one.
  const stuck = Array.from({ length: 6 }, (_, i) =>
    engine.evaluate(review(`stuck-${i}`, 1, true, { spin: 100000 })).then(
      () => 'answered',
      (e: unknown) => (isWasmgateError(e) ? e.code : String(e)),
    ),
  );
  const closed = engine.close().then(() => 'closed');
  t.same(await Promise.all(stuck), Array(6).fill('EVAL_TIMEOUT'), 'every queued evaluation gets its answer');
  t.equal(await closed, 'closed', 'and the close finishes');
});

t.test('an input past the memory ceiling fails alone; the next evaluation succeeds', async (t) => {
  const engine = await Engine.load({ bundle: basic, workers: 1, memoryLimitBytes: 4 * 1024 * 1024 });
  t.teardown(() => engine.close());
  const huge = review('huge', 1, true, { padding: 'x'.repeat(8 * 1024 * 1024) });
  await engine.evaluate(review('warm', 1, true, { padding: 'x'.repeat(512 * 1024) }));
  const grown = engine.stats().wasmMemoryBytes[0]!;
  t.ok(grown > 0, `the worker reports its memory (${grown} bytes)`);
  const err = await engine.evaluate(huge).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(isWasmgateError(err, 'MEMORY_LIMIT'), `typed memory error (got ${String(err)})`);
  t.same(engine.stats().wasmMemoryBytes, [0], 'the worker was replaced: a fresh one has not answered yet');
  t.same((await engine.evaluate(review('small', 1, true))).allowed, true);
  t.ok(engine.stats().wasmMemoryBytes[0]! > 0, 'and the fresh worker answers');

  const inline = new PolicyEvaluator(await loadBundle(basic), { limits: { initialPages: 2, maximumPages: 64 } });
  t.throws(() => inline.decide(huge), { code: 'MEMORY_LIMIT' }, 'in-thread too');
  t.same(inline.decide(review('small', 1, true)).allowed, true, 'and the in-thread evaluator recovers');
});

t.test('data is replaced at run time; invalid data is rejected and the old data stays', async (t) => {
  const engine = await Engine.load({ bundle: basic, workers: 1 });
  t.teardown(() => engine.close());
  const input = review('five', 5, true);
  t.equal((await engine.evaluate(input)).allowed, false);

  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-data-'));
  writeFileSync(join(dir, 'good.yaml'), 'config:\n  max: 10\n  action: deny\n');
  engine.setData(readDataFile(join(dir, 'good.yaml')));
  t.equal((await engine.evaluate(input)).allowed, true, 'the new threshold applies on the workers');
  t.equal(engine.evaluateSync(input).allowed, true, 'and in-thread');

  writeFileSync(join(dir, 'bad.yaml'), 'config:\n  max: many\n  action: block\n');
  t.throws(() => engine.setData(readDataFile(join(dir, 'bad.yaml'))), {
    code: 'DATA_INVALID',
    message: /config\.action must be deny, warn or dryrun[\s\S]*config\.max must be a number/,
  });
  writeFileSync(join(dir, 'list.json'), '[1, 2]');
  t.throws(() => readDataFile(join(dir, 'list.json')), { code: 'DATA_INVALID', message: /must be an object/ });
  writeFileSync(join(dir, 'broken.yaml'), 'config: [unclosed\n');
  t.throws(() => readDataFile(join(dir, 'broken.yaml')), { code: 'DATA_INVALID', message: /broken\.yaml/ });
  t.equal((await engine.evaluate(input)).allowed, true, 'the previous (good) data is still in force');
  t.equal(engine.evaluateSync(input).allowed, true, 'in the in-thread checker too');
  // Rejected data that would change the decision: max 1 (five items are too many), action unknown.
  writeFileSync(join(dir, 'strict.yaml'), 'config:\n  max: 1\n  action: block\n');
  t.throws(() => engine.setData(readDataFile(join(dir, 'strict.yaml'))), { code: 'DATA_INVALID' });
  t.same(engine.evaluateSync(input), await engine.evaluate(input), 'the checker and the workers decide on the same (previous) data');
  t.equal(engine.evaluateSync(input).allowed, true);
});

t.test('load-time gate: a module needing a builtin nobody implements is refused, naming it', async (t) => {
  // Compiled without wasmgate's capabilities file, as a foreign bundle would be.
  const out = mkdtempSync(join(tmpdir(), 'wasmgate-foreign-'));
  const bundle = join(out, 'bundle.tar.gz');
  const run = spawnSync(
    opaTool().path,
    ['build', '-t', 'wasm', '-e', 'wasmgate/main/decision', '-o', bundle, join(policies, 'needs-units')],
    { encoding: 'utf8' },
  );
  t.equal(run.status, 0, run.stderr);
  const loaded = await loadBundle(bundle);
  t.throws(() => new WasmPolicy(loaded.module, loaded.memoryMinPages), { code: 'BUILTIN_MISSING', message: /units\.parse/ });
  await t.rejects(Engine.load({ bundle }), { code: 'BUILTIN_MISSING', message: /units\.parse/ });
});

t.test('build-time gate: npm run build fails on a builtin outside the capabilities, naming it', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'wasmgate-gate-'));
  const run = spawnSync(
    process.execPath,
    [join(repoRoot, 'scripts', 'build.mjs'), '--policies', join(policies, 'needs-units'), '--out', out],
    { encoding: 'utf8' },
  );
  t.not(run.status, 0);
  t.match(run.stderr, /undefined function units\.parse/);
  t.match(run.stderr, /builtins wasmgate's engine cannot run: units\.parse/);
});

t.test('a missing or corrupt bundle is a clear error', async (t) => {
  await t.rejects(loadBundle('/nonexistent/wasm'), { code: 'BUNDLE_INVALID', message: /no compiled policy/ });
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-corrupt-'));
  writeFileSync(join(dir, 'policy.wasm'), 'not wasm');
  await t.rejects(loadBundle(dir), { code: 'BUNDLE_INVALID', message: /not a valid WebAssembly module/ });
});

t.test('a module whose data segments reach past its declared memory minimum loads, as the SDK would load it', async (t) => {
  // The project's compiled policy, with its memory import's minimum rewritten to 1 page.
  const wasm = readFileSync(join(repoRoot, 'wasm', 'policy.wasm'));
  const importEntry = Buffer.concat([Buffer.from([3]), Buffer.from('env'), Buffer.from([6]), Buffer.from('memory'), Buffer.from([2, 0])]);
  const at = wasm.indexOf(importEntry);
  t.ok(at > 0 && wasm[at + importEntry.length]! < 0x80, 'a one-byte minimum to rewrite');
  const patched = Buffer.from(wasm);
  patched[at + importEntry.length] = 1;
  t.equal(memoryImportMinimum(patched), 1);
  t.ok(dataSegmentPages(patched) > 2, `its data segments need ${dataSegmentPages(patched)} pages, more than the builtin probe's least 2`);
  const dir = mkdtempSync(join(tmpdir(), 'wasmgate-minimum-'));
  writeFileSync(join(dir, 'policy.wasm'), patched);
  writeFileSync(join(dir, 'data.json'), readFileSync(join(repoRoot, 'wasm', 'data.json')));
  const bundle = await loadBundle(dir);
  t.equal(bundle.memoryMinPages, dataSegmentPages(patched));
  const evaluator = new PolicyEvaluator(bundle);
  const configMap = { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: 'u', kind: { group: '', version: 'v1', kind: 'ConfigMap' }, operation: 'CREATE', namespace: 'a', userInfo: { username: 'x' }, object: { kind: 'ConfigMap', metadata: { name: 'c', namespace: 'a' } } } };
  t.same(evaluator.decide(configMap), { allowed: true, violations: [] }, 'and decides');
});

t.test('a decision whose allowed contradicts its violations is an error, never an answer', async (t) => {
  const deny = { policy: 'p', message: 'no', action: 'deny' };
  const warn = { policy: 'p', message: 'hm', action: 'warn' };
  t.throws(() => parseDecision({ allowed: true, violations: [deny] }), { code: 'EVAL_FAILED', message: /allowed is true but the violations say false/ });
  t.throws(() => parseDecision({ allowed: false, violations: [warn] }), { code: 'EVAL_FAILED', message: /allowed is false but the violations say true/ });
  t.throws(() => parseDecision({ allowed: 'yes', violations: [] }), { code: 'EVAL_FAILED', message: /allowed is not a boolean/ });
  t.same(parseDecision({ allowed: false, violations: [deny, warn] }), { allowed: false, violations: [deny, warn] });
  t.same(parseDecision({ violations: [warn] }), { allowed: true, violations: [warn] }, 'without allowed, the violations decide');
});

t.test('a module is instantiated once to read its builtins, however often an instance of it is built', async (t) => {
  const { module, memoryMinPages } = await loadBundle(join(repoRoot, 'wasm'));
  const Instance = WebAssembly.Instance;
  let instances = 0;
  WebAssembly.Instance = class extends Instance {
    constructor(...args: ConstructorParameters<typeof Instance>) {
      super(...args);
      instances++;
    }
  };
  t.teardown(() => void (WebAssembly.Instance = Instance));
  for (let i = 0; i < 3; i++) new WasmPolicy(module, memoryMinPages);
  t.equal(instances, 4, 'three instances, and one that read the builtins (as an instance rebuilt after an evaluation error is)');
});
