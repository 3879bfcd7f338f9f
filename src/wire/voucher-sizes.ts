import { WireSizes } from './constants.js';

/*
 * The sizes of the contact-voucher blobs, from their layout: hpqc's
 * `voucher` package encodes them as canonical CBOR maps
 * (hpqc v0.0.85 voucher/messages.go, kem/mkem/ciphertext.go), and
 * kpclientd v0.0.99 was measured to produce exactly these lengths
 * (spec/conformance). The client needs them to refuse, before anything
 * is sent, a display name or a reply that would not fit in a box.
 *
 *   VoucherPayload = {VoucherPubKey: bstr(160), SignedPleaseAdd: bstr(
 *                      {PleaseAdd: bstr({DisplayName: tstr, MessageReadCap: bstr(136)}),
 *                       Signature: bstr(64)})}
 *   SealedReply    = {Envelope: bstr(nonce 12 ‖ AEAD({WhoReply: bstr, VoucherSalt: bstr(32)}) ‖ tag 16),
 *                     DEKCiphertexts: [bstr(12 + 32 + 16)], EphemeralPublicKey: bstr(160)}
 */

/** Bytes of a CBOR head (major type + length) for a length or count `n`. */
export function cborHeadLength(n: number): number {
  return n < 24 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1_0000_0000 ? 5 : 9;
}

/** A CBOR text or byte string key or value of `n` bytes, head included. */
const item = (n: number): number => cborHeadLength(n) + n;

const ED25519_SIGNATURE = 64;
const AEAD_NONCE = 12;
const AEAD_TAG = 16;
const MESSAGE_KEY = 32;

/** `PleaseAdd` for a display name of `nameBytes` UTF-8 bytes. */
function pleaseAddLength(nameBytes: number): number {
  return 1 + item(11) + item(nameBytes) + item(14) + item(WireSizes.readCap);
}

/**
 * The length of `voucher_mint_reply.voucher_payload` for a display name of
 * `nameBytes` UTF-8 bytes: 452 + the name for names under 24 bytes.
 *
 * @example
 * voucherPayloadLength(5); // 457 ("Alice")
 */
export function voucherPayloadLength(nameBytes: number): number {
  const pleaseAdd = pleaseAddLength(nameBytes);
  const signed = 1 + item(9) + item(pleaseAdd) + item(9) + item(ED25519_SIGNATURE);
  return 1 + item(13) + item(WireSizes.voucherPublicKey) + item(15) + item(signed);
}

/**
 * The length of `voucher_induct_reply.sealed_reply` for a `who_reply` of
 * `whoReplyBytes`: 356 + the reply for replies under 24 bytes.
 *
 * @example
 * sealedReplyLength(0); // 356
 */
export function sealedReplyLength(whoReplyBytes: number): number {
  const plaintext = 1 + item(8) + item(whoReplyBytes) + item(11) + item(WireSizes.voucherSalt);
  const envelope = AEAD_NONCE + plaintext + AEAD_TAG;
  const dek = AEAD_NONCE + MESSAGE_KEY + AEAD_TAG;
  return 1 + item(8) + item(envelope) + item(14) + 1 + item(dek) + item(18) + item(WireSizes.voucherPublicKey);
}
