import { InvalidArgumentError, ProtocolError } from '../../errors/local-errors.js';

/**
 * Framing of a payload spread over consecutive boxes: a 4-byte big-endian
 * length, then the payload, cut into boxes of the channel's
 * `MaxPlaintextPayloadLength` — the convention of the upstream how-to guide
 * and integration tests, so streams written by other clients read back
 * here and vice versa.
 */
export const STREAM_HEADER_LENGTH = 4;

/** Largest payload the 4-byte header can describe. */
export const MAX_STREAM_PAYLOAD = 0xffff_ffff;

/** Boxes needed for a payload of `length` bytes with `boxSize`-byte boxes. */
export function streamBoxCount(length: number, boxSize: number): number {
  return Math.max(1, Math.ceil((STREAM_HEADER_LENGTH + length) / boxSize));
}

/** Payload bytes in the boxes before box `box` (box 0 carries the 4-byte header and `boxSize − 4` payload bytes). */
export function streamBytesBefore(box: number, boxSize: number, length: number): number {
  return box === 0 ? 0 : Math.min(length, box * boxSize - STREAM_HEADER_LENGTH);
}

/** The plaintext of box `i` of the framed payload (views, no copies beyond the header box). */
export function streamBox(payload: Uint8Array, boxSize: number, i: number): Uint8Array {
  if (payload.length > MAX_STREAM_PAYLOAD) throw new InvalidArgumentError('payload', `at most ${MAX_STREAM_PAYLOAD} bytes`);
  if (boxSize <= STREAM_HEADER_LENGTH) throw new InvalidArgumentError('boxSize', `must exceed ${STREAM_HEADER_LENGTH}`);
  if (i === 0) {
    const first = new Uint8Array(Math.min(boxSize, STREAM_HEADER_LENGTH + payload.length));
    new DataView(first.buffer).setUint32(0, payload.length, false);
    first.set(payload.subarray(0, first.length - STREAM_HEADER_LENGTH), STREAM_HEADER_LENGTH);
    return first;
  }
  const start = i * boxSize - STREAM_HEADER_LENGTH;
  return payload.subarray(start, Math.min(payload.length, start + boxSize));
}

/** Reads the header of a stream's first box: the payload length and the data in that box. */
export function parseStreamHeader(firstBox: Uint8Array): { length: number; data: Uint8Array } {
  if (firstBox.length < STREAM_HEADER_LENGTH) throw new ProtocolError(`stream: first box has ${firstBox.length} bytes, less than its 4-byte header`);
  const length = new DataView(firstBox.buffer, firstBox.byteOffset, firstBox.length).getUint32(0, false);
  const data = firstBox.subarray(STREAM_HEADER_LENGTH, STREAM_HEADER_LENGTH + length);
  return { length, data };
}
