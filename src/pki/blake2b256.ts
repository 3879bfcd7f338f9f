import { blake2b } from '@noble/hashes/blake2.js';

/**
 * BLAKE2b with a 32-byte digest length parameter (unkeyed), as Go's
 * `blake2b.Sum256` / hpqc `hash.Sum256` and Python's
 * `hashlib.blake2b(data, digest_size=32)`. This is NOT BLAKE2b-512 truncated:
 * the output length is part of the parameter block, so the two differ.
 *
 * Used for every 32-byte identifier of the protocol (PROTOCOL.md §8):
 * destination / courier identity hashes (over a MixDescriptor's
 * `IdentityKey`), the write-cap hash for `cancel_resending_copy_command`,
 * certificate signature keys.
 *
 * @example
 * const courierHash = blake2b256(descriptor.identityKey); // Uint8Array(32)
 * const writeCapHash = blake2b256(writeCap);              // for cancel
 */
export function blake2b256(bytes: Uint8Array): Uint8Array {
  return blake2b(bytes, { dkLen: 32 });
}
