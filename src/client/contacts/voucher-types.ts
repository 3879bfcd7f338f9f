import type { SecretBytes } from '../../wire/secret-bytes.js';

/*
 * Results of the four contact-voucher requests: the fields of the reference
 * reply structs (`client/thin` `Voucher*Reply`; Python's `Voucher*Result`)
 * in camelCase. Secrets come as `SecretBytes`: the voucher itself (whoever
 * holds it can read box 0 of the voucher stream and answer in box 1 — it is
 * a bearer token, like a write cap), the stream's write cap, the reply
 * secret key and the salt-mutated write cap. The rest are plain bytes:
 * read caps, public keys, ciphertexts, the salt (with the joiner's read cap
 * it only yields a read cap). Results print `whoReply` redacted (it is the
 * inductor's message).
 */

/** `voucherMint`: what the joiner publishes, hands over and keeps. */
export interface VoucherMintResult {
  /** 32 bytes to hand to the inductor out of band (a link, a QR code). Secret. */
  readonly voucher: SecretBytes;
  /** Write it into box 0 of the voucher stream: your display name and your channel's read cap, signed. */
  readonly voucherPayload: Uint8Array;
  /** The voucher stream's write cap (168 bytes; derivable from the voucher). Secret. */
  readonly voucherWriteCap: SecretBytes;
  /** The voucher stream's read cap (136 bytes); its index is box 0. */
  readonly voucherReadCap: Uint8Array;
  /** Keep it to open the inductor's answer (162 bytes). Secret. */
  readonly voucherSecretKey: SecretBytes;
  /** The public half (160 bytes), also inside the payload. */
  readonly voucherPublicKey: Uint8Array;
}

/** `voucherInduct`: the joiner's introduction, verified, and the sealed answer. */
export interface VoucherInductResult {
  /** The joiner's display name, as they signed it. */
  readonly displayName: string;
  /** The joiner's channel read cap after the salt (136 bytes): read the joiner from its index on. */
  readonly mutatedMessageReadCap: Uint8Array;
  /** Write it into box 1 of the voucher stream: only the joiner's secret key opens it. */
  readonly sealedReply: Uint8Array;
  /** The voucher stream's write cap. Secret. */
  readonly voucherWriteCap: SecretBytes;
  /** The voucher stream's read cap. */
  readonly voucherReadCap: Uint8Array;
  /** The fresh 32-byte salt both sides mutate the joiner's caps by. */
  readonly salt: Uint8Array;
}

/** `voucherOpen`: the inductor's answer, opened. */
export interface VoucherOpenResult {
  /** The inductor's reply, as given to `voucherInduct` (printed redacted). */
  readonly whoReply: Uint8Array;
  /** The salt the inductor chose. */
  readonly salt: Uint8Array;
  /** Your channel's write cap after the salt (168 bytes): write from its index on. Secret. */
  readonly mutatedMessageWriteCap: SecretBytes;
}

/** `voucherDeriveStream`: the voucher stream's caps, a pure function of the voucher. */
export interface VoucherStreamResult {
  /** Secret. */
  readonly voucherWriteCap: SecretBytes;
  readonly voucherReadCap: Uint8Array;
}
