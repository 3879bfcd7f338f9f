import { bytesEqual } from '../../core/hex.js';
import { WireSizes } from '../../wire/constants.js';
import { simHash } from '../sim-hash.js';
import { SimDaemonPanic } from './daemon-panic.js';

/*
 * A fake of the voucher seal's hybrid NIKE, CTIDH1024-X25519 (hpqc
 * nike/hybrid, X25519 first), with the real key sizes and the validation
 * behaviour kpclientd shows:
 *
 *   private key (162) = X25519 scalar (32) ‖ CTIDH private key (130)
 *   public key  (160) = X25519 point (32) ‖ CTIDH public key (128)
 *
 * - any 32 bytes are an X25519 key, and the scalar is clamped (a flip of
 *   bit 0 of byte 0 leaves the key unchanged, as on the real daemon);
 * - a CTIDH public key is almost never valid by chance: here its last 32
 *   bytes check the first 96, so any change makes it invalid;
 * - a key shorter than the X25519 part makes the real code slice out of
 *   range and panic; other wrong lengths are errors.
 */

const X25519 = 32;
const CTIDH_PUBLIC = WireSizes.voucherPublicKey - X25519;
const CTIDH_PRIVATE = WireSizes.voucherSecretKey - X25519;
const CTIDH_BODY = CTIDH_PUBLIC - 32;

/** An invalid key (the daemon answers its generic error for it). */
export class InvalidKeyError extends Error {}

function clamped(scalar: Uint8Array): Uint8Array {
  const out = scalar.slice(0, X25519);
  out[0] = out[0]! & 248;
  out[31] = (out[31]! & 127) | 64;
  return out;
}

/**
 * The public key of a 162-byte private key.
 *
 * @example
 * publicKeyFor(random.bytes(162)).length; // 160
 */
export function publicKeyFor(privateKey: Uint8Array): Uint8Array {
  const body = simHash('ctidh public', [privateKey.subarray(X25519)], CTIDH_BODY);
  const out = new Uint8Array(WireSizes.voucherPublicKey);
  out.set(simHash('x25519 public', [clamped(privateKey)]), 0);
  out.set(body, X25519);
  out.set(simHash('ctidh valid', [body]), X25519 + CTIDH_BODY);
  return out;
}

/** `UnmarshalBinaryPublicKey`: panics below 32 bytes, throws `InvalidKeyError` for a wrong length or an invalid CTIDH key. */
export function checkPublicKey(key: Uint8Array | null): Uint8Array {
  if (key === null || key.length < X25519) throw new SimDaemonPanic('hybrid public key shorter than its X25519 part');
  if (key.length !== WireSizes.voucherPublicKey) throw new InvalidKeyError('hybrid public key of the wrong length');
  const body = key.subarray(X25519, X25519 + CTIDH_BODY);
  if (!bytesEqual(simHash('ctidh valid', [body]), key.subarray(X25519 + CTIDH_BODY))) throw new InvalidKeyError('invalid CTIDH public key');
  return key;
}

/** `UnmarshalBinaryPrivateKey`: panics below 32 bytes, throws `InvalidKeyError` unless the CTIDH part is 130 bytes. */
export function checkPrivateKey(key: Uint8Array | null): Uint8Array {
  if (key === null || key.length < X25519) throw new SimDaemonPanic('hybrid private key shorter than its X25519 part');
  if (key.length - X25519 !== CTIDH_PRIVATE) throw new InvalidKeyError('CTIDH private key of the wrong length');
  return key;
}

/**
 * `DeriveSecret`: the same for (a's private key, b's public key) and
 * (b's private key, a's public key).
 *
 * @example
 * bytesEqual(sharedSecret(a, publicKeyFor(b)), sharedSecret(b, publicKeyFor(a))); // true
 */
export function sharedSecret(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const mine = publicKeyFor(privateKey);
  const [first, second] = compare(mine, publicKey) <= 0 ? [mine, publicKey] : [publicKey, mine];
  return simHash('hybrid nike shared secret', [first, second]);
}

function compare(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
