import { FrameTooLargeError } from '../../src/errors/local-errors.js';
import { WireSizes } from '../../src/wire/constants.js';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';

/**
 * Fixtures are built by this deliberately naive encoder, independent of
 * `encodeFrame`, so a bug shared by both sides cannot hide.
 */
function naiveFrame(body: number[]): number[] {
  const n = body.length;
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff, ...body];
}

const bodies = [[0xa0], [1, 2, 3, 4, 5, 6, 7], [], Array.from({ length: 300 }, (_, i) => i & 0xff), [0xff]];
const stream = Uint8Array.from(bodies.flatMap(naiveFrame));

function decodeAll(chunks: Uint8Array[]): number[][] {
  const decoder = new FrameDecoder();
  const out: number[][] = [];
  for (const chunk of chunks) decoder.push(chunk, (body) => out.push([...body]));
  expect(decoder.bufferedBytes).toBe(0);
  return out;
}

describe('FrameDecoder', () => {
  it('decodes a stream delivered in one chunk', () => {
    expect(decodeAll([stream])).toEqual(bodies);
  });

  it('decodes the stream split at every offset', () => {
    for (let split = 0; split <= stream.length; split++) {
      expect(decodeAll([stream.subarray(0, split), stream.subarray(split)])).toEqual(bodies);
    }
  });

  it('decodes the stream split at every pair of offsets', () => {
    for (let a = 0; a <= stream.length; a += 7) {
      for (let b = a; b <= stream.length; b += 5) {
        expect(decodeAll([stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)])).toEqual(bodies);
      }
    }
  });

  it('decodes the stream one byte at a time', () => {
    const chunks = Array.from(stream, (byte) => Uint8Array.of(byte));
    expect(decodeAll(chunks)).toEqual(bodies);
  });

  it('emits a frame as soon as its last byte arrives, not later', () => {
    const decoder = new FrameDecoder();
    const seen: number[] = [];
    const frame = Uint8Array.from(naiveFrame([9, 9]));
    decoder.push(frame.subarray(0, 5), () => seen.push(1));
    expect(seen).toEqual([]);
    decoder.push(frame.subarray(5), () => seen.push(2));
    expect(seen).toEqual([2]);
  });

  it('emits an empty body whose header ends a chunk', () => {
    const decoder = new FrameDecoder();
    const seen: number[] = [];
    decoder.push(Uint8Array.of(0, 0), () => seen.push(-1));
    decoder.push(Uint8Array.of(0, 0), (body) => seen.push(body.length));
    expect(seen).toEqual([0]);
  });

  it('refuses a length prefix above the 40 MiB cap before allocating, and stays failed', () => {
    const decoder = new FrameDecoder();
    const over = WireSizes.maxFrameBody + 1;
    const header = Uint8Array.of(over >>> 24, (over >>> 16) & 0xff, (over >>> 8) & 0xff, over & 0xff);
    expect(() => decoder.push(header, () => undefined)).toThrow(FrameTooLargeError);
    expect(() => decoder.push(Uint8Array.of(0), () => undefined)).toThrow(FrameTooLargeError);
    decoder.reset();
    const seen: number[][] = [];
    decoder.push(Uint8Array.from(naiveFrame([7])), (body) => seen.push([...body]));
    expect(seen).toEqual([[7]]);
  });

  it('refuses an oversize prefix split across chunks', () => {
    const decoder = new FrameDecoder(10);
    decoder.push(Uint8Array.of(0, 0), () => undefined);
    expect(() => decoder.push(Uint8Array.of(0, 11), () => undefined)).toThrow(/^frame length 11 exceeds the limit of 10 bytes/);
  });

  it('says "not a kpclientd thin-client endpoint" when the very first length is absurd (issue 13: an HTTP server)', () => {
    const http = new TextEncoder().encode('HTTP/1.1 400 Bad Request\r\n\r\n');
    for (const chunks of [[http], [http.subarray(0, 2), http.subarray(2)]]) {
      const decoder = new FrameDecoder();
      let thrown: unknown;
      try {
        for (const chunk of chunks) decoder.push(chunk, () => undefined);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(FrameTooLargeError);
      expect((thrown as Error).message).toBe(
        'frame length 1213486160 exceeds the limit of 41943040 bytes: this is not a kpclientd thin-client endpoint (it began with "HTTP") — check the address in the configuration',
      );
    }
  });

  it('does not blame the endpoint for an oversize frame after good ones', () => {
    const decoder = new FrameDecoder(10);
    decoder.push(Uint8Array.from(naiveFrame([1])), () => undefined);
    expect(() => decoder.push(Uint8Array.of(0, 0, 0, 11), () => undefined)).toThrow(new FrameTooLargeError(11, 10));
  });

  it('accepts a body of exactly the cap', () => {
    const decoder = new FrameDecoder(3);
    const seen: number[][] = [];
    decoder.push(Uint8Array.from(naiveFrame([1, 2, 3])), (body) => seen.push([...body]));
    expect(seen).toEqual([[1, 2, 3]]);
  });

  it('returns bodies that stay valid after later pushes (no reused buffer)', () => {
    const decoder = new FrameDecoder();
    const kept: Uint8Array[] = [];
    const a = Uint8Array.from(naiveFrame([1, 1, 1]));
    const b = Uint8Array.from(naiveFrame([2, 2, 2]));
    // a split frame (assembled) then a whole one (view)
    decoder.push(a.subarray(0, 5), (body) => kept.push(body));
    decoder.push(a.subarray(5), (body) => kept.push(body));
    decoder.push(b, (body) => kept.push(body));
    decoder.push(Uint8Array.from(naiveFrame([3, 3, 3])), (body) => kept.push(body));
    expect(kept.map((k) => [...k])).toEqual([
      [1, 1, 1],
      [2, 2, 2],
      [3, 3, 3],
    ]);
  });
});
