import { FrameTooLargeError } from '../../src/errors/local-errors.js';
import { encodeFrame, frameHeader, packFrame } from '../../src/wire/frame-encoder.js';
import { PACKED_FRAME_MAX_BODY } from '../../src/wire/frame-slab.js';

const seq = (n: number, from = 0) => Uint8Array.from({ length: n }, (_, i) => (from + i) & 0xff);

describe('frame encoder', () => {
  it('prefixes the body with its big-endian uint32 length', () => {
    expect([...encodeFrame(Uint8Array.of(0xa0))]).toEqual([0, 0, 0, 1, 0xa0]);
    expect([...frameHeader(0x01020304, 0x7fffffff)]).toEqual([1, 2, 3, 4]);
  });

  it('refuses a body above the cap', () => {
    expect(() => frameHeader(11, 10)).toThrow(FrameTooLargeError);
    expect(() => packFrame(seq(11), 10)).toThrow(FrameTooLargeError);
  });

  it('packs a small body with its header, byte-identical to encodeFrame', () => {
    for (const size of [0, 1, 300, PACKED_FRAME_MAX_BODY]) {
      expect(packFrame(seq(size, size))).toEqual(encodeFrame(seq(size, size)));
    }
  });

  it('refuses to pack a body above the packing limit (large bodies go uncopied)', () => {
    expect(() => packFrame(seq(PACKED_FRAME_MAX_BODY + 1))).toThrow(RangeError);
  });

  it('never hands out the same memory twice, across slab boundaries', () => {
    // Headers and packed frames share slabs: each piece must keep its bytes
    // while later pieces are cut (a transport may hold them until the socket drains).
    const pieces = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? frameHeader(i) : packFrame(seq(1000, i))));
    pieces.forEach((piece, i) => {
      if (i % 2 === 0) expect([...piece]).toEqual([0, 0, i >> 8, i & 0xff]);
      else expect(piece).toEqual(encodeFrame(seq(1000, i)));
    });
  });
});
