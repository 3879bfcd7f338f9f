import type { SecretBytes, SecretInput } from '../../wire/secret-bytes.js';

/**
 * Results of the Pigeonhole primitives: the reference data types' fields
 * (`client/thin` reply structs) in camelCase, bytes as `Uint8Array` —
 * except the secrets: write capabilities and envelope descriptors come as
 * {@link SecretBytes}, which never print (`exposeBytes()` to persist them),
 * and every method also takes them as plain `Uint8Array`s. Plaintexts are
 * plain bytes; results print them redacted.
 */

/** `newKeypair`: a new channel. Share `readCap`; keep `writeCap` secret. */
export interface KeypairResult {
  /** 168 bytes: lets its holder write the channel. Secret: prints as `[redacted 168 bytes]`. */
  readonly writeCap: SecretBytes;
  /** 136 bytes: lets its holder read the channel. */
  readonly readCap: Uint8Array;
  /** 104 bytes: the first box to write (and read). */
  readonly firstMessageIndex: Uint8Array;
}

/** `encryptRead` / `encryptWrite`: an envelope ready for `startResendingEncryptedMessage`. */
export interface EncryptResult {
  /** The CourierQuery to send. */
  readonly messageCiphertext: Uint8Array;
  /** Decrypts the reply; contains a private key. Secret. */
  readonly envelopeDescriptor: SecretBytes;
  /** 32 bytes: the operation's handle (cancel, dedup, replay). */
  readonly envelopeHash: Uint8Array;
  /** The box index after the one this envelope is for. */
  readonly nextMessageBoxIndex: Uint8Array;
}

/** What to send with `startResendingEncryptedMessage`: an `EncryptResult` plus the capability. */
export interface StartResendingParams {
  /** For a read: the read capability (exactly one of `readCap` / `writeCap`). */
  readonly readCap?: Uint8Array | undefined;
  /** For a write or tombstone: the write capability. */
  readonly writeCap?: SecretInput | undefined;
  /** For a read: the index of the box being read (needed to decrypt it). */
  readonly messageBoxIndex?: Uint8Array | undefined;
  /** Accepted and ignored by the v0.0.99 daemon. */
  readonly replyIndex?: number | undefined;
  readonly envelopeDescriptor: SecretInput;
  readonly messageCiphertext: Uint8Array;
  readonly envelopeHash: Uint8Array;
  /** Reads: fail at once with `BoxIDNotFoundError` instead of waiting for the box. */
  readonly noRetryOnBoxIdNotFound?: boolean | undefined;
  /** Writes: wait for the replica and fail with `BoxAlreadyExistsError` (one more round trip). */
  readonly noIdempotentBoxAlreadyExists?: boolean | undefined;
}

/** `startResendingEncryptedMessage`: the outcome of one read or write. */
export interface StartResendingResult {
  /** The plaintext read; null for writes. */
  readonly plaintext: Uint8Array | null;
  /** BLAKE2b-256 of the courier's identity key (watch the PKI for it vanishing). */
  readonly courierIdentityHash: Uint8Array | null;
  readonly courierQueueId: Uint8Array | null;
}

/** One destination of `createCourierEnvelopesFromMultiPayload`. */
export interface DestinationPayload {
  /** ≤ 10 MiB. */
  readonly payload: Uint8Array;
  readonly writeCap: SecretInput;
  readonly startIndex: Uint8Array;
}

/** `createCourierEnvelopesFrom*`: copy-stream elements, one per box of the temporary channel. */
export interface CreateEnvelopesResult {
  /** Serialized copy-stream elements: write them in order, one per box, from the temporary channel's first index. */
  readonly envelopes: Uint8Array[];
  /** Residual stream bytes to pass to the next call (multi-payload and tombstone-range); null after `isLast`. */
  readonly buffer: Uint8Array | null;
  /** The destination index after the boxes this call consumed (single destination). */
  readonly nextDestIndex: Uint8Array | null;
  /** The next index of each destination, in request order (multi-payload). */
  readonly nextDestIndices: Uint8Array[] | null;
}

/** One tombstone of `tombstoneRange`. */
export interface TombstoneEnvelope extends Omit<EncryptResult, 'nextMessageBoxIndex'> {
  /** The box this tombstone deletes. */
  readonly boxIndex: Uint8Array;
}

/** `tombstoneRange`: envelopes to send one by one, and the index after the range. */
export interface TombstoneRangeResult {
  readonly envelopes: TombstoneEnvelope[];
  readonly next: Uint8Array;
}

/** A courier to pin a copy command to (from `getAllCouriers()` / `getDistinctCouriers(n)`). */
export interface CourierDestination {
  /** BLAKE2b-256 of the courier's identity key (32 bytes). */
  readonly courierIdentityHash: Uint8Array;
  /** The courier's queue id (1–32 bytes). */
  readonly courierQueueId: Uint8Array;
}
