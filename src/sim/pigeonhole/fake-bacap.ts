import { bytesEqual, toHex } from '../../core/hex.js';
import { WireSizes } from '../../wire/constants.js';
import { simHash } from '../sim-hash.js';

/*
 * A fake BACAP with the real byte layouts (PROTOCOL.md §2.3, DAEMON.md §0)
 * and the properties clients can observe, none of the cryptography:
 *
 *   WriteCap (168) = private seed (32) ‖ public key (32) ‖ MessageBoxIndex (104)
 *   ReadCap  (136) = public key (32) ‖ the same MessageBoxIndex (104)
 *   MessageBoxIndex (104) = Idx64 (u64 little-endian) ‖ 96 bytes of state
 *
 * - caps are a pure function of the `new_keypair` seed;
 * - the first Idx64 is a pseudo-random 64-bit value derived from the seed
 *   (the real one is not 0 either);
 * - the next index is Idx64 + 1 with the 96 state bytes derived from the
 *   current index bytes alone, so it is a pure function of the index;
 * - a box is addressed by (public key, whole index): a bogus index with the
 *   right Idx64 addresses a different box, as a wrong blinding factor does.
 */

const IDX_BYTES = 8;
const KEY_BYTES = 32;
const MAX_IDX64 = 0xffff_ffff_ffff_ffffn;

/** The three blobs `new_keypair_reply` carries. */
export interface FakeKeypair {
  readonly writeCap: Uint8Array;
  readonly readCap: Uint8Array;
  readonly firstIndex: Uint8Array;
}

/**
 * Caps for a 32-byte seed, deterministic.
 *
 * @example
 * const { writeCap, readCap, firstIndex } = keypairFromSeed(new Uint8Array(32));
 */
export function keypairFromSeed(seed: Uint8Array): FakeKeypair {
  const privateSeed = simHash('bacap private seed', [seed]);
  const publicKey = publicKeyOf(privateSeed);
  const firstIndex = new Uint8Array(WireSizes.messageBoxIndex);
  firstIndex.set(simHash('bacap first idx64', [seed], IDX_BYTES), 0);
  firstIndex.set(simHash('bacap first index state', [seed], 96), IDX_BYTES);
  const writeCap = new Uint8Array(WireSizes.writeCap);
  writeCap.set(privateSeed, 0);
  writeCap.set(publicKey, KEY_BYTES);
  writeCap.set(firstIndex, 2 * KEY_BYTES);
  return { writeCap, readCap: readCapOf(writeCap), firstIndex };
}

/**
 * The public key a private seed goes with.
 *
 * @example
 * publicKeyOf(writeCap.subarray(0, 32)); // = writeCap.subarray(32, 64)
 */
export function publicKeyOf(privateSeed: Uint8Array): Uint8Array {
  return simHash('bacap public key', [privateSeed]);
}

/**
 * The read cap of a write cap: its public key and its first index.
 *
 * @example
 * readCapOf(writeCap).length; // 136
 */
export function readCapOf(writeCap: Uint8Array): Uint8Array {
  return writeCap.slice(KEY_BYTES, WireSizes.writeCap);
}

/**
 * The public key inside a write cap (168 B) or read cap (136 B).
 *
 * @example
 * capPublicKey(readCap); // readCap.subarray(0, 32)
 */
export function capPublicKey(cap: Uint8Array): Uint8Array {
  return cap.length === WireSizes.writeCap ? cap.subarray(KEY_BYTES, 2 * KEY_BYTES) : cap.subarray(0, KEY_BYTES);
}

/**
 * The first index inside a write cap or read cap.
 *
 * @example
 * capFirstIndex(writeCap); // writeCap.subarray(64)
 */
export function capFirstIndex(cap: Uint8Array): Uint8Array {
  return cap.subarray(cap.length - WireSizes.messageBoxIndex);
}

/**
 * Idx64 of an index, as `get_message_box_index_counter` reports it.
 *
 * @example
 * idx64(firstIndex); // e.g. 7198948105556719352n
 */
export function idx64(index: Uint8Array): bigint {
  return new DataView(index.buffer, index.byteOffset, IDX_BYTES).getBigUint64(0, true);
}

/**
 * The index after `index` (Idx64 + 1), or `null` when Idx64 would overflow
 * (the daemon answers 4 then).
 *
 * @example
 * idx64(nextIndex(i)!) === idx64(i) + 1n;
 */
export function nextIndex(index: Uint8Array): Uint8Array | null {
  const current = idx64(index);
  if (current >= MAX_IDX64) return null;
  const next = new Uint8Array(WireSizes.messageBoxIndex);
  new DataView(next.buffer).setBigUint64(0, current + 1n, true);
  next.set(simHash('bacap next index state', [index], 96), IDX_BYTES);
  return next;
}

/**
 * `index` advanced `count` times, or `null` on overflow.
 *
 * @example
 * idx64(advanceIndex(i, 3)!) === idx64(i) + 3n;
 */
export function advanceIndex(index: Uint8Array, count: number): Uint8Array | null {
  let current: Uint8Array | null = index;
  for (let i = 0; i < count && current !== null; i++) current = nextIndex(current);
  return current;
}

/**
 * The key of the box at (public key, index): the simulator's box ID.
 *
 * @example
 * boxKey(capPublicKey(readCap), firstIndex); // hex string
 */
export function boxKey(publicKey: Uint8Array, index: Uint8Array): string {
  return toHex(simHash('bacap box id', [publicKey, index]));
}

/**
 * A write cap re-seeded by `salt` — BACAP `MutateKDFState`, the voucher
 * exchange's "mutated" cap: the root key and Idx64 stay, the rest of the
 * index is re-derived from its state and the salt, so the cap addresses a
 * fresh sequence of boxes (with the old index it would still address the
 * old ones, as the real one does). Its read cap is {@link mutateReadCap} of
 * the original read cap.
 *
 * @example
 * readCapOf(mutateWriteCap(w, salt)); // equals mutateReadCap(readCapOf(w), salt)
 */
export function mutateWriteCap(writeCap: Uint8Array, salt: Uint8Array): Uint8Array {
  const out = writeCap.slice();
  out.set(mutateIndex(capFirstIndex(writeCap), salt), 2 * KEY_BYTES);
  return out;
}

/**
 * The read cap matching {@link mutateWriteCap} with the same salt.
 *
 * @example
 * mutateReadCap(readCap, salt).length; // 136
 */
export function mutateReadCap(readCap: Uint8Array, salt: Uint8Array): Uint8Array {
  const out = readCap.slice();
  out.set(mutateIndex(capFirstIndex(readCap), salt), KEY_BYTES);
  return out;
}

function mutateIndex(index: Uint8Array, salt: Uint8Array): Uint8Array {
  const out = index.slice();
  out.set(simHash('bacap mutate kdf state', [index.subarray(IDX_BYTES), salt], 96), IDX_BYTES);
  return out;
}

const SIGNATURE_BYTES = 64;

/**
 * A fake Ed25519 signature by a write cap's root key over `message`. Like
 * Go's, it depends on the public half stored in the cap too: a cap whose
 * halves do not match signs, but its signatures do not verify.
 *
 * @example
 * verifyWithReadCap(readCapOf(w), signWithWriteCap(w, m), m); // true
 */
export function signWithWriteCap(writeCap: Uint8Array, message: Uint8Array): Uint8Array {
  return simHash('ed25519 signature', [publicKeyOf(writeCap.subarray(0, KEY_BYTES)), writeCap.subarray(KEY_BYTES, 2 * KEY_BYTES), message], SIGNATURE_BYTES);
}

/** Whether `signature` is {@link signWithWriteCap}'s over `message` by the read cap's root key. */
export function verifyWithReadCap(readCap: Uint8Array, signature: Uint8Array | null, message: Uint8Array): boolean {
  const key = capPublicKey(readCap);
  return signature !== null && bytesEqual(signature, simHash('ed25519 signature', [key, key, message], SIGNATURE_BYTES));
}
