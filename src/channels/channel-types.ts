/**
 * The records a {@link ChannelStore} keeps for the channel layer. Bytes are
 * `Uint8Array`; `writeCap`, `envelopeDescriptor`, `tempSeed` and
 * plaintexts are secrets: keep them out of logs.
 *
 * "Position" counts boxes from the channel's first index (0, 1, 2 …): it
 * orders history, and makes gaps and duplicates visible at a glance.
 */

/** One channel as stored: capabilities and the two persisted indices. */
export interface ChannelRecord {
  readonly name: string;
  /** True when we hold the write capability (created here); false for an imported read-only channel. */
  readonly owned: boolean;
  /** 168 bytes, null for read-only channels. Secret. */
  readonly writeCap: Uint8Array | null;
  /** 136 bytes. */
  readonly readCap: Uint8Array;
  /** The index the channel starts at (what a shared read capability points readers to by default). */
  readonly firstIndex: Uint8Array;
  /** The position of {@link firstIndex}: 0 for owned channels, whatever the sharer said for imported ones. */
  readonly firstPosition: number;
  /**
   * Owned channels: every box before this index is confirmed written.
   * Outbox entries continue the chain from here. Null for read-only channels.
   */
  readonly writeIndex: Uint8Array | null;
  /** The position of {@link writeIndex}. */
  readonly writePosition: number;
  /** The next box to read: every box before it is stored in the received history. */
  readonly readIndex: Uint8Array;
  /** The position of {@link readIndex}. */
  readonly readPosition: number;
  /** Creation time, ms since the Unix epoch. */
  readonly createdAt: number;
}

/** A channel as applications see it: the record without the write capability. */
export type ChannelInfo = Omit<ChannelRecord, 'writeCap'> & {
  /** Entries waiting in the outbox (prepared, not yet confirmed). */
  readonly pending: number;
};

/** The part of the channel record a transaction may change. */
export type ChannelPatch = Partial<Pick<ChannelRecord, 'writeIndex' | 'writePosition' | 'readIndex' | 'readPosition'>>;

/**
 * One destination range an outbox entry will fill: boxes
 * `[boxIndex, nextIndex)` of `channel`, `count` boxes from `position`.
 */
export interface OutboxSlot {
  readonly channel: string;
  readonly position: number;
  readonly count: number;
  readonly boxIndex: Uint8Array;
  readonly nextIndex: Uint8Array;
  /** What goes there (empty for a tombstone): kept for the sent history. Secret. */
  readonly plaintext: Uint8Array;
}

/**
 * A single-box write, exactly as `encryptWrite` prepared it. Re-sending the
 * very same ciphertext after a crash writes the same content to the same
 * box, which the replicas accept as an idempotent re-write.
 */
export interface BoxWriteOperation {
  readonly kind: 'box';
  readonly tombstone: boolean;
  readonly messageCiphertext: Uint8Array;
  /** Secret. */
  readonly envelopeDescriptor: Uint8Array;
  readonly envelopeHash: Uint8Array;
}

/**
 * An atomic copy: the copy-stream elements (exact bytes, so a re-run after
 * a crash dispatches byte-identical destination envelopes) and the seed of
 * the temporary channel they are written to.
 */
export interface CopyOperation {
  readonly kind: 'copy';
  /** 32 bytes; `newKeypair(tempSeed)` gives the temporary channel again. Secret. */
  readonly tempSeed: Uint8Array;
  /** Serialized copy-stream elements, one per temporary box, in order. Secret (they carry destination envelopes). */
  readonly elements: readonly Uint8Array[];
}

/** A prepared operation waiting in the outbox. */
export interface OutboxEntry {
  /** Store-assigned, increasing: transmission and commit order. */
  readonly seq: number;
  /** One slot per destination channel (a box write has exactly one). */
  readonly slots: readonly OutboxSlot[];
  readonly operation: BoxWriteOperation | CopyOperation;
  readonly createdAt: number;
  /** Transmission attempts that ended in an error. */
  readonly attempts: number;
  /** The last error's name and message (never secrets), or null. */
  readonly lastError: string | null;
}

/** A queued operation as `pending()` shows it: no ciphertexts, no secrets. */
export interface PendingSend {
  readonly seq: number;
  readonly kind: 'message' | 'tombstone' | 'copy';
  readonly position: number;
  readonly count: number;
  /** Transmissions that ended in an error (a cancel by unsubscribing is not one). */
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: number;
}

/** What {@link StoreTransaction.insertOutbox} takes: an entry before the store numbers it. */
export type NewOutboxEntry = Omit<OutboxEntry, 'seq'>;

/** A message read from a channel, as stored in its history. */
export interface ReceivedMessage {
  /** Store-assigned, increasing. */
  readonly id: number;
  readonly channel: string;
  readonly position: number;
  readonly boxIndex: Uint8Array;
  /** Empty for a tombstone. Secret. */
  readonly plaintext: Uint8Array;
  /** The writer deleted this box. */
  readonly tombstone: boolean;
  /** ms since the Unix epoch. */
  readonly receivedAt: number;
  /** The application's mark (see `markRead`); new messages are unread. */
  readonly read: boolean;
}

/** A confirmed send, as stored in a channel's sent history. */
export interface SentMessage {
  /** Store-assigned, increasing. */
  readonly id: number;
  readonly channel: string;
  /** Position of the first box written. */
  readonly position: number;
  /** Boxes written: 1 for a box write, the chunk count for a copy. */
  readonly count: number;
  readonly boxIndex: Uint8Array;
  /** The channel's write index after this send. */
  readonly nextIndex: Uint8Array;
  /** Secret. Empty for a tombstone. */
  readonly plaintext: Uint8Array;
  readonly tombstone: boolean;
  /** `'box'`: a direct write; `'copy'`: through a courier copy command. */
  readonly via: 'box' | 'copy';
  /** The outbox entry it came from. */
  readonly outboxSeq: number;
  /** ms since the Unix epoch. */
  readonly sentAt: number;
}

/** A history query: by id, oldest first unless `order: 'desc'`. */
export interface HistoryQuery {
  /** Only ids greater than this. */
  readonly afterId?: number;
  /** Only ids less than this. */
  readonly beforeId?: number;
  /** At most this many. */
  readonly limit?: number;
  /** Received history only: `true` for unread messages, `false` for read ones. */
  readonly unread?: boolean;
  readonly order?: 'asc' | 'desc';
}
