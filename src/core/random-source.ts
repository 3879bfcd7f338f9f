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

/**
 * A CSPRNG source for small, frequent draws (query, SURB and message ids):
 * bytes come from a pool refilled 4 KiB at a time, so a request costs a
 * slice instead of a `getRandomValues` call (a few percent of a local
 * request's CPU in the bench/ profiles). Every byte is handed out once.
 * Draws above 64 bytes bypass the pool. Not for key material: seeds use
 * {@link cryptoRandom}, which leaves nothing behind in a long-lived buffer.
 *
 * @example
 * const ids = new IdGenerator(pooledCryptoRandom());
 */
export function pooledCryptoRandom(poolBytes = 4096): RandomSource {
  const pool = new Uint8Array(poolBytes);
  let used = poolBytes;
  return (length) => {
    if (length > 64) return cryptoRandom(length);
    if (used + length > poolBytes) {
      globalThis.crypto.getRandomValues(pool);
      used = 0;
    }
    const bytes = pool.slice(used, used + length);
    used += length;
    return bytes;
  };
}
