#!/usr/bin/env node
// `node scripts/bench/calls.mjs [--bundle DIR] [--bodies 0,5] [--sort attributed|issued|entered] [--top 40]
// [--filter RE] [--json]`, after `npm run build`: what a decision costs, counted instead of timed. A
// decision's time follows the WASM function calls it makes (~10 ns each on these machines; the JSON
// parser's loops are a small share), and counts do not move with a noisy neighbour: two builds of a
// policy compare exactly, where timing them needs many alternating rounds. The bundle's module is
// rewritten (src/engine/wasm-rewrite.ts) so that every function counts the times it runs ("entered") and
// the calls it makes ("issued"), and every rule the function entries made while it is the innermost rule
// running ("attributed": its own code and the runtime's work it asks for, not the rules it calls; the
// host's entry points `eval`, `opa_json_parse` and `opa_json_dump` count as rules, so the body's parse is
// opa_json_parse's). W2's bodies (default: all eight) are decided once each by the PolicyEvaluator the
// server uses, with the bundle's data prepared as the server prepares it. Prints the calls per decision,
// per body and in all, then the functions with the most, named from the module's name section (OPA's
// `g0.data.<package>.<rule>`, the runtime's `opa_*`). Not part of `npm run bench`.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { root } from './lib/paths.mjs';
import { webhookBodies } from './workloads/w2.mjs';

const argValue = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : process.argv[i + 1];
};
const usage = 'usage: node scripts/bench/calls.mjs [--bundle DIR] [--bodies 0,5] [--sort attributed|issued|entered] [--top 40] [--filter RE] [--json]';
if (process.argv.includes('--help')) {
  console.log(usage);
  process.exit(0);
}
/** Exits with `code` after saying why, without a stack trace. */
const refuse = (message, code = 2) => {
  console.error(message);
  process.exit(code);
};
const bundleDir = resolve(argValue('--bundle', join(root, 'wasm')));
const sort = argValue('--sort', 'attributed');
const top = Number(argValue('--top', '40'));
if (!['attributed', 'issued', 'entered'].includes(sort) || !Number.isInteger(top) || top < 0) refuse(usage);
let filter;
try {
  filter = new RegExp(argValue('--filter', '.'));
} catch (err) {
  refuse(`--filter: ${err.message}`);
}

const { loadBundle } = await import(join(root, 'dist', 'engine', 'bundle.js'));
const { PolicyEvaluator } = await import(join(root, 'dist', 'engine', 'evaluator.js'));
const { importedFunctionCount, Reader } = await import(join(root, 'dist', 'engine', 'wasm-binary.js'));
const { rewriteModule } = await import(join(root, 'dist', 'engine', 'wasm-rewrite.js'));

/** The number of function bodies, and the name section's function names by function index. */
function functionNames(bytes) {
  const names = new Map();
  let bodies = 0;
  const r = new Reader(bytes);
  while (r.pos < bytes.length) {
    const id = r.byte();
    const end = r.u32() + r.pos;
    if (id === 10) bodies = r.u32();
    else if (id === 0) {
      const length = r.u32();
      const custom = Buffer.from(bytes.subarray(r.pos, r.pos + length)).toString('utf8');
      r.pos += length;
      while (custom === 'name' && r.pos < end) {
        const sub = r.byte();
        const subEnd = r.u32() + r.pos;
        if (sub === 1) {
          for (let n = r.u32(); n > 0; n--) {
            const index = r.u32();
            const nameLength = r.u32();
            names.set(index, Buffer.from(bytes.subarray(r.pos, r.pos + nameLength)).toString('utf8'));
            r.pos += nameLength;
          }
        }
        r.pos = subEnd;
      }
    }
    r.pos = end;
  }
  return { names, bodies };
}

// The counters sit high in a memory of 256 MiB given whole at the start: OPA's heap grows upwards from
// its data and is checked below not to have reached them.
const pages = 4096;
const entered = 0x0f000000;
const issued = 0x0f400000;
const attributed = 0x0f800000;
/** Where the innermost rule's counter is: the address of its word in the attributed table. */
const current = 0x0fc00000;

/** A signed LEB128 `i32.const`. */
const constant = (value) => {
  const out = [0x41];
  for (let v = value; ; ) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const load = [0x28, 0x02, 0x00];
const store = [0x36, 0x02, 0x00];
const plusOne = [...constant(1), 0x6a];
/** `memory[addr] += 1`. */
const increment = (addr) => Uint8Array.of(...constant(addr), ...constant(addr), ...load, ...plusOne, ...store);
/** `memory[memory[current]] += 1`: one more for the innermost rule. */
const attribute = Uint8Array.of(...constant(current), ...load, ...constant(current), ...load, ...load, ...plusOne, ...store);
/** The innermost rule is this one again (on entry, and once each call it makes returns). */
const becomeCurrent = (body) => Uint8Array.of(...constant(current), ...constant(attributed + 4 * body), ...store);
const hostEntryPoints = new Set(['eval', 'opa_json_parse', 'opa_json_dump']);

const bundle = await loadBundle(bundleDir).catch((err) => refuse(`calls: ${err.message} (run npm run build first, or give --bundle DIR)`, 1));
const { names, bodies: bodyCount } = functionNames(bundle.wasm);
const imported = importedFunctionCount(bundle.wasm);
const isRule = (body) => {
  const name = names.get(body + imported) ?? '';
  return name.startsWith('g0.') || hostEntryPoints.has(name);
};
const module = new WebAssembly.Module(
  rewriteModule(bundle.wasm, {
    hooks: {
      atEntry: (body) => Uint8Array.of(...(isRule(body) ? becomeCurrent(body) : []), ...attribute, ...increment(entered + 4 * body)),
      beforeCall: (body) => increment(issued + 4 * body),
      afterCall: (body) => (isRule(body) ? becomeCurrent(body) : undefined),
    },
    fail: (why) => new Error(`cannot count the module's calls: ${why}`),
  }),
);
const evaluator = new PolicyEvaluator({ ...bundle, module, memoryMinPages: pages }, { limits: { initialPages: pages, maximumPages: pages } });

const work = mkdtempSync(join(tmpdir(), 'wasmgate-calls-'));
const files = webhookBodies(work);
const chosen = argValue('--bodies', files.map((_, i) => i).join(',')).split(',').map(Number);
if (chosen.some((i) => !Number.isInteger(i) || !files[i])) refuse(`--bodies: indices of W2's ${files.length} bodies (0–${files.length - 1})`);
const bodies = chosen.map((i) => ({ index: i, bytes: new Uint8Array(readFileSync(files[i])) }));
rmSync(work, { recursive: true, force: true });

const outside = bodyCount; // the attributed word of what runs before any rule has
/** A table of counters, one per function body and one for `outside`. */
const counters = (at) => new Int32Array(evaluator.memory.buffer, at, bodyCount + 1);
const totals = new Map();
const perBody = [];
for (const body of bodies) {
  for (const at of [entered, issued, attributed]) counters(at).fill(0);
  new Int32Array(evaluator.memory.buffer, current, 1)[0] = attributed + 4 * outside;
  const decision = evaluator.decideReview(body.bytes, () => true);
  // Reached through the evaluator's private instance: a bench script's look at its heap pointer.
  const heapTop = evaluator.policy.exports.opa_heap_ptr_get();
  if (heapTop >= entered) throw new Error(`the heap reached the counters (${heapTop} bytes): decide smaller bodies`);
  const [e, s, a] = [counters(entered), counters(issued), counters(attributed)];
  let calls = 0;
  for (let i = 0; i <= bodyCount; i++) {
    if (!e[i] && !s[i] && !a[i]) continue;
    calls += s[i];
    const name = i === outside ? '(before any rule)' : (names.get(i + imported) ?? `function ${i + imported}`);
    const sum = totals.get(name) ?? { entered: 0, issued: 0, attributed: 0 };
    totals.set(name, { entered: sum.entered + e[i], issued: sum.issued + s[i], attributed: sum.attributed + a[i] });
  }
  perBody.push({ body: body.index, bytes: body.bytes.byteLength, allowed: decision?.allowed, calls });
}
const allCalls = perBody.reduce((sum, b) => sum + b.calls, 0);
const perDecision = (n) => Math.round(n / bodies.length);
const functions = [...totals]
  .filter(([name]) => filter.test(name))
  .map(([name, c]) => ({ name, attributed: perDecision(c.attributed), issued: perDecision(c.issued), entered: perDecision(c.entered) }))
  .sort((a, b) => b[sort] - a[sort] || a.name.localeCompare(b.name))
  .slice(0, top);

if (process.argv.includes('--json')) {
  console.log(JSON.stringify({ bundle: bundleDir, callsPerDecision: perDecision(allCalls), bodies: perBody, functions }, null, 2));
} else {
  console.log(`${bundleDir}: ${perDecision(allCalls)} calls per decision over ${bodies.length} of W2's bodies`);
  console.log(perBody.map((b) => `  body ${b.body} (${b.bytes} bytes, ${b.allowed ? 'allowed' : 'denied'}): ${b.calls}`).join('\n'));
  console.log(`\nper decision, by ${sort}:\n| attributed | issued | entered | function |\n|---:|---:|---:|---|`);
  for (const f of functions) console.log(`| ${f.attributed} | ${f.issued} | ${f.entered} | ${f.name} |`);
}
