/**
 * Where random bytes come from: a CSPRNG by default (Web Crypto, available
 * in browsers and Node ≥ 20 as `globalThis.crypto`). Injectable so tests
 * can use deterministic ids.
 */
export type RandomSource = (length: number) => Uint8Array;

/** `crypto.getRandomValues`, in the 64 KiB pieces it accepts. */
export const cryptoRandom: RandomSource = (length) => {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65536) {
    globalThis.crypto.getRandomValues(bytes.subarray(offset, Math.min(length, offset + 65536)));
  }
  return bytes;
};
