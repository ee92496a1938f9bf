import { WasmgateError } from '../errors.js';
import { Reader } from './wasm-binary.js';

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

/** Block types written as one byte: empty, and the value types. */
const oneByteBlockTypes = new Set([0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

function fail(why: string): WasmgateError {
  return new WasmgateError('BUNDLE_INVALID', `cannot make the WASM module stoppable: ${why}`);
}

function leb(value: number): Uint8Array {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return Uint8Array.from(out);
}

/** Output as a list of byte runs (mostly views of the input), joined once at the end. */
class Chunks {
  readonly parts: Uint8Array[] = [];
  length = 0;

  push(...parts: Uint8Array[]): void {
    for (const part of parts) {
      this.parts.push(part);
      this.length += part.length;
    }
  }

  /** A section: its id, its size, then these runs. */
  section(id: number, content: Chunks): void {
    this.push(Uint8Array.of(id), leb(content.length), ...content.parts);
  }

  join(): Uint8Array<ArrayBuffer> {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const part of this.parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

/** The immediates of the 0xFC-prefixed instructions (saturating truncations, bulk memory and tables), as LEB128 numbers to skip. */
function prefixedImmediates(sub: number): number {
  if (sub <= 7) return 0;
  if (sub === 8 || sub === 10 || sub === 12 || sub === 14) return 2;
  if (sub <= 17) return 1;
  throw fail(`unknown instruction 0xfc ${sub}`);
}

/**
 * A function body with the stop check at the head of each of its loops. Every instruction is decoded
 * (to tell a loop opcode from an immediate that happens to equal it); instructions of proposals that
 * OPA's modules do not use (exceptions, tail calls, SIMD, threads) are refused rather than guessed at.
 */
function instrumentBody(bytes: Uint8Array, start: number, end: number, out: Chunks): void {
  const c = new Reader(bytes, start);
  const localGroups = c.u32();
  for (let i = 0; i < localGroups; i++) {
    c.skip();
    c.byte();
  }
  let copied = start;
  const flush = (to: number) => {
    out.push(bytes.subarray(copied, to));
    copied = to;
  };
  while (c.pos < end) {
    const op = c.byte();
    if (op === 0x02 || op === 0x03 || op === 0x04) {
      if (oneByteBlockTypes.has(bytes[c.pos]!)) c.pos++;
      else c.skip();
      if (op === 0x03) {
        flush(c.pos);
        out.push(stopCheck);
      }
    } else if (op === 0x0c || op === 0x0d || op === 0x10 || (op >= 0x20 && op <= 0x26) || op === 0x3f || op === 0x40 || op === 0x41 || op === 0x42 || op === 0xd2) c.skip();
    else if (op === 0x0e) c.skip(c.u32() + 1);
    else if (op === 0x11 || (op >= 0x28 && op <= 0x3e)) c.skip(2);
    else if (op === 0x1c) c.skipName();
    else if (op === 0x43) c.pos += 4;
    else if (op === 0x44) c.pos += 8;
    else if (op === 0xd0) c.pos += 1;
    else if (op === 0xfc) c.skip(prefixedImmediates(c.u32()));
    else if (!(op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || (op >= 0x45 && op <= 0xc4) || op === 0xd1)) {
      throw fail(`instruction 0x${op.toString(16)} is not one wasmgate can step through`);
    }
  }
  if (c.pos !== end) throw fail('a function body ends inside an instruction');
  flush(end);
}

/** The code section's content with every body instrumented. */
function instrumentCode(bytes: Uint8Array, start: number, end: number): Chunks {
  const c = new Reader(bytes, start);
  const count = c.u32();
  const content = new Chunks();
  content.push(leb(count));
  for (let i = 0; i < count; i++) {
    const size = c.u32();
    const body = new Chunks();
    instrumentBody(bytes, c.pos, c.pos + size, body);
    content.push(leb(body.length), ...body.parts);
    c.pos += size;
  }
  if (c.pos !== end) throw fail('the code section has bytes after its last body');
  return content;
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
  const out = new Chunks();
  out.push(bytes.subarray(0, 8));
  const c = new Reader(bytes, 8);
  let shared = false;
  while (c.pos < bytes.length) {
    const sectionStart = c.pos;
    const id = c.byte();
    const size = c.u32();
    const start = c.pos;
    const end = start + size;
    if (id === 2) {
      const imports = shareMemoryImport(bytes, start, end);
      shared = imports.found;
      out.section(2, imports.content);
    } else if (id === 10) out.section(10, instrumentCode(bytes, start, end));
    else out.push(bytes.subarray(sectionStart, end));
    c.pos = end;
  }
  if (!shared) throw fail('it does not import its memory');
  return out.join();
}
