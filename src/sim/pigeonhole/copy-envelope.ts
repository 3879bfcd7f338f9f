import { WireSizes } from '../../wire/constants.js';
import type { SimRandom } from '../sim-random.js';
import { xorMask } from './sim-mask.js';

/*
 * One copy-stream envelope: the instruction "write this chunk (or a
 * tombstone) to that destination box", in the simulator's own encoding
 * (DAEMON.md §9: envelope contents may be faked), exactly E =
 * CourierQueryWriteLength − 1 bytes:
 *
 *   nonce (16) ‖ masked[ "KPSE" ‖ op (1) ‖ public key (32) ‖ index (104) ‖ u32 BE length ‖ chunk ‖ zeros ]
 *
 * Like a real envelope it carries no private key: only the box address and
 * the (already "signed") content.
 */

const MAGIC = [0x4b, 0x50, 0x53, 0x45]; // "KPSE"
const NONCE = 16;
const HEADER = 4 + 1 + 32 + WireSizes.messageBoxIndex + 4;

/** A decoded copy envelope. */
export interface CopyEnvelope {
  readonly tombstone: boolean;
  readonly publicKey: Uint8Array;
  readonly index: Uint8Array;
  /** The destination box's plaintext (empty for a tombstone). */
  readonly chunk: Uint8Array;
}

/**
 * Encodes one envelope of `length` (= E) bytes with a fresh nonce.
 *
 * @example
 * encodeCopyEnvelope({ tombstone: false, publicKey, index, chunk }, 1999, random).length; // 1999
 */
export function encodeCopyEnvelope(envelope: CopyEnvelope, length: number, random: SimRandom): Uint8Array {
  if (NONCE + HEADER + envelope.chunk.length > length) throw new RangeError('chunk does not fit a copy envelope');
  const out = new Uint8Array(length);
  const nonce = random.bytes(NONCE);
  out.set(nonce, 0);
  const body = out.subarray(NONCE);
  body.set(MAGIC, 0);
  body[4] = envelope.tombstone ? 2 : 1;
  body.set(envelope.publicKey, 5);
  body.set(envelope.index, 37);
  new DataView(body.buffer, body.byteOffset, body.byteLength).setUint32(37 + WireSizes.messageBoxIndex, envelope.chunk.length, false);
  body.set(envelope.chunk, HEADER);
  xorMask(nonce, body);
  return out;
}

/**
 * Decodes an envelope, or `null` for bytes that are not one (the copy then fails).
 *
 * @example
 * decodeCopyEnvelope(encodeCopyEnvelope(envelope, 1999, random))?.chunk; // the chunk again
 */
export function decodeCopyEnvelope(bytes: Uint8Array): CopyEnvelope | null {
  if (bytes.length < NONCE + HEADER) return null;
  const body = bytes.slice(NONCE);
  xorMask(bytes.subarray(0, NONCE), body);
  if (!MAGIC.every((b, i) => body[i] === b) || (body[4] !== 1 && body[4] !== 2)) return null;
  const length = new DataView(body.buffer, body.byteOffset, body.byteLength).getUint32(37 + WireSizes.messageBoxIndex, false);
  if (HEADER + length > body.length) return null;
  return {
    tombstone: body[4] === 2,
    publicKey: body.slice(5, 37),
    index: body.slice(37, 37 + WireSizes.messageBoxIndex),
    chunk: body.slice(HEADER, HEADER + length),
  };
}
