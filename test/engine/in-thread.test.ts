// workers: 0, the engine that evaluates in the calling thread: the same answers as the pool, and the
// same deadlines, kept by a watchdog thread stopping the interruptible module (interruptible.ts).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { Engine, loadBundle } from '../../dist/engine/index.js';
import { interruptible, stopFlagAddress } from '../../dist/engine/interruptible.js';
import { isWasmgateError } from '../../dist/errors.js';
import { loadFixtures } from '../../dist/harness/fixtures.js';
import { compilePolicies, projectFixtureDirs, repoRoot } from '../helpers/policies.js';

const echo = await compilePolicies(join(repoRoot, 'test', 'server', 'policies', 'echo'));
const shipped = join(repoRoot, 'wasm');
/** The shipped bundle's own data, which any engine on it accepts. */
const loadedData = JSON.parse(readFileSync(join(shipped, 'data.json'), 'utf8')) as unknown;

function review(name: string, spec: Record<string, unknown> = {}) {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: { uid: name, object: { metadata: { name }, spec } } };
}
/** An evaluation that would run for minutes: only a deadline ends it. */
const stuck = (name: string) => review(name, { spin: 200000 });
const errorOf = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e);

/** A module importing env.memory with one function, `run`, whose body (without locals) is `code`. */
function moduleWith(code: number[]): Uint8Array {
  const body = [0x00, ...code];
  const section = (id: number, content: number[]) => [id, content.length, ...content];
  const name = (text: string) => [text.length, ...Buffer.from(text)];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [0x01, 0x60, 0x00, 0x00]),
    ...section(2, [0x01, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [0x01, 0x00]),
    ...section(7, [0x01, ...name('run'), 0x00, 0x00]),
    ...section(10, [0x01, body.length, ...body]),
  ]);
}
const forever = moduleWith([0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b]); // loop br 0 end end

t.test('the interruptible module: a loop that never ends stops once another thread sets the flag', async (t) => {
  const rewritten = interruptible(forever);
  t.ok(WebAssembly.validate(rewritten), 'it validates');
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  const run = new WebAssembly.Instance(new WebAssembly.Module(rewritten), { env: { memory } }).exports.run as () => void;
  const setter = new Worker(
    'const { workerData } = require("node:worker_threads"); setTimeout(() => Atomics.store(new Int32Array(workerData, 0, 1), 0, 7), 100);',
    { eval: true, workerData: memory.buffer },
  );
  t.teardown(() => setter.terminate());
  await new Promise((resolve) => setter.once('online', resolve));
  t.throws(run, /unreachable/, 'it traps at the flag');
  t.equal(Atomics.load(new Int32Array(memory.buffer as unknown as SharedArrayBuffer), 0), 7, 'the flag is the watchdog’s word');
});

t.test('the rewrite refuses what it cannot step through, and keeps OPA modules whole', async (t) => {
  t.throws(() => interruptible(Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0)), { code: 'BUNDLE_INVALID', message: /does not import its memory/ });
  t.throws(() => interruptible(moduleWith([0xfd, 0x0c, 0x0b])), { code: 'BUNDLE_INVALID', message: /instruction 0xfd/ });
  const bytes = readFileSync(join(shipped, 'policy.wasm'));
  const rewritten = interruptible(bytes);
  t.ok(WebAssembly.validate(rewritten), 'the shipped policy, rewritten, validates');
  t.same(WebAssembly.Module.imports(new WebAssembly.Module(rewritten)), WebAssembly.Module.imports(new WebAssembly.Module(bytes)), 'with the same imports');
  const loops = (rewritten.length - bytes.length) / 9;
  t.ok(loops > 100, `a check in each of its loops (about ${Math.round(loops)})`);
});

t.test('workers 0 decides and mutates as the pool does', async (t) => {
  const inThread = await Engine.load({ bundle: shipped, workers: 0 });
  const pooled = await Engine.load({ bundle: shipped, workers: 1 });
  t.teardown(() => Promise.all([inThread.close(), pooled.close()]));
  await inThread.ready();
  t.equal(inThread.workers, 0);
  const { cases } = await loadFixtures(projectFixtureDirs());
  t.ok(cases.length > 50, `${cases.length} fixtures`);
  for (const c of cases) {
    const where = `${c.source.file}#${c.source.document}`;
    const body = Buffer.from(JSON.stringify(c.review));
    t.same(await inThread.evaluate(body), await pooled.evaluate(body), `${where}: the same decision`);
    t.same(await inThread.mutate(body), await pooled.mutate(body), `${where}: the same mutation`);
  }
  t.equal(inThread.stats().workers, 0);
  t.ok(inThread.stats().wasmMemoryBytes[0]! >= 64 * 1024, 'its instance reports its memory');
});

t.test('a stop left in the flag by an evaluation that just finished stops nothing else: not a data check, nor an evaluation without a deadline', async (t) => {
  const engine = await Engine.load({ bundle: shipped, workers: 0 });
  t.teardown(() => engine.close());
  await engine.ready();
  // What the watchdog writes when a deadline comes just as its evaluation ends: that evaluation's number.
  const staleStop = () => {
    const { memory } = (engine as unknown as { runner: { inThread: { evaluator: { memory: WebAssembly.Memory } } } }).runner.inThread.evaluator;
    Atomics.store(new Int32Array(memory.buffer, stopFlagAddress, 1), 0, 99);
  };
  const body = review('sync');
  const decision = await engine.evaluate(body);
  staleStop();
  t.same(engine.evaluateSync(body), decision, 'evaluateSync decides');
  staleStop();
  t.same(engine.mutateSync(body), await engine.mutate(body), 'mutateSync defaults');
  staleStop();
  t.doesNotThrow(() => engine.setData(loadedData), 'new data is checked and taken');
  t.same(await engine.evaluate(body), decision, 'and the next evaluation answers');
});

t.test('an evaluation past its deadline is stopped, and the next one answered', async (t) => {
  const engine = await Engine.load({ bundle: echo, workers: 0, timeoutMs: 200 });
  t.teardown(() => engine.close());
  await engine.ready();
  const started = performance.now();
  const err = await errorOf(engine.evaluate(stuck('stuck')));
  const took = performance.now() - started;
  t.ok(isWasmgateError(err, 'EVAL_TIMEOUT'), `typed timeout (got ${String(err)})`);
  t.match((err as Error).message, /exceeded its deadline of 200 ms/);
  t.ok(took >= 195 && took < 2000, `stopped at its deadline (${Math.round(took)} ms)`);
  t.same(await engine.evaluate(review('after', { violations: [{ policy: 'p', message: 'no', action: 'deny' }] })), {
    allowed: false,
    violations: [{ policy: 'p', message: 'no', action: 'deny' }],
  }, 'the rebuilt instance answers');
  const again = await errorOf(engine.mutate(stuck('stuck-mutation')));
  t.ok(isWasmgateError(again, 'EVAL_TIMEOUT'), 'mutations have the same deadline, and a second stop works on the new instance');
  t.same((await engine.evaluate(review('last'))).allowed, true);
});

t.test("a request's budget stops it sooner, and a spent one sheds it unevaluated", async (t) => {
  const engine = await Engine.load({ bundle: echo, workers: 0, timeoutMs: 5000 });
  t.teardown(() => engine.close());
  await engine.ready();
  const started = performance.now();
  const err = await errorOf(engine.evaluate(stuck('budgeted'), { deadline: started + 150 }));
  t.ok(isWasmgateError(err, 'EVAL_TIMEOUT'), `stopped (got ${String(err)})`);
  t.match((err as Error).message, /stopped at the end of its request's budget/);
  t.ok(performance.now() - started < 2000, 'at its budget, not the evaluation deadline');
  const shed = await errorOf(engine.evaluate(review('late'), { deadline: performance.now() - 1 }));
  t.ok(isWasmgateError(shed, 'OVERLOADED'), `shed (got ${String(shed)})`);
});

t.test('many short evaluations under a short deadline are never stopped by a stale stop', async (t) => {
  const engine = await Engine.load({ bundle: echo, workers: 0, timeoutMs: 20 });
  t.teardown(() => engine.close());
  await engine.ready();
  for (let i = 0; i < 300; i++) {
    if (i % 50 === 0) await errorOf(engine.evaluate(stuck(`stuck-${i}`)));
    t.equal((await engine.evaluate(review(`ok-${i}`, { spin: 50 }))).allowed, true);
  }
});

t.test('data, memory ceiling and closing', async (t) => {
  const bundle = await loadBundle(echo);
  const engine = await Engine.load({ bundle: echo, workers: 0, memoryLimitBytes: 8 * 1024 * 1024 });
  await engine.ready();
  engine.setData({ ...(bundle.data as object), config: { revision: 'r2' } });
  const shown = await engine.evaluate(review('rev', { showRevision: true }));
  t.match(shown.violations[0]?.message, /r2/, 'new data reaches the evaluations');
  const big = await errorOf(engine.evaluate(review('big', { spin: 3_000_000 })));
  t.ok(isWasmgateError(big, 'MEMORY_LIMIT'), `the ceiling holds (got ${String(big)})`);
  t.equal((await engine.evaluate(review('small'))).allowed, true, 'a fresh instance answers after it');
  await engine.close();
  t.ok(isWasmgateError(await errorOf(engine.evaluate(review('closed'))), 'ENGINE_CLOSED'));
});

t.test('a watchdog thread that dies is started again, and stops the next stuck evaluation', async (t) => {
  const engine = await Engine.load({ bundle: echo, workers: 0, timeoutMs: 200 });
  t.teardown(() => engine.close());
  await engine.ready();
  // The engine's watchdog (private to it: reached here only to kill its thread).
  const watchdog = (engine as unknown as { runner: { inThread: { watchdog: { worker: Worker; ready(): Promise<void> } } } }).runner.inThread.watchdog;
  const first = watchdog.worker;
  await first.terminate();
  while (watchdog.worker === first) await new Promise((resolve) => setImmediate(resolve));
  await watchdog.ready();
  const err = await errorOf(engine.evaluate(stuck('after-restart')));
  t.ok(isWasmgateError(err, 'EVAL_TIMEOUT'), `stopped by the new thread (got ${String(err)})`);
});

t.test('the evaluations asked for in one turn run together, before any caller goes on', async (t) => {
  const engine = await Engine.load({ bundle: echo, workers: 0 });
  t.teardown(() => engine.close());
  await engine.ready();
  const seen: string[] = [];
  const asked = ['a', 'b'].map((name) =>
    engine
      .decideReview(Buffer.from(JSON.stringify(review(name))), () => {
        seen.push(`${name} evaluated`);
        return true;
      })
      .then((decision) => seen.push(`${name} answered: ${String(decision?.allowed)}`)),
  );
  seen.push('both asked');
  await Promise.all(asked);
  t.same(seen, ['both asked', 'a evaluated', 'b evaluated', 'a answered: true', 'b answered: true']);
});

t.test('what was asked for before new data or a close is decided first, on the data it was asked on', async (t) => {
  const bundle = await loadBundle(echo);
  const engine = await Engine.load({ bundle: echo, workers: 0 });
  await engine.ready();
  engine.setData({ ...(bundle.data as object), config: { revision: 'r1' } });
  const before = engine.evaluate(review('before', { showRevision: true }));
  engine.setData({ ...(bundle.data as object), config: { revision: 'r2' } });
  const after = engine.evaluate(review('after', { showRevision: true }));
  const closing = engine.close();
  t.match((await before).violations[0]?.message, /revision r1/, 'asked before the new data');
  t.match((await after).violations[0]?.message, /revision r2/, 'asked after it, decided before the close');
  await closing;
});
