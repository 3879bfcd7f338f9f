import { WireSizes } from './constants.js';
import { revealSecret, type SecretInput } from './secret-bytes.js';

/** The Ed25519 private key in Go form is seed (32) ‖ public key (32): the read cap starts at the public key. */
const SEED_BYTES = 32;

/**
 * The read cap of a write cap: its public key and index, i.e. its bytes
 * from 32 on (PROTOCOL.md §2.3: WriteCap = seed ‖ public key ‖ index,
 * ReadCap = public key ‖ index). The daemon hands out a read cap only with
 * a fresh keypair; a contact exchange gives the joiner a salt-mutated write
 * cap alone, and its channel needs the matching read cap to be shared.
 *
 * @example
 * readCapOfWriteCap(keys.writeCap); // equals keys.readCap
 */
export function readCapOfWriteCap(writeCap: SecretInput): Uint8Array {
  const bytes = revealSecret(writeCap);
  if (bytes.length !== WireSizes.writeCap) throw new RangeError(`readCapOfWriteCap: expected a ${WireSizes.writeCap}-byte write cap`);
  return bytes.slice(SEED_BYTES);
}
