import { WireSizes } from './constants.js';
import { revealSecret, type SecretInput } from './secret-bytes.js';

/**
 * The message box index a write cap (168 bytes) or read cap (136 bytes)
 * carries: its last 104 bytes (PROTOCOL.md §2.3). For a cap fresh from
 * `newKeypair` it is `firstMessageIndex`; for the caps a contact voucher
 * hands out it is the only way to learn where their stream starts — the
 * voucher stream's box 0, or the salt-mutated sequence of the joiner's
 * channel (hpqc `MutateKDFState` keeps the root key and re-derives the
 * index, so the old index with the new cap would address the old boxes).
 *
 * @example
 * capFirstIndex(voucherReadCap); // box 0 of the voucher stream
 */
export function capFirstIndex(cap: SecretInput): Uint8Array {
  const bytes = revealSecret(cap);
  if (bytes.length !== WireSizes.writeCap && bytes.length !== WireSizes.readCap) {
    throw new RangeError(`capFirstIndex: expected a ${WireSizes.writeCap}-byte write cap or a ${WireSizes.readCap}-byte read cap`);
  }
  return bytes.slice(bytes.length - WireSizes.messageBoxIndex);
}
