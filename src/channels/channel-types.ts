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

/**
 * A contact: who is at the other end of a conversation, and the two
 * channels of this store the contact exchange created for it.
 */
export interface ContactRecord {
  readonly name: string;
  /** Their display name, as they gave it. */
  readonly displayName: string;
  /** The owned channel you write to them on. */
  readonly sendChannel: string;
  /** The read-only channel of theirs you read. */
  readonly receiveChannel: string;
  /** `'joiner'`: you invited them; `'inductor'`: you answered their invite. */
  readonly role: 'joiner' | 'inductor';
  /** ms since the Unix epoch. */
  readonly createdAt: number;
}

/**
 * The joiner's side of an exchange in progress, stored once the invite is
 * published: everything it must keep until the answer is opened.
 * `voucher`, `voucherSecretKey` and `messageWriteCap` are secrets.
 */
export interface JoinerExchangeRecord {
  readonly name: string;
  readonly role: 'joiner';
  /** Your display name in the invite. */
  readonly displayName: string;
  readonly voucher: Uint8Array;
  /** What box 0 holds. */
  readonly voucherPayload: Uint8Array;
  readonly voucherSecretKey: Uint8Array;
  /** Your new channel's write cap as it was before the exchange (the answer gives its salt-mutated successor). */
  readonly messageWriteCap: Uint8Array;
  readonly createdAt: number;
}

/**
 * The inductor's side of an exchange in progress: the answer, sealed and
 * stored before it is written — with the channel whose read cap it
 * carries, in the same transaction — so a crash re-writes the very same
 * bytes (box 1 refuses any other). `voucher` is a secret.
 */
export interface InductorExchangeRecord {
  readonly name: string;
  readonly role: 'inductor';
  readonly voucher: Uint8Array;
  /** What goes into box 1. */
  readonly sealedReply: Uint8Array;
  /** The joiner's display name. */
  readonly displayName: string;
  /** The joiner's (salt-mutated) read cap and the first box to read with it. */
  readonly readCap: Uint8Array;
  readonly readIndex: Uint8Array;
  readonly createdAt: number;
}

/** A contact exchange in progress, as stored. */
export type ExchangeRecord = JoinerExchangeRecord | InductorExchangeRecord;

/** An exchange in progress as `exchanges()` shows it: no secrets. */
export interface ExchangeInfo {
  readonly name: string;
  /** `'joiner'`: your invite waits for its answer; `'inductor'`: your answer is sealed and being written. */
  readonly role: 'joiner' | 'inductor';
  /** Joiner: your display name; inductor: the joiner's. */
  readonly displayName: string;
  readonly createdAt: number;
}
