import { FrameTooLargeError } from '../errors/local-errors.js';
import { WireSizes } from './constants.js';
import { PACKED_FRAME_MAX_BODY, slabBytes } from './frame-slab.js';

/*
 * Frames (PROTOCOL.md §1.1): a 4-byte big-endian body length, then the
 * body. Bodies above the frame limit are refused before anything is
 * written. Where the bytes live is frame-slab.ts's concern.
 */

function checkBodyLength(bodyLength: number, maxBody: number): void {
  if (bodyLength > maxBody) throw new FrameTooLargeError(bodyLength, maxBody);
}

function writeLength(into: Uint8Array, length: number): void {
  into[0] = length >>> 24;
  into[1] = (length >>> 16) & 0xff;
  into[2] = (length >>> 8) & 0xff;
  into[3] = length & 0xff;
}

/**
 * The 4-byte big-endian length prefix for a frame body. Returned separately
 * so that the body need not be copied: transports write `[header, body]`
 * back to back. The result is a view of a larger buffer that nobody else
 * writes to.
 *
 * @example
 * stream.write([frameHeader(body.length), body]);
 */
export function frameHeader(bodyLength: number, maxBody: number = WireSizes.maxFrameBody): Uint8Array {
  checkBodyLength(bodyLength, maxBody);
  const header = slabBytes(WireSizes.frameHeader);
  writeLength(header, bodyLength);
  return header;
}

/**
 * One frame as the buffers to write back to back: a small body packed with
 * its header into one buffer ({@link packFrame}), a large one as
 * `[header, body]`, uncopied.
 *
 * @example
 * stream.write(frameBuffers(encodeRequest(request)));
 */
export function frameBuffers(body: Uint8Array, maxBody: number = WireSizes.maxFrameBody): Uint8Array[] {
  return body.length <= PACKED_FRAME_MAX_BODY ? [packFrame(body, maxBody)] : [frameHeader(body.length, maxBody), body];
}

/**
 * One frame (header ‖ body) for a small body (at most
 * `PACKED_FRAME_MAX_BODY` bytes) in one buffer, the body copied.
 *
 * @example
 * stream.write([packFrame(body)]);
 */
export function packFrame(body: Uint8Array, maxBody: number = WireSizes.maxFrameBody): Uint8Array {
  checkBodyLength(body.length, maxBody);
  if (body.length > PACKED_FRAME_MAX_BODY) throw new RangeError(`packFrame: ${body.length} bytes is above ${PACKED_FRAME_MAX_BODY}`);
  const frame = slabBytes(WireSizes.frameHeader + body.length);
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
