import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { importedFunctionCount, memoryPagesNeeded } from '../../dist/engine/wasm-binary.js';
import { repoRoot } from '../helpers/policies.js';

/** Unsigned LEB128 (for these small, non-negative numbers also the signed encoding). */
const leb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>>= 7;
    if (n === 0 && !(b & 0x40)) return [...out, b];
    out.push(b | 0x80);
  }
};
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const name = (s: string): number[] => [...leb(s.length), ...Buffer.from(s)];

/** A module importing env.memory with a declared minimum of `min` pages and one active data segment. */
function moduleWith(min: number, offset: number, length: number): Uint8Array {
  const imports = section(2, [1, ...name('env'), ...name('memory'), 2, 0, ...leb(min)]);
  const data = section(11, [1, 0, 0x41, ...leb(offset), 0x0b, ...leb(length), ...new Array<number>(length).fill(7)]);
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...imports, ...data]);
}

const links = (bytes: Uint8Array, pages: number): boolean => {
  try {
    new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory: new WebAssembly.Memory({ initial: pages }) } });
    return true;
  } catch {
    return false;
  }
};

t.test('the minimum covers data segments beyond the declared memory minimum', async (t) => {
  const bytes = moduleWith(1, 70_000, 16);
  t.equal(links(bytes, 1), false, 'the declared minimum is too small for the data');
  t.equal(memoryPagesNeeded(bytes), 2);
  t.equal(links(bytes, memoryPagesNeeded(bytes)), true);
});

t.test('the declared minimum when the data fits in it', async (t) => {
  t.equal(memoryPagesNeeded(moduleWith(3, 100, 16)), 3);
});

t.test('the imported functions counted as the JS API lists them', async (t) => {
  t.equal(importedFunctionCount(moduleWith(1, 100, 16)), 0, 'a module importing only its memory');
  const shipped = readFileSync(join(repoRoot, 'wasm', 'policy.wasm'));
  const listed = WebAssembly.Module.imports(new WebAssembly.Module(shipped)).filter((i) => i.kind === 'function').length;
  t.ok(listed > 0);
  t.equal(importedFunctionCount(shipped), listed, `the shipped policy's ${listed}`);
});
