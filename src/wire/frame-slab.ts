/*
 * Performance fence (bench P1), kept out of the frame encoder so that it
 * reads as the protocol: a frame is a 4-byte big-endian length and a body.
 *
 * Small frames and headers are cut from a shared 64 KiB slab instead of
 * each getting an ArrayBuffer of its own, and a small body is copied behind
 * its header so that the transport writes one buffer instead of two.
 * Measured (a micro-benchmark on the 2-core VM of bench/RESULTS.md, under
 * load): a header from the slab costs 55–100 ns, a fresh 4-byte array with
 * the DataView that wrote it 0.7–1.3 µs; writing a 300-byte request as one
 * packed buffer instead of `[header, body]` takes its socket write from
 * 1.6–2.0 to 1.3–1.4 µs of CPU. Together a few percent of the client's
 * ~30 µs per local request at 64 in flight (bench P1), where the P1 CPU
 * profiles first showed them. Pieces are never reused: a slab lives as long
 * as any piece cut from it, so a frame handed to a socket stays intact
 * however long the socket holds it.
 */

const SLAB_BYTES = 64 * 1024;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/** Bodies up to this size are copied behind their header into one piece; larger ones are written as they are. */
export const PACKED_FRAME_MAX_BODY = 4 * 1024;

/**
 * `size` fresh bytes (at most 64 KiB) that nobody else will write to: a
 * view of the current slab.
 *
 * @example
 * const header = slabBytes(4);
 */
export function slabBytes(size: number): Uint8Array {
  if (slabUsed + size > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  const piece = slab.subarray(slabUsed, slabUsed + size);
  slabUsed += size;
  return piece;
}
