// wasm-rewrite.ts: instructions inserted at function entries, loop heads and call sites, each given
// the function's body number, as interruptible.ts (stop checks) and scripts/bench/calls.mjs (counters) use it.
import t from 'tap';
import { rewriteModule } from '../../dist/engine/wasm-rewrite.js';

const section = (id: number, content: number[]) => [id, content.length, ...content];
const name = (text: string) => [text.length, ...Buffer.from(text)];

/** Two functions over env.memory: `run` (body 0) loops three times, calling `helper` (body 1) each time. */
const run = [0x01, 0x01, 0x7f, 0x03, 0x40, 0x10, 0x01, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x22, 0x00, 0x41, 0x03, 0x48, 0x0d, 0x00, 0x0b, 0x0b];
const moduleWith = (helper: number[]) =>
  Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, [0x01, 0x60, 0x00, 0x00]),
    ...section(2, [0x01, ...name('env'), ...name('memory'), 0x02, 0x00, 0x01]),
    ...section(3, [0x02, 0x00, 0x00]),
    ...section(7, [0x01, ...name('run'), 0x00, 0x00]),
    ...section(10, [0x02, run.length, ...run, helper.length, ...helper]),
  ]);
const module = moduleWith([0x00, 0x0b]);

/** `memory[addr] += 1` (addresses below 64, one-byte constants). */
const increment = (addr: number) => Uint8Array.of(0x41, addr, 0x41, addr, 0x28, 0x02, 0x00, 0x41, 0x01, 0x6a, 0x36, 0x02, 0x00);
const fail = (why: string) => new Error(`test rewrite: ${why}`);

t.test('each hook runs where it is put, told which function it is in', async (t) => {
  const rewritten = rewriteModule(module, {
    hooks: {
      atEntry: (body) => increment(4 * body),
      atLoop: (body) => increment(16 + 4 * body),
      beforeCall: (body) => increment(32 + 4 * body),
      // memory[48] = the helper's entries less the calls made: 0 once the callee has returned, -1 before it ran.
      afterCall: (body) => Uint8Array.of(0x41, 48 + 4 * body, 0x41, 4, 0x28, 0x02, 0x00, 0x41, 32 + 4 * body, 0x28, 0x02, 0x00, 0x6b, 0x36, 0x02, 0x00),
    },
    fail,
  });
  t.ok(WebAssembly.validate(rewritten), 'the rewritten module validates');
  const memory = new WebAssembly.Memory({ initial: 1 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(rewritten), { env: { memory } });
  (instance.exports.run as () => void)();
  const [runEntered, helperEntered, , , runLoops, helperLoops, , , runCalls, helperCalls, , , afterRun] = new Int32Array(memory.buffer, 0, 13);
  t.same({ runEntered, helperEntered }, { runEntered: 1, helperEntered: 3 }, 'entries: run once, helper on each call');
  t.same({ runLoops, helperLoops }, { runLoops: 3, helperLoops: 0 }, 'loop heads: once per iteration');
  t.same({ runCalls, helperCalls }, { runCalls: 3, helperCalls: 0 }, 'calls: counted where they are made');
  t.equal(afterRun, 0, 'after each call the helper has run as many times as calls were made (before it, once fewer)');
});

t.test('hooks that insert nothing leave the module as it was; what it cannot step through fails as told', async (t) => {
  t.same(rewriteModule(module, { hooks: {}, fail }), module);
  t.same(rewriteModule(module, { hooks: { atLoop: () => undefined }, fail }), module);
  const simd = moduleWith([0x00, 0xfd, 0x0c, 0x0b]);
  t.throws(() => rewriteModule(simd, { hooks: {}, fail }), { message: /^test rewrite: instruction 0xfd/ });
});

t.test('another section is replaced by what `section` returns', async (t) => {
  const seen: number[] = [];
  const rewritten = rewriteModule(module, {
    hooks: {},
    section: (id) => {
      seen.push(id);
      return undefined;
    },
    fail,
  });
  t.same(seen, [1, 2, 3, 7], 'asked for every section but the code');
  t.same(rewritten, module);
});
