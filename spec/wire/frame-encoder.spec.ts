import { FrameTooLargeError } from '../../src/errors/local-errors.js';
import { encodeFrame, frameHeader } from '../../src/wire/frame-encoder.js';

describe('frame encoder', () => {
  it('prefixes the body with its big-endian uint32 length', () => {
    expect([...encodeFrame(Uint8Array.of(0xa0))]).toEqual([0, 0, 0, 1, 0xa0]);
    expect([...frameHeader(0x01020304, 0x7fffffff)]).toEqual([1, 2, 3, 4]);
  });

  it('refuses a body above the cap', () => {
    expect(() => frameHeader(11, 10)).toThrow(FrameTooLargeError);
  });
});
