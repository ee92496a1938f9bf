import { WasmgateError } from '../errors.js';

const pageBytes = 64 * 1024;

function fail(why: string): WasmgateError {
  return new WasmgateError('BUNDLE_INVALID', `cannot read the WASM module: ${why}`);
}

/** A cursor over a module's bytes: LEB128 numbers, names, sections. */
export class Reader {
  constructor(
    readonly bytes: Uint8Array,
    /** From after the magic and version, by default. */
    public pos = 8,
  ) {}

  byte(): number {
    if (this.pos >= this.bytes.length) throw fail('truncated');
    return this.bytes[this.pos++]!;
  }

  u32(): number {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
  }

  s32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return shift < 32 && b & 0x40 ? result | (~0 << shift) : result;
  }

  /** Skips a length-prefixed run of bytes: a name, a list of one-byte types. */
  skipName(): void {
    const length = this.u32();
    this.pos += length;
  }

  /** Skips LEB128 numbers, signed or not. */
  skip(count = 1): void {
    for (let i = 0; i < count; i++) while (this.byte() & 0x80);
  }

  /** Limits (flags, min, max?): the minimum. */
  limitsMinimum(): number {
    const flags = this.byte();
    const min = this.u32();
    if (flags & 1) this.u32();
    return min;
  }

  /** Reads one import's description, after its kind byte: a memory's minimum pages, else undefined. */
  importDescription(kind: number): number | undefined {
    if (kind === 0) this.u32();
    else if (kind === 1) {
      this.byte();
      this.limitsMinimum();
    } else if (kind === 2) return this.limitsMinimum();
    else if (kind === 3) this.pos += 2;
    else throw fail(`unknown import kind ${kind}`);
    return undefined;
  }

  /** Moves to the start of the section with this id and returns its end, or undefined if there is none. */
  section(id: number): number | undefined {
    while (this.pos < this.bytes.length) {
      const sectionId = this.byte();
      const size = this.u32();
      if (sectionId === id) return this.pos + size;
      this.pos += size;
    }
    return undefined;
  }
}

/**
 * The minimum size, in pages, of the memory a WASM module imports. OPA's modules import their memory
 * and declare a minimum that grows with the policy; an instance given less fails to link. The JS API
 * does not expose import limits, so this reads the binary's import section.
 */
export function memoryImportMinimum(bytes: Uint8Array): number {
  const r = new Reader(bytes);
  if (r.section(2) === undefined) return 0;
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    r.skipName();
    r.skipName();
    const kind = r.byte();
    const minimum = r.importDescription(kind);
    if (kind === 2) return minimum!;
  }
  return 0;
}

/** How many functions the module imports: the index of its first own function. */
export function importedFunctionCount(bytes: Uint8Array): number {
  const r = new Reader(bytes);
  if (r.section(2) === undefined) return 0;
  let functions = 0;
  for (let n = r.u32(); n > 0; n--) {
    r.skipName();
    r.skipName();
    const kind = r.byte();
    r.importDescription(kind);
    if (kind === 0) functions++;
  }
  return functions;
}

/**
 * How far, in pages, the module's active data segments reach into its memory (those at constant
 * offsets; OPA's all are). An instance with less memory fails with "data segment is out of bounds",
 * whatever the import's declared minimum says.
 */
export function dataSegmentPages(bytes: Uint8Array): number {
  const r = new Reader(bytes);
  const end = r.section(11);
  if (end === undefined) return 0;
  let reach = 0;
  const count = r.u32();
  for (let i = 0; i < count; i++) {
    const flags = r.u32();
    let offset: number | undefined;
    if (flags === 0 || flags === 2) {
      if (flags === 2) r.u32();
      // The offset expression: i32.const n, end; anything else (global.get) is not a constant.
      if (r.byte() === 0x41) offset = r.s32() >>> 0;
      while (r.byte() !== 0x0b) if (r.pos >= end) throw fail('unterminated data segment offset');
    }
    const length = r.u32();
    r.pos += length;
    if (offset !== undefined) reach = Math.max(reach, offset + length);
  }
  return Math.ceil(reach / pageBytes);
}

/** The least memory, in pages, an instance of the module needs: its import's minimum, or its data's reach if further. */
export function memoryPagesNeeded(bytes: Uint8Array): number {
  return Math.max(memoryImportMinimum(bytes), dataSegmentPages(bytes));
}
