import { ProtocolError } from '../../errors/local-errors.js';

/**
 * The header `pigeonhole-cp send` puts before the file content, inside the
 * framed stream (`writeStream$`):
 *
 *     magic "KPCP" (4) | version 1 (1) | flags 0 (1) | size u64 BE (8)
 *     | BLAKE2b-256 of the content (32) | name length u16 BE (2) | name (UTF-8)
 *
 * Binary and fixed-layout so the receiver can bound every field before
 * trusting it; the name is only a suggestion (the receiver sanitises it).
 */
export interface FileHeader {
  readonly name: string;
  readonly size: number;
  /** BLAKE2b-256 (32-byte digest parameter) of the file content. */
  readonly digest: Uint8Array;
}

const MAGIC = [0x4b, 0x50, 0x43, 0x50]; // "KPCP"
const VERSION = 1;
const FIXED_LENGTH = 4 + 1 + 1 + 8 + 32 + 2;
/** Names are cut to this many UTF-8 bytes by the sender (the receiver allows 255 after sanitising). */
export const MAX_HEADER_NAME_BYTES = 1024;

/**
 * Encodes a header.
 *
 * @example
 * const header = encodeFileHeader({ name: 'report.pdf', size: content.length, digest: blake2b256(content) });
 */
export function encodeFileHeader(header: FileHeader): Uint8Array {
  let name = new TextEncoder().encode(header.name);
  if (name.length > MAX_HEADER_NAME_BYTES) name = name.subarray(0, MAX_HEADER_NAME_BYTES);
  if (header.digest.length !== 32) throw new RangeError('digest: expected 32 bytes');
  if (!Number.isSafeInteger(header.size) || header.size < 0) throw new RangeError('size: expected a non-negative safe integer');
  const out = new Uint8Array(FIXED_LENGTH + name.length);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  out[5] = 0;
  view.setBigUint64(6, BigInt(header.size), false);
  out.set(header.digest, 14);
  view.setUint16(46, name.length, false);
  out.set(name, FIXED_LENGTH);
  return out;
}

/**
 * Parses a header from the start of `bytes`: `null` if more bytes are
 * needed, else the header and its length. Throws `ProtocolError` for a
 * stream that is not a pigeonhole-cp file.
 *
 * @example
 * const parsed = parseFileHeader(firstChunk); // { header, length } | null
 */
export function parseFileHeader(bytes: Uint8Array): { header: FileHeader; length: number } | null {
  for (let i = 0; i < MAGIC.length && i < bytes.length; i++) {
    if (bytes[i] !== MAGIC[i]) throw new ProtocolError('not a pigeonhole-cp stream (bad magic)');
  }
  if (bytes.length < FIXED_LENGTH) return null;
  if (bytes[4] !== VERSION) throw new ProtocolError(`pigeonhole-cp header version ${bytes[4]} is not supported`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = view.getBigUint64(6, false);
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new ProtocolError('pigeonhole-cp header: size out of range');
  const nameLength = view.getUint16(46, false);
  if (nameLength > MAX_HEADER_NAME_BYTES) throw new ProtocolError('pigeonhole-cp header: name too long');
  if (bytes.length < FIXED_LENGTH + nameLength) return null;
  // Invalid UTF-8 becomes U+FFFD: the sanitiser deals with the result.
  const name = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(FIXED_LENGTH, FIXED_LENGTH + nameLength));
  return { header: { name, size: Number(size), digest: bytes.slice(14, 46) }, length: FIXED_LENGTH + nameLength };
}
