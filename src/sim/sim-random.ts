import { blake2b } from '@noble/hashes/blake2.js';

/**
 * The simulator's only source of randomness (latencies, Poisson slots,
 * AppIDs, instance tokens, courier choice, fresh "MKEM" nonces). Seeded, so
 * a run with the same `seed` and the same request timing is reproducible.
 *
 * Not cryptographic: the simulator protects nothing. xoshiro128** seeded
 * from BLAKE2b of the seed.
 *
 * @example
 * const random = new SimRandom('test-1');
 * random.exponential(1000); // a Poisson gap with mean 1 s
 */
export class SimRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: string | number | Uint8Array = randomSeed()) {
    const bytes = typeof seed === 'string' || typeof seed === 'number' ? new TextEncoder().encode(String(seed)) : seed;
    const h = blake2b(bytes, { dkLen: 16, personalization: new TextEncoder().encode('kprx-sim-random!') });
    const view = new DataView(h.buffer, h.byteOffset, h.byteLength);
    this.s0 = view.getUint32(0, true);
    this.s1 = view.getUint32(4, true);
    this.s2 = view.getUint32(8, true);
    this.s3 = view.getUint32(12, true) | 1; // never the all-zero state
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform number in [0, 1) with 53 random bits. */
  next(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** An exponentially distributed value with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** `length` random bytes. */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      const word = this.nextUint32();
      for (let j = 0; j < 4 && i + j < length; j++) out[i + j] = (word >>> (8 * j)) & 0xff;
    }
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function randomSeed(): Uint8Array {
  const seed = new Uint8Array(16);
  globalThis.crypto.getRandomValues(seed);
  return seed;
}
