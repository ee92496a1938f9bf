import { WasmgateError } from '../errors.js';
import { Reader } from './wasm-binary.js';
import { Chunks, leb, rewriteModule } from './wasm-rewrite.js';

/**
 * Where the stop flag lives: the lowest word of memory. OPA's modules put their stack first, below
 * their data, growing down towards address 0, so this is the last word the stack would reach; a stack
 * that deep has failed anyway (and a flag it set stops the evaluation, which fails closed).
 */
export const stopFlagAddress = 0;

/** A memory import declared shared, up to 4 GiB when it declared no maximum: the host's memory sets the real ceiling. */
const sharedMaximumPages = 65536;

/** What runs at the head of every loop: `if (i32.load (i32.const 0)) unreachable`. */
const stopCheck = Uint8Array.of(0x41, stopFlagAddress, 0x28, 0x02, 0x00, 0x04, 0x40, 0x00, 0x0b);

function fail(why: string): WasmgateError {
  return new WasmgateError('BUNDLE_INVALID', `cannot make the WASM module stoppable: ${why}`);
}

/** The import section with its memory import declared shared. */
function shareMemoryImport(bytes: Uint8Array, start: number, end: number): { content: Chunks; found: boolean } {
  const c = new Reader(bytes, start);
  const count = c.u32();
  const content = new Chunks();
  content.push(leb(count));
  let found = false;
  for (let i = 0; i < count; i++) {
    const entryStart = c.pos;
    c.skipName();
    c.skipName();
    const kind = c.byte();
    if (kind === 2) {
      content.push(bytes.subarray(entryStart, c.pos));
      const flags = c.byte();
      const min = c.u32();
      const max = flags & 1 ? c.u32() : sharedMaximumPages;
      content.push(Uint8Array.of(0x03), leb(min), leb(max));
      found = true;
      continue;
    }
    if (kind === 0) c.skip();
    else if (kind === 1) {
      c.byte();
      if (c.byte() & 1) c.skip(2);
      else c.skip();
    } else if (kind === 3) c.pos += 2;
    else throw fail(`unknown import kind ${kind}`);
    content.push(bytes.subarray(entryStart, c.pos));
  }
  if (c.pos !== end) throw fail('the import section has bytes after its last entry');
  return { content, found };
}

/**
 * The module rewritten so that another thread can stop it: its imported memory declared shared (the
 * host gives it a shared memory), and at the head of every loop a check of the word at
 * `stopFlagAddress`, trapping (unreachable) once it is non-zero. Without a loop a function runs a
 * bounded number of instructions, and recursion ends at the stack's limit, so a set flag stops any
 * evaluation within a loop iteration or two. Only modules that import their memory can be shared.
 */
export function interruptible(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  let shared = false;
  const rewritten = rewriteModule(bytes, {
    hooks: { atLoop: () => stopCheck },
    section: (id, module, start, end) => {
      if (id !== 2) return undefined;
      const imports = shareMemoryImport(module, start, end);
      shared = imports.found;
      return imports.content;
    },
    fail,
  });
  if (!shared) throw fail('it does not import its memory');
  return rewritten;
}
