import { WasmgateError } from '../errors.js';

/**
 * The minimum size, in pages, of the memory a WASM module imports. OPA's modules import their memory
 * and declare a minimum that grows with the policy; an instance given less fails to link. That
 * declared minimum can fall short of the module's own data segments (a big policy's constants), so
 * the answer is the larger of the two. The JS API does not expose import limits or data segments,
 * so this reads the binary's import and data sections.
 */
export function memoryImportMinimum(bytes: Uint8Array): number {
  let pos = 8; // magic and version
  const fail = (why: string) => new WasmgateError('BUNDLE_INVALID', `cannot read the WASM module: ${why}`);
  const u32 = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (pos >= bytes.length) throw fail('truncated');
      const b = bytes[pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
    }
  };
  const skipName = () => {
    const length = u32();
    pos += length;
  };
  const limits = (): number => {
    const flags = bytes[pos++]!;
    const min = u32();
    if (flags & 1) u32();
    return min;
  };
  // An active segment's offset is a constant expression: i32.const <signed LEB128> end.
  const constOffset = (): number => {
    if (bytes[pos++] !== 0x41) throw fail('a data segment offset that is not an i32.const');
    const offset = u32();
    if (bytes[pos++] !== 0x0b) throw fail('a data segment offset expression without end');
    return offset;
  };
  let importMin = 0;
  let dataEnd = 0;
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const size = u32();
    const end = pos + size;
    if (id === 2) {
      const count = u32();
      for (let i = 0; i < count; i++) {
        skipName();
        skipName();
        const kind = bytes[pos++]!;
        if (kind === 0) u32();
        else if (kind === 1) {
          pos++;
          limits();
        } else if (kind === 2) importMin = limits();
        else if (kind === 3) pos += 2;
        else throw fail(`unknown import kind ${kind}`);
      }
    } else if (id === 11) {
      const count = u32();
      for (let i = 0; i < count; i++) {
        const flags = u32();
        if (flags === 2) u32();
        const offset = flags === 1 ? undefined : constOffset();
        const length = u32();
        pos += length;
        if (offset !== undefined) dataEnd = Math.max(dataEnd, offset + length);
      }
    }
    pos = end;
  }
  return Math.max(importMin, Math.ceil(dataEnd / 65536));
}
