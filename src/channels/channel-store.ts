import type {
  ChannelPatch,
  ChannelRecord,
  ContactRecord,
  ExchangeRecord,
  HistoryQuery,
  NewOutboxEntry,
  OutboxEntry,
  ReceivedMessage,
  SentMessage,
} from './channel-types.js';

/**
 * The operations of one store transaction. They are **synchronous**: a
 * transaction is a pure read-modify-write over the stored state, and never
 * waits for the network. That is a durability rule, not a convenience —
 * the channel layer never holds a transaction open across a daemon
 * request, so a crash can only ever land *between* two transactions, each
 * of which is all-or-nothing.
 */
export interface StoreTransaction {
  /** The channel called `name`, if there is one. */
  channel(name: string): ChannelRecord | undefined;
  /** All channels, by name. */
  channels(): ChannelRecord[];
  /** Throws `ChannelExistsError` if the name is taken. */
  insertChannel(record: ChannelRecord): void;
  /** Throws `ChannelNotFoundError` if there is no such channel. */
  updateChannel(name: string, patch: ChannelPatch): ChannelRecord;
  /**
   * Removes the channel, its histories and the outbox entries that only
   * concern it. A copy entry shared with other channels stays (their
   * chains depend on it); its slot for this channel is skipped at commit.
   */
  deleteChannel(name: string): void;

  /** Every outbox entry, by `seq`. */
  outbox(): OutboxEntry[];
  /** Appends an entry; the store assigns the next `seq`. */
  insertOutbox(entry: NewOutboxEntry): OutboxEntry;
  /** Records a failed attempt, or replaces the operation (a copy's fresh temporary seed). */
  updateOutbox(seq: number, patch: Partial<Pick<OutboxEntry, 'attempts' | 'lastError' | 'operation'>>): void;
  /** Removes an entry (its write is confirmed, or its channel deleted). */
  deleteOutbox(seq: number): void;

  /** Appends to a channel's received history; the store assigns the `id`. */
  insertReceived(message: Omit<ReceivedMessage, 'id'>): ReceivedMessage;
  /** A channel's received messages, oldest first, filtered by `query`. */
  received(channel: string, query?: HistoryQuery): ReceivedMessage[];
  /** Sets the read mark of these messages of `channel`; returns how many changed. */
  setRead(channel: string, ids: readonly number[], read: boolean): number;

  /** Appends to a channel's sent history; the store assigns the `id`. */
  insertSent(message: Omit<SentMessage, 'id'>): SentMessage;
  /** A channel's sent messages, oldest first, filtered by `query`. */
  sent(channel: string, query?: HistoryQuery): SentMessage[];

  /** Contact exchanges in progress, by name. */
  exchanges(): ExchangeRecord[];
  /** The exchange called `name`, if there is one. */
  exchange(name: string): ExchangeRecord | undefined;
  /** Stores an exchange, replacing one of the same name. */
  putExchange(record: ExchangeRecord): void;
  /** Removes an exchange (absent: nothing happens). */
  deleteExchange(name: string): void;

  /** All contacts, by name. */
  contacts(): ContactRecord[];
  /** The contact called `name`, if there is one. */
  contact(name: string): ContactRecord | undefined;
  /** Throws `ContactExistsError` if the name is taken. */
  insertContact(record: ContactRecord): void;
  /** Removes a contact record (its channels are separate records). */
  deleteContact(name: string): void;
}

/**
 * Where the channel layer keeps channels, the outbox and the histories.
 *
 * The interface is **asynchronous** at its edge (`transaction` returns a
 * Promise) so that stores backed by asynchronous I/O — a file written with
 * fsync, IndexedDB in a browser, a remote database — fit it; a synchronous
 * store (SQLite, on any of its drivers; memory) simply resolves at once.
 * Inside, the transaction body is synchronous (see {@link StoreTransaction}).
 *
 * Transactions are explicit: everything `fn` does commits together when it
 * returns, or not at all when it throws (the error rejects the Promise).
 * When the Promise resolves the commit is durable — for the file and
 * SQLite stores, on disk and fsynced. Transactions of one store run one at
 * a time, in call order.
 *
 * @example
 * const next = await store.transaction((tx) => tx.channel('inbox')?.readIndex);
 */
export interface ChannelStore {
  /** Runs `fn` as one all-or-nothing transaction; resolves with its result once durable. */
  transaction<T>(fn: (tx: StoreTransaction) => T): Promise<T>;
  /** Releases the store (file handles, locks). Further transactions reject. */
  close(): Promise<void>;
}
