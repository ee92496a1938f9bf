import { Reader } from './wasm-binary.js';

/** Unsigned LEB128, as sizes and counts are written. */
export function leb(value: number): Uint8Array {
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
export class Chunks {
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

/**
 * Instructions inserted into every function body of a module, given the function's position in the
 * code section (its index less the imported functions'); undefined inserts nothing. Each must leave
 * the stack as it found it.
 */
export interface BodyHooks {
  /** After the body's locals, before its first instruction. */
  readonly atEntry?: (body: number) => Uint8Array | undefined;
  /** At the head of each loop, so once per iteration. */
  readonly atLoop?: (body: number) => Uint8Array | undefined;
  /** Before each `call` and `call_indirect`. */
  readonly beforeCall?: (body: number) => Uint8Array | undefined;
  /** After each `call` and `call_indirect`, once the callee has returned. */
  readonly afterCall?: (body: number) => Uint8Array | undefined;
}

export interface Rewrite {
  readonly hooks: BodyHooks;
  /** A section other than the code section replaced: its new content, or undefined to keep it as it is. */
  readonly section?: (id: number, bytes: Uint8Array, start: number, end: number) => Chunks | undefined;
  /** The error for a module the rewrite cannot step through, saying why. */
  readonly fail: (why: string) => Error;
}

/** Block types written as one byte: empty, and the value types. */
const oneByteBlockTypes = new Set([0x40, 0x7f, 0x7e, 0x7d, 0x7c, 0x7b, 0x70, 0x6f]);

/** The immediates of the 0xFC-prefixed instructions (saturating truncations, bulk memory and tables), as LEB128 numbers to skip. */
function prefixedImmediates(sub: number, fail: Rewrite['fail']): number {
  if (sub <= 7) return 0;
  if (sub === 8 || sub === 10 || sub === 12 || sub === 14) return 2;
  if (sub <= 17) return 1;
  throw fail(`unknown instruction 0xfc ${sub}`);
}

/**
 * One function body with the hooks' instructions inserted. Every instruction is decoded (to tell a loop
 * or call opcode from an immediate that happens to equal it); instructions of proposals that OPA's
 * modules do not use (exceptions, tail calls, SIMD, threads) are refused rather than guessed at.
 */
function instrumentBody(bytes: Uint8Array, start: number, end: number, body: number, rewrite: Rewrite, out: Chunks): void {
  const { hooks, fail } = rewrite;
  const c = new Reader(bytes, start);
  const localGroups = c.u32();
  for (let i = 0; i < localGroups; i++) {
    c.skip();
    c.byte();
  }
  let copied = start;
  const insert = (at: number, code: Uint8Array | undefined) => {
    if (!code) return;
    out.push(bytes.subarray(copied, at), code);
    copied = at;
  };
  insert(c.pos, hooks.atEntry?.(body));
  while (c.pos < end) {
    const at = c.pos;
    const op = c.byte();
    if (op === 0x02 || op === 0x03 || op === 0x04) {
      if (oneByteBlockTypes.has(bytes[c.pos]!)) c.pos++;
      else c.skip();
      if (op === 0x03) insert(c.pos, hooks.atLoop?.(body));
    } else if (op === 0x10 || op === 0x11) {
      insert(at, hooks.beforeCall?.(body));
      c.skip(op === 0x10 ? 1 : 2);
      insert(c.pos, hooks.afterCall?.(body));
    } else if (op === 0x0c || op === 0x0d || (op >= 0x20 && op <= 0x26) || op === 0x3f || op === 0x40 || op === 0x41 || op === 0x42 || op === 0xd2) c.skip();
    else if (op === 0x0e) c.skip(c.u32() + 1);
    else if (op >= 0x28 && op <= 0x3e) c.skip(2);
    else if (op === 0x1c) c.skipName();
    else if (op === 0x43) c.pos += 4;
    else if (op === 0x44) c.pos += 8;
    else if (op === 0xd0) c.pos += 1;
    else if (op === 0xfc) c.skip(prefixedImmediates(c.u32(), fail));
    else if (!(op <= 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b || (op >= 0x45 && op <= 0xc4) || op === 0xd1)) {
      throw fail(`instruction 0x${op.toString(16)} is not one wasmgate can step through`);
    }
  }
  if (c.pos !== end) throw fail('a function body ends inside an instruction');
  out.push(bytes.subarray(copied, end));
}

/** The code section's content with every body instrumented. */
function instrumentCode(bytes: Uint8Array, start: number, end: number, rewrite: Rewrite): Chunks {
  const c = new Reader(bytes, start);
  const count = c.u32();
  const content = new Chunks();
  content.push(leb(count));
  for (let i = 0; i < count; i++) {
    const size = c.u32();
    const body = new Chunks();
    instrumentBody(bytes, c.pos, c.pos + size, i, rewrite, body);
    content.push(leb(body.length), ...body.parts);
    c.pos += size;
  }
  if (c.pos !== end) throw rewrite.fail('the code section has bytes after its last body');
  return content;
}

/** The module with its function bodies instrumented by the hooks and other sections as `section` replaces them. */
export function rewriteModule(bytes: Uint8Array, rewrite: Rewrite): Uint8Array<ArrayBuffer> {
  const out = new Chunks();
  out.push(bytes.subarray(0, 8));
  const c = new Reader(bytes, 8);
  while (c.pos < bytes.length) {
    const sectionStart = c.pos;
    const id = c.byte();
    const size = c.u32();
    const start = c.pos;
    const end = start + size;
    const replaced = id === 10 ? instrumentCode(bytes, start, end, rewrite) : rewrite.section?.(id, bytes, start, end);
    if (replaced) out.section(id, replaced);
    else out.push(bytes.subarray(sectionStart, end));
    c.pos = end;
  }
  return out.join();
}
