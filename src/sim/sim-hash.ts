import { blake2b } from '@noble/hashes/blake2.js';

const text = new TextEncoder();

/**
 * Domain-separated BLAKE2b for the simulator's fake cryptography: the
 * digest of `label` and `parts`, `length` bytes long (any length: blocks of
 * up to 64 bytes are chained). Deterministic, so derived caps, indexes and
 * keys are stable across runs.
 *
 * @example
 * simHash('bacap public', [privateSeed]); // 32 bytes
 */
export function simHash(label: string, parts: readonly Uint8Array[], length = 32): Uint8Array {
  const head = text.encode(`katzenpost-rx sim ${label}\u0000`);
  let total = head.length;
  for (const part of parts) total += 4 + part.length;
  const input = new Uint8Array(total + 4);
  input.set(head, 0);
  let offset = head.length;
  for (const part of parts) {
    // Length-prefix every part so that different splits never collide.
    new DataView(input.buffer).setUint32(offset, part.length, false);
    input.set(part, offset + 4);
    offset += 4 + part.length;
  }
  const out = new Uint8Array(length);
  for (let block = 0; block * 64 < length; block++) {
    new DataView(input.buffer).setUint32(offset, block, false);
    out.set(blake2b(input, { dkLen: Math.min(64, length - block * 64) }), block * 64);
  }
  return out;
}
