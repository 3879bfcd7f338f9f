import { SimRandom } from '../sim-random.js';

/**
 * XORs `bytes` in place with a keystream derived from `nonce`: the
 * simulator's stand-in for encryption, so plaintexts never appear in the
 * clear inside ciphertexts, envelopes or copy-stream elements. Applying it
 * twice restores the input. Not cryptography.
 *
 * @example
 * xorMask(nonce, body); // masked
 * xorMask(nonce, body); // clear again
 */
export function xorMask(nonce: Uint8Array, bytes: Uint8Array): void {
  const stream = new SimRandom(nonce);
  for (let i = 0; i < bytes.length; i += 4) {
    const word = stream.nextUint32();
    const end = Math.min(4, bytes.length - i);
    for (let j = 0; j < end; j++) bytes[i + j] = bytes[i + j]! ^ ((word >>> (8 * j)) & 0xff);
  }
}
