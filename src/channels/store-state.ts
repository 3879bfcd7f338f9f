import { ChannelExistsError, ChannelNotFoundError, ContactExistsError } from './channel-errors.js';
import type { StoreTransaction } from './channel-store.js';
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
 * The whole content of a store as one immutable value: what the memory
 * store holds and the file store writes. Collections are replaced, never
 * mutated, so a transaction can build the next state beside the current
 * one and a failed transaction leaves nothing behind.
 */
export interface StoreState {
  readonly channels: ReadonlyMap<string, ChannelRecord>;
  readonly outbox: readonly OutboxEntry[];
  readonly received: readonly ReceivedMessage[];
  readonly sent: readonly SentMessage[];
  readonly exchanges: ReadonlyMap<string, ExchangeRecord>;
  readonly contacts: ReadonlyMap<string, ContactRecord>;
  readonly nextOutboxSeq: number;
  readonly nextReceivedId: number;
  readonly nextSentId: number;
}

/** A store with nothing in it. */
export const EMPTY_STORE_STATE: StoreState = {
  channels: new Map(),
  outbox: [],
  received: [],
  sent: [],
  exchanges: new Map(),
  contacts: new Map(),
  nextOutboxSeq: 1,
  nextReceivedId: 1,
  nextSentId: 1,
};

/**
 * Records go in and come out as deep copies: the caller owns what it gets
 * (DESIGN.md principle 3) and cannot reach into the stored state.
 */
const copy = <T>(value: T): T => structuredClone(value);

/**
 * A {@link StoreTransaction} over a {@link StoreState}: reads see the
 * transaction's own writes; {@link result} is the state to commit.
 *
 * @example
 * const tx = new StateTransaction(state);
 * tx.insertChannel(record);
 * state = tx.result();
 */
export class StateTransaction implements StoreTransaction {
  private channelsDraft: Map<string, ChannelRecord> | null = null;
  private outboxDraft: OutboxEntry[] | null = null;
  private receivedDraft: ReceivedMessage[] | null = null;
  private sentDraft: SentMessage[] | null = null;
  private exchangesDraft: Map<string, ExchangeRecord> | null = null;
  private contactsDraft: Map<string, ContactRecord> | null = null;
  private counters: { nextOutboxSeq: number; nextReceivedId: number; nextSentId: number };
  private changed = false;

  constructor(private readonly base: StoreState) {
    this.counters = { nextOutboxSeq: base.nextOutboxSeq, nextReceivedId: base.nextReceivedId, nextSentId: base.nextSentId };
  }

  /** Whether anything was written (read-only transactions need no commit). */
  get dirty(): boolean {
    return this.changed;
  }

  /** The state after this transaction. */
  result(): StoreState {
    if (!this.changed) return this.base;
    return {
      channels: this.channelsDraft ?? this.base.channels,
      outbox: this.outboxDraft ?? this.base.outbox,
      received: this.receivedDraft ?? this.base.received,
      sent: this.sentDraft ?? this.base.sent,
      exchanges: this.exchangesDraft ?? this.base.exchanges,
      contacts: this.contactsDraft ?? this.base.contacts,
      ...this.counters,
    };
  }

  private get channelsView(): ReadonlyMap<string, ChannelRecord> {
    return this.channelsDraft ?? this.base.channels;
  }
  private get exchangesView(): ReadonlyMap<string, ExchangeRecord> {
    return this.exchangesDraft ?? this.base.exchanges;
  }
  private get contactsView(): ReadonlyMap<string, ContactRecord> {
    return this.contactsDraft ?? this.base.contacts;
  }
  private get outboxView(): readonly OutboxEntry[] {
    return this.outboxDraft ?? this.base.outbox;
  }
  private get receivedView(): readonly ReceivedMessage[] {
    return this.receivedDraft ?? this.base.received;
  }
  private get sentView(): readonly SentMessage[] {
    return this.sentDraft ?? this.base.sent;
  }
  private writableChannels(): Map<string, ChannelRecord> {
    this.changed = true;
    return (this.channelsDraft ??= new Map(this.base.channels));
  }
  private writableExchanges(): Map<string, ExchangeRecord> {
    this.changed = true;
    return (this.exchangesDraft ??= new Map(this.base.exchanges));
  }
  private writableContacts(): Map<string, ContactRecord> {
    this.changed = true;
    return (this.contactsDraft ??= new Map(this.base.contacts));
  }
  private writableOutbox(): OutboxEntry[] {
    this.changed = true;
    return (this.outboxDraft ??= [...this.base.outbox]);
  }
  private writableReceived(): ReceivedMessage[] {
    this.changed = true;
    return (this.receivedDraft ??= [...this.base.received]);
  }
  private writableSent(): SentMessage[] {
    this.changed = true;
    return (this.sentDraft ??= [...this.base.sent]);
  }

  channel(name: string): ChannelRecord | undefined {
    return copyOf(this.channelsView, name);
  }

  channels(): ChannelRecord[] {
    return byName(this.channelsView);
  }

  insertChannel(record: ChannelRecord): void {
    if (this.channelsView.has(record.name)) throw new ChannelExistsError(record.name);
    this.writableChannels().set(record.name, copy(record));
  }

  updateChannel(name: string, patch: ChannelPatch): ChannelRecord {
    const current = this.channelsView.get(name);
    if (current === undefined) throw new ChannelNotFoundError(name);
    const next = { ...current, ...copy(patch) };
    this.writableChannels().set(name, next);
    return copy(next);
  }

  deleteChannel(name: string): void {
    if (!this.channelsView.has(name)) throw new ChannelNotFoundError(name);
    this.writableChannels().delete(name);
    this.outboxDraft = this.outboxView.filter((entry) => entry.slots.some((slot) => slot.channel !== name));
    this.receivedDraft = this.receivedView.filter((message) => message.channel !== name);
    this.sentDraft = this.sentView.filter((message) => message.channel !== name);
  }

  outbox(): OutboxEntry[] {
    return this.outboxView.map(copy);
  }

  insertOutbox(entry: NewOutboxEntry): OutboxEntry {
    const stored: OutboxEntry = { ...copy(entry), seq: this.counters.nextOutboxSeq++ };
    this.writableOutbox().push(stored);
    return copy(stored);
  }

  updateOutbox(seq: number, patch: Partial<Pick<OutboxEntry, 'attempts' | 'lastError' | 'operation'>>): void {
    const outbox = this.writableOutbox();
    const at = outbox.findIndex((entry) => entry.seq === seq);
    if (at >= 0) outbox[at] = { ...outbox[at]!, ...copy(patch) };
  }

  deleteOutbox(seq: number): void {
    const outbox = this.writableOutbox();
    const at = outbox.findIndex((entry) => entry.seq === seq);
    if (at >= 0) outbox.splice(at, 1);
  }

  insertReceived(message: Omit<ReceivedMessage, 'id'>): ReceivedMessage {
    const stored: ReceivedMessage = { ...copy(message), id: this.counters.nextReceivedId++ };
    this.writableReceived().push(stored);
    return copy(stored);
  }

  received(channel: string, query: HistoryQuery = {}): ReceivedMessage[] {
    const matching = this.receivedView.filter(
      (m) => m.channel === channel && (query.unread === undefined || m.read !== query.unread),
    );
    return selectHistory(matching, query).map(copy);
  }

  setRead(channel: string, ids: readonly number[], read: boolean): number {
    const wanted = new Set(ids);
    let changed = 0;
    const next = this.receivedView.map((m) => {
      if (m.channel !== channel || !wanted.has(m.id) || m.read === read) return m;
      changed++;
      return { ...m, read };
    });
    if (changed > 0) {
      this.changed = true;
      this.receivedDraft = next;
    }
    return changed;
  }

  insertSent(message: Omit<SentMessage, 'id'>): SentMessage {
    const stored: SentMessage = { ...copy(message), id: this.counters.nextSentId++ };
    this.writableSent().push(stored);
    return copy(stored);
  }

  sent(channel: string, query: HistoryQuery = {}): SentMessage[] {
    return selectHistory(
      this.sentView.filter((m) => m.channel === channel),
      query,
    ).map(copy);
  }

  exchanges(): ExchangeRecord[] {
    return byName(this.exchangesView);
  }

  exchange(name: string): ExchangeRecord | undefined {
    return copyOf(this.exchangesView, name);
  }

  putExchange(record: ExchangeRecord): void {
    this.writableExchanges().set(record.name, copy(record));
  }

  deleteExchange(name: string): void {
    if (this.exchangesView.has(name)) this.writableExchanges().delete(name);
  }

  contacts(): ContactRecord[] {
    return byName(this.contactsView);
  }

  contact(name: string): ContactRecord | undefined {
    return copyOf(this.contactsView, name);
  }

  insertContact(record: ContactRecord): void {
    if (this.contactsView.has(record.name)) throw new ContactExistsError(record.name);
    this.writableContacts().set(record.name, copy(record));
  }

  deleteContact(name: string): void {
    if (this.contactsView.has(name)) this.writableContacts().delete(name);
  }
}

/** The record called `name`, as a copy. */
function copyOf<T>(records: ReadonlyMap<string, T>, name: string): T | undefined {
  const record = records.get(name);
  return record === undefined ? undefined : copy(record);
}

/** A map's records sorted by name, as copies. */
function byName<T extends { readonly name: string }>(records: ReadonlyMap<string, T>): T[] {
  return [...records.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map(copy);
}

/**
 * Applies the id window, order and limit of a query to records already
 * in id order. Shared by the state-based stores; the SQLite store does the
 * same in SQL.
 */
export function selectHistory<T extends { readonly id: number }>(records: readonly T[], query: HistoryQuery): T[] {
  let out = records.filter((r) => (query.afterId === undefined || r.id > query.afterId) && (query.beforeId === undefined || r.id < query.beforeId));
  if (query.order === 'desc') out = out.reverse();
  if (query.limit !== undefined) out = out.slice(0, Math.max(0, query.limit));
  return out;
}
