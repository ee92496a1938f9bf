import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { WasmgateError } from '../errors.js';

const blockSize = 512;
const paddedSize = (size: number) => Math.ceil(size / blockSize) * blockSize;

/**
 * A ustar header block with another size: the size field (12 bytes at 124, octal) and the checksum
 * (8 bytes at 148) rewritten as OPA's Go archive/tar writes them, every other byte kept.
 */
function withSize(header: Uint8Array, size: number): Buffer {
  const block = Buffer.from(header);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'latin1');
  block.fill(' ', 148, 156, 'latin1');
  const checksum = block.reduce((sum, byte) => sum + byte, 0);
  block.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

/**
 * Replaces one file's contents in an OPA bundle (.tar.gz), in place; entries may be named
 * "/policy.wasm" or "policy.wasm". Every other entry, and the order, stays byte for byte as OPA
 * wrote it; only the replaced entry's size and header checksum change.
 */
export async function replaceBundleFile(tarball: string, name: string, contents: Uint8Array): Promise<void> {
  // Loaded here, as readBundleFiles does: a webhook serving a bundle directory never needs it (~4 MiB).
  const { Header } = await import('tar');
  const archive = gunzipSync(readFileSync(tarball));
  const parts: Uint8Array[] = [];
  let replaced = false;
  let offset = 0;
  while (offset + blockSize <= archive.length) {
    const block = archive.subarray(offset, offset + blockSize);
    if (block.every((byte) => byte === 0)) break;
    const header = new Header(block);
    if (!header.cksumValid) throw new WasmgateError('BUNDLE_INVALID', `${tarball}: the tar header at byte ${offset} is damaged`);
    const next = offset + blockSize + paddedSize(header.size ?? 0);
    if (header.type === 'File' && header.path?.replace(/^\/+/, '') === name) {
      parts.push(withSize(block, contents.length), contents, Buffer.alloc(paddedSize(contents.length) - contents.length));
      replaced = true;
    } else {
      parts.push(archive.subarray(offset, next));
    }
    offset = next;
  }
  if (!replaced) throw new WasmgateError('BUNDLE_INVALID', `${tarball} has no ${name}`);
  parts.push(archive.subarray(offset));
  writeFileSync(tarball, gzipSync(Buffer.concat(parts)));
}
