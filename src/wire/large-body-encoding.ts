import { cborEncoder } from './cbor-instances.js';
import { uninitializedBytes } from './uninitialized-bytes.js';

/*
 * Performance fence (bench P2), kept out of the codec so that it reads as
 * the protocol's schema tables.
 *
 * cbor-x encodes into one shared buffer and, when a body outgrows it,
 * replaces it with one four times the body's size — 40 MiB for a 10 MiB
 * copy-stream payload: fresh pages to fault in on every large request, and
 * buffers that big allocated for every small request after it. A body with
 * large byte strings is therefore encoded into a buffer of about its own
 * size, and the encoder goes back to a small buffer afterwards. Measured by
 * P2 ("encode a 10 MiB payload frame", median of 31, on a loaded 2-core
 * VM): 24.5 ms with cbor-x left alone (copy time / SDK time 0.49×), 6.1–6.6
 * ms with this (0.88–1.24×); the payload is copied exactly once either way.
 */

/** Byte strings from this size on count as large. */
const LARGE_BYTE_STRING = 64 * 1024;
/** Room for everything in a large body but its large byte strings (keys, caps, ids). */
const LARGE_BODY_SLACK = 16 * 1024;
/** cbor-x's own starting size. */
const SMALL_BUFFER_BYTES = 8192;

/**
 * cbor-x's documented `useBuffer` (README "Arena Allocation"), missing from
 * its type declarations. The buffers given to it come from
 * `uninitializedBytes`: a Node Buffer where there is one, as cbor-x needs
 * (it writes long strings with `Buffer#utf8Write`), a Uint8Array elsewhere.
 */
const arena = cborEncoder as unknown as { useBuffer(buffer: Uint8Array): void };

/** The large byte strings met while one body is converted for encoding. */
export class LargeBytesTally {
  /** Their total size. */
  bytes = 0;

  /** Notes a byte string of the body. */
  note(value: Uint8Array): void {
    if (value.length >= LARGE_BYTE_STRING) this.bytes += value.length;
  }
}

/**
 * `cborEncoder.encode(value)`, into a buffer sized for a body whose large
 * byte strings `tally` counted (the encoder's own buffer when there are none).
 *
 * @example
 * const tally = new LargeBytesTally();
 * const wire = toWire(schema, body, tally); // notes each byte string
 * return encodeSizedBody(wire, tally);
 */
export function encodeSizedBody(value: unknown, tally: LargeBytesTally): Uint8Array {
  if (tally.bytes === 0) return cborEncoder.encode(value);
  arena.useBuffer(uninitializedBytes(tally.bytes + LARGE_BODY_SLACK));
  try {
    return cborEncoder.encode(value);
  } finally {
    arena.useBuffer(uninitializedBytes(SMALL_BUFFER_BYTES));
  }
}
