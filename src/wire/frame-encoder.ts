import { FrameTooLargeError } from '../errors/local-errors.js';
import { WireSizes } from './constants.js';

/**
 * The 4-byte big-endian length prefix for a frame body (PROTOCOL.md §1.1).
 * Returned separately so that the body need not be copied: transports
 * write `[header, body]` back to back.
 */
export function frameHeader(bodyLength: number, maxBody: number = WireSizes.maxFrameBody): Uint8Array {
  if (bodyLength > maxBody) throw new FrameTooLargeError(bodyLength, maxBody);
  const header = new Uint8Array(WireSizes.frameHeader);
  new DataView(header.buffer).setUint32(0, bodyLength, false);
  return header;
}

/**
 * One contiguous frame (header ‖ body). Copies the body; prefer
 * {@link frameHeader} plus a vectored write on hot paths.
 */
export function encodeFrame(body: Uint8Array, maxBody: number = WireSizes.maxFrameBody): Uint8Array {
  const frame = new Uint8Array(WireSizes.frameHeader + body.length);
  frame.set(frameHeader(body.length, maxBody), 0);
  frame.set(body, WireSizes.frameHeader);
  return frame;
}
