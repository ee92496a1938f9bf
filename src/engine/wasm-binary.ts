import { WasmgateError } from '../errors.js';

/**
 * The minimum size, in pages, of the memory a WASM module imports. OPA's modules import their memory
 * and declare a minimum that grows with the policy; an instance given less fails to link. The JS API
 * does not expose import limits, so this reads the binary's import section.
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
  while (pos < bytes.length) {
    const id = bytes[pos++]!;
    const size = u32();
    const end = pos + size;
    if (id !== 2) {
      pos = end;
      continue;
    }
    const count = u32();
    for (let i = 0; i < count; i++) {
      skipName();
      skipName();
      const kind = bytes[pos++]!;
      if (kind === 0) u32();
      else if (kind === 1) {
        pos++;
        limits();
      } else if (kind === 2) return limits();
      else if (kind === 3) pos += 2;
      else throw fail(`unknown import kind ${kind}`);
    }
    return 0;
  }
  return 0;
}
