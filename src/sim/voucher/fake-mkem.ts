import { bytesEqual } from '../../core/hex.js';
import { WireSizes } from '../../wire/constants.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { xorMask } from '../pigeonhole/sim-mask.js';
import { simHash } from '../sim-hash.js';
import type { SimRandom } from '../sim-random.js';
import { CborDecodeError, cborMap, decodeStruct } from './strict-cbor.js';
import { SimDaemonPanic } from './daemon-panic.js';
import { InvalidKeyError, checkPublicKey, publicKeyFor, sharedSecret } from './fake-hybrid-nike.js';

/*
 * A fake of hpqc's MKEM (kem/mkem) for one recipient, with the real
 * ciphertext layout and sizes — canonical CBOR
 *   {Envelope: AEAD(message key, plaintext), DEKCiphertexts: [AEAD(H(DH), message key)],
 *    EphemeralPublicKey: bstr(160)}
 * — and the real failure points: anything that does not decode, an
 * ephemeral key that is not valid, no DEK that opens, or an envelope that
 * does not open, is a failure to open; a missing ephemeral key, or a DEK or
 * envelope shorter than an AEAD nonce, makes the real code panic.
 * The "AEAD" is ChaCha20-Poly1305-shaped: nonce (12) ‖ masked body ‖ tag (16).
 */

const NONCE = 12;
const TAG = 16;
const MESSAGE_KEY = 32;

/** The ciphertext does not open (the daemon's `ErrSealOpenFailed`). */
export class SealOpenError extends Error {}

function aeadSeal(key: Uint8Array, plaintext: Uint8Array, nonce: Uint8Array): Uint8Array {
  const body = plaintext.slice();
  xorMask(simHash('aead keystream seed', [key, nonce], 16), body);
  const out = new Uint8Array(NONCE + body.length + TAG);
  out.set(nonce, 0);
  out.set(body, NONCE);
  out.set(simHash('aead tag', [key, nonce, body], TAG), NONCE + body.length);
  return out;
}

/** The plaintext, or null when the tag does not verify; panics (like Go's `ciphertext[:12]`) below a nonce. */
function aeadOpen(key: Uint8Array, sealed: Uint8Array): Uint8Array | null {
  if (sealed.length < NONCE) throw new SimDaemonPanic('AEAD ciphertext shorter than its nonce');
  if (sealed.length < NONCE + TAG) return null;
  const nonce = sealed.subarray(0, NONCE);
  const body = sealed.slice(NONCE, sealed.length - TAG);
  if (!bytesEqual(simHash('aead tag', [key, nonce, body], TAG), sealed.subarray(sealed.length - TAG))) return null;
  xorMask(simHash('aead keystream seed', [key, nonce], 16), body);
  return body;
}

/**
 * Seals `plaintext` to `recipient` (a checked public key) with fresh randomness.
 *
 * @example
 * const sealed = encapsulate(random, voucherPublicKey, plaintext);
 */
export function encapsulate(random: SimRandom, recipient: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const ephemeral = random.bytes(WireSizes.voucherSecretKey);
  const messageKey = random.bytes(MESSAGE_KEY);
  const dek = aeadSeal(blake2b256(sharedSecret(ephemeral, recipient)), messageKey, random.bytes(NONCE));
  return cborMap([
    ['Envelope', aeadSeal(messageKey, plaintext, random.bytes(NONCE))],
    ['DEKCiphertexts', [dek]],
    ['EphemeralPublicKey', publicKeyFor(ephemeral)],
  ]);
}

/** Opens a sealed blob with a checked private key; throws `SealOpenError`, or panics where the daemon does. */
export function decapsulate(privateKey: Uint8Array, sealed: Uint8Array | null): Uint8Array {
  let parts;
  try {
    parts = decodeStruct(sealed, { Envelope: 'bytes', DEKCiphertexts: 'bytesList', EphemeralPublicKey: 'bytes' });
  } catch (error) {
    if (error instanceof CborDecodeError) throw new SealOpenError('not an MKEM ciphertext');
    throw error;
  }
  let ephemeral: Uint8Array;
  try {
    ephemeral = checkPublicKey(parts.EphemeralPublicKey);
  } catch (error) {
    if (error instanceof InvalidKeyError) throw new SealOpenError('invalid ephemeral key');
    throw error;
  }
  const secret = blake2b256(sharedSecret(privateKey, ephemeral));
  for (const dek of parts.DEKCiphertexts ?? []) {
    const messageKey = aeadOpen(secret, dek);
    if (messageKey === null) continue;
    const plaintext = aeadOpen(messageKey, parts.Envelope ?? new Uint8Array(0));
    if (plaintext === null) throw new SealOpenError('the envelope does not open');
    return plaintext;
  }
  throw new SealOpenError('no DEK opens');
}
