import { InvalidArgumentError } from '../errors/local-errors.js';

/**
 * A source of uniform random numbers in `[0, 1)`, the same contract as
 * `Math.random`, so tests can inject `() => 0` or a seeded generator.
 *
 * @inline
 * @example
 * const first: RandomSource = () => 0;
 * getService(doc, 'courier', first);
 */
export type RandomSource = () => number;

/**
 * The default {@link RandomSource}: 53 bits from the platform CSPRNG
 * (`crypto.getRandomValues`, in Node ≥ 19 and browsers). Which courier a
 * client picks is observable by the network, so it should not come from a
 * predictable generator such as `Math.random`.
 *
 * @example
 * const r = cryptoRandom(); // 0 <= r < 1
 */
export const cryptoRandom: RandomSource = () => {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  // 21 high bits of one word and 32 of the other: an exact 53-bit fraction.
  const hi = (words[0] ?? 0) >>> 11;
  const lo = words[1] ?? 0;
  return (hi * 2 ** 32 + lo) / 2 ** 53;
};

/**
 * A uniform integer in `[0, bound)` drawn from `random`; rejects a source
 * that returns something outside `[0, 1)`.
 *
 * @example
 * randomIndex(3, () => 0.5); // 1
 */
export function randomIndex(bound: number, random: RandomSource): number {
  const r = random();
  if (!(typeof r === 'number' && r >= 0 && r < 1)) {
    throw new InvalidArgumentError('random', 'the random source must return a number in [0, 1)');
  }
  return Math.floor(r * bound);
}
