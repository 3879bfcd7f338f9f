/**
 * Sizes fixed by the protocol (PROTOCOL.md §1.1, §2.3, §8).
 * Geometry-dependent sizes (payload limits) arrive in the handshake instead.
 */
export const WireSizes = {
  /** Length prefix of every frame: uint32 big-endian. */
  frameHeader: 4,
  /** `MaxMessageSize`: the largest frame body either side accepts (40 MiB). */
  maxFrameBody: 40 * 1024 * 1024,
  queryId: 16,
  messageId: 16,
  surbId: 16,
  appId: 16,
  instanceToken: 16,
  /** BLAKE2b-256 digests: envelope hash, write-cap hash, identity hashes. */
  hash: 32,
  /** BACAP WriteCap: Ed25519 private key (64) ‖ MessageBoxIndex (104). */
  writeCap: 168,
  /** BACAP ReadCap: Ed25519 public key (32) ‖ MessageBoxIndex (104). */
  readCap: 136,
  /** BACAP MessageBoxIndex: Idx64 LE (8) ‖ blinding factor ‖ encryption key ‖ HKDF state. */
  messageBoxIndex: 104,
  /** `new_keypair` seeds are exactly 32 bytes. */
  seed: 32,
  /** `recipient_queue_id` / `courier_queue_id` are 1–32 bytes. */
  maxQueueId: 32,
  /** Per-destination payload cap of the `create_courier_envelopes_*` requests (10 MiB). */
  maxCopyPayload: 10 * 1024 * 1024,
  /** A contact voucher: BLAKE2b-256 of its payload. */
  voucher: 32,
  /** The salt a voucher exchange mutates the joiner's caps by. */
  voucherSalt: 32,
  /**
   * The voucher reply keypair (hybrid NIKE CTIDH1024-X25519: X25519 first,
   * 32 + 130 and 32 + 128 bytes), measured on kpclientd v0.0.99.
   */
  voucherSecretKey: 162,
  voucherPublicKey: 160,
} as const;

/**
 * How long the client waits for kpclientd to close its side of a connection
 * we closed (the transports then drop the socket; the next dial goes ahead
 * anyway): the scale of the daemon's longest inline work on that
 * connection (an `encrypt_write` / `encrypt_read`, 2–4 s of CTIDH on a real
 * network) with a wide margin for a loaded machine.
 */
export const DAEMON_CLOSE_WAIT_MS = 30_000;
