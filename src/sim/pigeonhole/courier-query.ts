import { Decoder, Encoder } from '../../wire/cbor-library.js';

import { bytesEqual } from '../../core/hex.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { WireSizes } from '../../wire/constants.js';
import { simHash } from '../sim-hash.js';
import type { SimRandom } from '../sim-random.js';
import { xorMask } from './sim-mask.js';

/*
 * The simulator's own encoding of the opaque blobs of encrypt_read /
 * encrypt_write (DAEMON.md §9: "may safely fake"), with the real sizes:
 *
 *   message_ciphertext (CourierQueryRead/WriteLength bytes) =
 *     nonce (16) ‖ masked[ magic "KPSQ" ‖ op (1) ‖ replica epoch (u64 BE) ‖
 *                          public key (32) ‖ index (104) ‖ u32 BE length ‖ plaintext ‖ zeros ]
 *   envelope_hash = BLAKE2b-256(message_ciphertext)   — unique per call (fresh nonce)
 *   envelope_descriptor = CBOR { Epoch, ReplicaNums (2 B), EnvelopeKey (32 B) }
 *
 * EnvelopeKey is derived from the ciphertext's nonce: a descriptor that does
 * not belong to the ciphertext cannot "decrypt" the reply (code 22), which
 * is what a real mismatched descriptor does.
 */

/** What an envelope asks the replicas to do. */
export type QueryOp = 'read' | 'write' | 'tombstone';

const OP_CODES: Record<QueryOp, number> = { read: 0, write: 1, tombstone: 2 };
const MAGIC = [0x4b, 0x50, 0x53, 0x51]; // "KPSQ"
const NONCE = 16;
const HEADER = 4 + 1 + 8 + 32 + WireSizes.messageBoxIndex + 4;

/** The decoded content of a `message_ciphertext`. */
export interface CourierQuery {
  readonly op: QueryOp;
  readonly replicaEpoch: number;
  readonly publicKey: Uint8Array;
  readonly index: Uint8Array;
  /** Empty for reads and tombstones. */
  readonly plaintext: Uint8Array;
  readonly nonce: Uint8Array;
}

/** The three blobs of an `encrypt_*_reply`. */
export interface EncryptedQuery {
  readonly messageCiphertext: Uint8Array;
  readonly envelopeDescriptor: Uint8Array;
  readonly envelopeHash: Uint8Array;
}

const encoder = new Encoder({ tagUint8Array: false, variableMapSize: true, useRecords: false, mapsAsObjects: false, useTag259ForMaps: false });
const decoder = new Decoder({ mapsAsObjects: true, useRecords: false });

/**
 * Builds the blobs for one encrypt call. `length` is the geometry's
 * CourierQueryReadLength or CourierQueryWriteLength.
 *
 * @example
 * const q = encodeCourierQuery({ op: 'write', replicaEpoch, publicKey, index, plaintext }, 2000, random);
 * q.messageCiphertext.length; // 2000
 */
export function encodeCourierQuery(
  query: Omit<CourierQuery, 'nonce'>,
  length: number,
  random: SimRandom,
): EncryptedQuery {
  if (NONCE + HEADER + query.plaintext.length > length) throw new RangeError('plaintext does not fit the courier query');
  const nonce = random.bytes(NONCE);
  const out = new Uint8Array(length);
  out.set(nonce, 0);
  const body = out.subarray(NONCE);
  body.set(MAGIC, 0);
  body[4] = OP_CODES[query.op];
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  view.setBigUint64(5, BigInt(query.replicaEpoch), false);
  body.set(query.publicKey, 13);
  body.set(query.index, 45);
  view.setUint32(45 + WireSizes.messageBoxIndex, query.plaintext.length, false);
  body.set(query.plaintext, HEADER);
  xorMask(nonce, body);
  const descriptor = new Uint8Array(
    encoder.encode(
      new Map<string, unknown>([
        ['Epoch', query.replicaEpoch],
        ['ReplicaNums', random.bytes(2)],
        ['EnvelopeKey', envelopeKeyFor(nonce)],
      ]),
    ),
  );
  return { messageCiphertext: out, envelopeDescriptor: descriptor, envelopeHash: blake2b256(out) };
}

/**
 * Decodes a `message_ciphertext`, or `null` if it is not one of ours (the
 * courier then drops it without a reply, as a real one does with a query it
 * cannot decode; the daemon retransmits forever).
 *
 * @example
 * decodeCourierQuery(reply.messageCiphertext)?.op; // 'write'
 */
export function decodeCourierQuery(bytes: Uint8Array): CourierQuery | null {
  if (bytes.length < NONCE + HEADER) return null;
  const nonce = bytes.slice(0, NONCE);
  const body = bytes.slice(NONCE);
  xorMask(nonce, body);
  if (!MAGIC.every((b, i) => body[i] === b)) return null;
  const op = (Object.keys(OP_CODES) as QueryOp[]).find((k) => OP_CODES[k] === body[4]);
  if (op === undefined) return null;
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const length = view.getUint32(45 + WireSizes.messageBoxIndex, false);
  if (HEADER + length > body.length) return null;
  return {
    op,
    replicaEpoch: Number(view.getBigUint64(5, false)),
    publicKey: body.slice(13, 45),
    index: body.slice(45, 45 + WireSizes.messageBoxIndex),
    plaintext: body.slice(HEADER, HEADER + length),
    nonce,
  };
}

/**
 * Whether `descriptor` belongs to the ciphertext with this nonce; false for
 * anything undecodable.
 *
 * @example
 * descriptorMatches(q.envelopeDescriptor, decodeCourierQuery(q.messageCiphertext)!.nonce); // true
 */
export function descriptorMatches(descriptor: Uint8Array, nonce: Uint8Array): boolean {
  try {
    const map = decoder.decode(descriptor) as unknown;
    if (typeof map !== 'object' || map === null) return false;
    const key = (map as Record<string, unknown>)['EnvelopeKey'];
    return key instanceof Uint8Array && bytesEqual(key, envelopeKeyFor(nonce));
  } catch {
    return false;
  }
}

function envelopeKeyFor(nonce: Uint8Array): Uint8Array {
  return simHash('envelope descriptor key', [nonce]);
}
