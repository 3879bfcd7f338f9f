import { fromBase64Url, toBase64Url } from '../../src/core/base64url.js';
import { ReadCapabilityFormatError } from '../../src/channels/channel-errors.js';
import { READ_CAPABILITY_PREFIX, encodeReadCapability, parseReadCapability } from '../../src/channels/read-capability.js';

const readCap = Uint8Array.from({ length: 136 }, (_, i) => (i * 7) & 0xff);
const startIndex = Uint8Array.from({ length: 104 }, (_, i) => (i * 13 + 5) & 0xff);

describe('base64url', () => {
  it('matches Node for every length 0..64 and round-trips', () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      const encoded = toBase64Url(bytes);
      expect(encoded).toBe(Buffer.from(bytes).toString('base64url'));
      expect(fromBase64Url(encoded)).toEqual(bytes);
    }
  });

  it.each(['A', 'ab+c', 'ab/c', 'ab=c', 'AB', 'ab c'])('rejects %j (bad character, length or trailing bits)', (bad) => {
    expect(fromBase64Url(bad)).toBeNull();
  });
});

describe('shared read capability strings', () => {
  it('round-trips a read cap and start index through a compact kprx1: string', () => {
    const text = encodeReadCapability({ readCap, startIndex });
    expect(text.startsWith(READ_CAPABILITY_PREFIX)).toBe(true);
    expect(text).toMatch(/^kprx1:[A-Za-z0-9_-]+$/);
    expect(text.length).toBe(332);
    expect(parseReadCapability(`  ${text}\n`)).toEqual({ readCap, startIndex });
  });

  it('refuses to encode anything but a 136-byte read cap (a write cap cannot leak this way)', () => {
    expect(() => encodeReadCapability({ readCap: new Uint8Array(168), startIndex })).toThrow(ReadCapabilityFormatError);
    expect(() => encodeReadCapability({ readCap, startIndex: new Uint8Array(103) })).toThrow(ReadCapabilityFormatError);
  });

  const good = encodeReadCapability({ readCap, startIndex });
  const flipped = good.slice(0, 40) + (good[40] === 'A' ? 'B' : 'A') + good.slice(41);
  it.each([
    ['empty', '', /expected the prefix/],
    ['another version', `kprx2:${good.slice(6)}`, /version 2 is not supported/],
    ['no prefix', good.slice(6), /expected the prefix/],
    ['bad characters', `${good.slice(0, 100)}!${good.slice(101)}`, /not base64url/],
    ['truncated', good.slice(0, 200), /expected 244 bytes|not base64url/],
    ['a typo', flipped, /checksum mismatch/],
  ])('rejects %s with a typed error that does not echo the input', (_what, input, message) => {
    let error: unknown;
    try {
      parseReadCapability(input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ReadCapabilityFormatError);
    expect((error as Error).message).toMatch(message);
    if (input.length > 20) expect((error as Error).message).not.toContain(input.slice(6, 30));
  });
});
