import { cryptoRandom, pooledCryptoRandom } from '../../src/core/random-source.js';

describe('random sources', () => {
  it('pooledCryptoRandom hands out every pooled byte once, in fresh arrays, across refills', () => {
    const random = pooledCryptoRandom(64);
    const draws = Array.from({ length: 40 }, () => random(16));
    for (const draw of draws) expect(draw).toHaveLength(16);
    // Separate memory: changing one draw changes no other.
    draws[0]!.fill(0xaa);
    expect(draws.slice(1).some((d) => d.every((b) => b === 0xaa))).toBe(false);
    // 40 draws of 128 random bits: any repeat means bytes were reused.
    expect(new Set(draws.map((d) => Buffer.from(d).toString('hex'))).size).toBe(40);
  });

  it('pooledCryptoRandom serves draws larger than its small-draw limit directly', () => {
    const random = pooledCryptoRandom(128);
    expect(random(100)).toHaveLength(100);
    expect(random(70_000)).toHaveLength(70_000);
  });

  it('cryptoRandom fills lengths above the 64 KiB getRandomValues limit', () => {
    const bytes = cryptoRandom(200_000);
    expect(bytes).toHaveLength(200_000);
    // The last piece was filled too (all-zero 64 KiB from a CSPRNG does not happen).
    expect(bytes.subarray(131_072).some((b) => b !== 0)).toBe(true);
  });
});
