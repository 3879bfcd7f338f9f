import { FrameTooLargeError } from '../errors/local-errors.js';
import { WireSizes } from './constants.js';

/*
 * Headers and small frames are cut from a shared slab, never reused: a
 * fresh 4-byte array per frame cost an ArrayBuffer (plus a DataView), and
 * Node's socket then needs its `.buffer` anyway — together about half a
 * microsecond of every request in the benchmark profiles (bench/, P1). A
 * slab lives as long as any piece cut from it.
 */
const SLAB_BYTES = 64 * 1024;
/** Bodies up to this size are packed with their header by {@link packFrame}. */
export const PACKED_FRAME_MAX_BODY = 4 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/** `size` fresh bytes (size ≤ the slab) that nobody else will write to. */
function cut(size: number): Uint8Array {
  if (slabUsed + size > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const piece = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return piece;
}

function writeLength(into: Uint8Array, length: number): void {
  into[0] = length >>> 24;
  into[1] = (length >>> 16) & 0xff;
  into[2] = (length >>> 8) & 0xff;
  into[3] = length & 0xff;
}

/**
 * The 4-byte big-endian length prefix for a frame body (PROTOCOL.md §1.1).
 * Returned separately so that the body need not be copied: transports
 * write `[header, body]` back to back. The result is a view of a larger
 * buffer that nobody else writes to.
 *
 * @example
 * stream.write([frameHeader(body.length), body]);
 */
export function frameHeader(bodyLength: number, maxBody: number = WireSizes.maxFrameBody): Uint8Array {
  if (bodyLength > maxBody) throw new FrameTooLargeError(bodyLength, maxBody);
  const header = cut(WireSizes.frameHeader);
  writeLength(header, bodyLength);
  return header;
}

/**
 * One frame (header ‖ body) for a small body (≤ {@link PACKED_FRAME_MAX_BODY}
 * bytes), cut from the shared slab: the transport then writes one buffer
 * instead of two, for the price of copying a few hundred bytes. Large
 * bodies go as `[frameHeader(n), body]`, uncopied.
 *
 * @example
 * stream.write(body.length <= PACKED_FRAME_MAX_BODY ? [packFrame(body)] : [frameHeader(body.length), body]);
 */
export function packFrame(body: Uint8Array, maxBody: number = WireSizes.maxFrameBody): Uint8Array {
  if (body.length > maxBody) throw new FrameTooLargeError(body.length, maxBody);
  if (body.length > PACKED_FRAME_MAX_BODY) throw new RangeError(`packFrame: ${body.length} bytes is above ${PACKED_FRAME_MAX_BODY}`);
  const frame = cut(WireSizes.frameHeader + body.length);
  writeLength(frame, body.length);
  frame.set(body, WireSizes.frameHeader);
  return frame;
}

/**
 * One contiguous frame (header ‖ body) in a buffer of its own. Copies the
 * body; prefer {@link frameHeader} plus a vectored write on hot paths.
 */
export function encodeFrame(body: Uint8Array, maxBody: number = WireSizes.maxFrameBody): Uint8Array {
  const frame = new Uint8Array(WireSizes.frameHeader + body.length);
  frame.set(frameHeader(body.length, maxBody), 0);
  frame.set(body, WireSizes.frameHeader);
  return frame;
}
