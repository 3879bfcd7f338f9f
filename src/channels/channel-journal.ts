import { catchError, concatMap, defer, endWith, from, ignoreElements, map, of, type Observable } from 'rxjs';
import { bytesEqual } from '../core/hex.js';
import type { StreamMessage } from '../client/streams/tail.js';
import { ChannelExistsError, StoreConflictError } from './channel-errors.js';
import type { ChannelStore, StoreTransaction } from './channel-store.js';
import type {
  BoxWriteOperation,
  ChannelInfo,
  ChannelRecord,
  CopyOperation,
  HistoryQuery,
  NewOutboxEntry,
  OutboxEntry,
  PendingSend,
  ReceivedMessage,
  SentMessage,
} from './channel-types.js';
import type { DurabilityStepEvent } from './durability-step.js';
import { chainTail, channelInfo, checkChainTail, existingChannel, ownedChannel, pendingSend, sharesChannel, writesTo, type ChainTail } from './outbox-chain.js';

/** What the journal needs besides its store. */
export interface JournalOptions {
  /** Called — and waited for — at every durability step (`ChannelManagerOptions.onStep`). */
  readonly onStep?: (event: DurabilityStepEvent) => void | Promise<void>;
  /** Clock for the stored timestamps. */
  readonly now: () => number;
}

/** An owned channel and the end of its outbox chain, read in one transaction: where a new entry goes. */
export interface Reservation {
  readonly record: ChannelRecord;
  readonly tail: ChainTail;
}

/** An outbox entry about to be queued: the journal numbers and dates it. */
export type QueuedOperation = Pick<NewOutboxEntry, 'slots' | 'operation'>;

/** A queued entry and the older entries sharing a channel with it (rule 3: they go first). */
export interface QueuedEntry {
  /** Undefined once the entry is committed (or its channel deleted). */
  readonly entry: OutboxEntry | undefined;
  readonly before: readonly OutboxEntry[];
}

/**
 * The channel layer's journal: the store, and the durability steps that
 * make a crash — or an unsubscribe — at any moment lose nothing. Every
 * method is a cold Observable of one store transaction (or one step), so
 * the transmitter composes them with the daemon requests; none of them
 * talks to the daemon.
 *
 * The rules, and why each ordering is crash-safe:
 *
 * 1. **Outbox before network** ({@link queue$}). A send is encrypted, then
 *    committed to the outbox with its exact ciphertext, envelope, box index
 *    and next index, and only then transmitted. Once queued, the box is
 *    reserved: the next reservation starts after the last outbox entry, so
 *    no later message is given the same box — even if we crash, or the send
 *    is cancelled, before learning whether the write arrived.
 * 2. **Advance and dequeue together** ({@link commit$}). After the daemon
 *    confirms a write, one transaction advances the write index, removes
 *    the outbox entry and stores the sent record. Before it, the entry stays
 *    queued and is re-sent — the *same* ciphertext to the *same* box, which
 *    the replicas accept as an identical re-write. (Re-encrypting a new
 *    message for that box instead would be swallowed by the idempotent
 *    write path: upstream's lost-message bug.) After it, nothing is left.
 * 3. **Chain order** ({@link queued$}). Entries are transmitted and
 *    committed in outbox order per channel: an entry waits for the earlier
 *    entries of every channel it writes to, so recovered entries go out
 *    before newer sends and the write index only advances over confirmed
 *    boxes.
 * 4. **Store before advance** ({@link storeReceived$}). A box read is
 *    stored in the history and the read index advanced in one transaction,
 *    guarded by the current read index (compare-and-set, so no box is stored
 *    twice); only then is the message emitted.
 * 5. **No transaction spans a network call**: a crash always falls between
 *    two complete transactions. A transaction, once started, completes even
 *    if its subscriber unsubscribes (it is one atomic store call), so an
 *    unsubscribe also leaves the journal between two transactions.
 */
export class ChannelJournal {
  constructor(
    private readonly store: ChannelStore,
    private readonly options: JournalOptions,
  ) {}

  /** One store transaction, run on subscribe. */
  transaction$<T>(fn: (tx: StoreTransaction) => T): Observable<T> {
    return defer(() => this.store.transaction(fn));
  }

  /** Reports a durability step and waits for the hook; emits once. */
  step$(event: DurabilityStepEvent): Observable<void> {
    const onStep = this.options.onStep;
    return onStep === undefined ? of(undefined) : defer(async () => void (await onStep(event)));
  }

  // ---- channels ------------------------------------------------------------

  /** The stored channel `name`, or `ChannelNotFoundError`. */
  channel$(name: string): Observable<ChannelRecord> {
    return this.transaction$((tx) => existingChannel(tx, name));
  }

  /** Fails with `ChannelExistsError` if the name is taken: checked before the daemon is asked for keys (and again on insert). */
  requireFree$(name: string): Observable<void> {
    return this.transaction$((tx) => {
      if (tx.channel(name) !== undefined) throw new ChannelExistsError(name);
    });
  }

  /** Inserts a new channel record, dated now (`ChannelExistsError` if the name is taken). */
  insertChannel$(record: Omit<ChannelRecord, 'createdAt'>): Observable<ChannelRecord> {
    return this.transaction$((tx) => {
      const stored: ChannelRecord = { ...record, createdAt: this.options.now() };
      tx.insertChannel(stored);
      return stored;
    });
  }

  info$(name: string): Observable<ChannelInfo> {
    return this.transaction$((tx) => channelInfo(existingChannel(tx, name), tx.outbox()));
  }

  list$(): Observable<ChannelInfo[]> {
    return this.transaction$((tx) => {
      const outbox = tx.outbox();
      return tx.channels().map((record) => channelInfo(record, outbox));
    });
  }

  delete$(name: string): Observable<void> {
    return this.transaction$((tx) => tx.deleteChannel(name));
  }

  received$(name: string, query?: HistoryQuery): Observable<ReceivedMessage[]> {
    return this.transaction$((tx) => tx.received(name, query));
  }

  setRead$(name: string, ids: readonly number[], read: boolean): Observable<number> {
    return this.transaction$((tx) => tx.setRead(name, ids, read));
  }

  sent$(name: string, query?: HistoryQuery): Observable<SentMessage[]> {
    return this.transaction$((tx) => tx.sent(name, query));
  }

  // ---- rule 1: outbox before network ----------------------------------------

  /** The owned channels `names` and the ends of their chains: where their next entries go. */
  reserve$(names: readonly string[]): Observable<Reservation[]> {
    return this.transaction$((tx) =>
      names.map((name) => {
        const record = ownedChannel(tx, name);
        return { record, tail: chainTail(tx, record) };
      }),
    );
  }

  /**
   * Queues prepared operations (`send:prepared`, then one transaction,
   * then `send:queued` for each entry), provided every reserved chain still
   * ends where it was reserved (else `StoreConflictError`, nothing queued).
   */
  queue$(reserved: readonly Reservation[], operations: readonly QueuedOperation[]): Observable<OutboxEntry[]> {
    const first = reserved[0]!;
    return this.step$({ step: 'send:prepared', channel: first.record.name, position: first.tail.position }).pipe(
      concatMap(() => {
        const createdAt = this.options.now();
        return this.transaction$((tx) => {
          for (const { record, tail } of reserved) checkChainTail(tx, record.name, tail);
          return operations.map((operation) => tx.insertOutbox({ ...operation, createdAt, attempts: 0, lastError: null }));
        });
      }),
      concatMap((entries) =>
        from(entries).pipe(
          concatMap((entry) => this.step$({ step: 'send:queued', channel: entry.slots[0]!.channel, position: entry.slots[0]!.position, seq: entry.seq })),
          ignoreElements(),
          endWith(entries),
        ),
      ),
    );
  }

  /** The channel's queued entries, in order (`ChannelNotFoundError`). */
  outboxOf$(name: string): Observable<OutboxEntry[]> {
    return this.transaction$((tx) => {
      existingChannel(tx, name);
      return tx.outbox().filter((entry) => writesTo(entry, name));
    });
  }

  pending$(name: string): Observable<PendingSend[]> {
    return this.outboxOf$(name).pipe(map((entries) => entries.map((entry) => pendingSend(entry, name))));
  }

  /**
   * The outbox at the start of a recovery: how many entries, and the
   * channels they write to (a copy entry may still name a channel deleted
   * since; its other channels carry it).
   */
  outboxChannels$(): Observable<{ readonly entries: number; readonly channels: string[] }> {
    return this.transaction$((tx) => {
      const entries = tx.outbox();
      const names = [...new Set(entries.flatMap((entry) => entry.slots.map((slot) => slot.channel)))];
      return { entries: entries.length, channels: names.filter((name) => tx.channel(name) !== undefined) };
    });
  }

  // ---- rule 3: chain order --------------------------------------------------

  /** Entry `seq` as stored now, and the older entries it must wait for. */
  queued$(seq: number): Observable<QueuedEntry> {
    return this.transaction$((tx) => {
      const outbox = tx.outbox();
      const entry = outbox.find((e) => e.seq === seq);
      return { entry, before: entry === undefined ? [] : outbox.filter((e) => e.seq < seq && sharesChannel(e, entry)) };
    });
  }

  /** The record of a channel a queued write goes to, or undefined if it was deleted meanwhile. */
  destination$(name: string): Observable<ChannelRecord | undefined> {
    return this.transaction$((tx) => tx.channel(name));
  }

  /** Bookkeeping of a failed transmission: attempts, the error's name and message, and (for a copy) a fresh temporary seed. Never fails. */
  recordFailure$(seq: number, lastError: string, tempSeed?: Uint8Array): Observable<void> {
    return this.transaction$((tx) => {
      const current = tx.outbox().find((e) => e.seq === seq);
      if (current === undefined) return;
      const operation = current.operation.kind === 'copy' && tempSeed !== undefined ? { ...current.operation, tempSeed } : current.operation;
      tx.updateOutbox(seq, { attempts: current.attempts + 1, lastError, operation });
    }).pipe(catchError(() => of(undefined))); // bookkeeping only: the transmission's own error is what matters
  }

  /** Stores a replacement operation (a copy's fresh temporary seed) before it is used. */
  replaceOperation$(seq: number, operation: BoxWriteOperation | CopyOperation): Observable<void> {
    return this.transaction$((tx) => tx.updateOutbox(seq, { operation }));
  }

  // ---- rule 2: advance and dequeue together ---------------------------------

  /**
   * Commits a confirmed entry: `send:acked`, then one transaction that
   * advances every destination, records the sends and dequeues the entry,
   * then `send:committed`. Emits the sent records.
   */
  commit$(entry: OutboxEntry): Observable<SentMessage[]> {
    const first = entry.slots[0]!;
    const at = { channel: first.channel, position: first.position, seq: entry.seq };
    return this.step$({ step: 'send:acked', ...at }).pipe(
      concatMap(() => this.transaction$((tx) => this.commitIn(tx, entry.seq))),
      concatMap((sent) => this.step$({ step: 'send:committed', ...at }).pipe(map(() => sent))),
    );
  }

  /** The sent records of an entry committed earlier (by another handle, or an earlier call). */
  committed$(seq: number): Observable<SentMessage[]> {
    return this.transaction$((tx) => tx.channels().flatMap((c) => tx.sent(c.name, { order: 'desc', limit: 64 }).filter((s) => s.outboxSeq === seq)));
  }

  private commitIn(tx: StoreTransaction, seq: number): SentMessage[] {
    const entry = tx.outbox().find((e) => e.seq === seq);
    if (entry === undefined) return tx.channels().flatMap((c) => tx.sent(c.name).filter((s) => s.outboxSeq === seq));
    const sentAt = this.options.now();
    const sent: SentMessage[] = [];
    for (const slot of entry.slots) {
      const record = tx.channel(slot.channel);
      if (record === undefined) continue; // deleted while queued
      if (record.writeIndex === null || !bytesEqual(record.writeIndex, slot.boxIndex) || record.writePosition !== slot.position) {
        throw new StoreConflictError(`channel ${JSON.stringify(slot.channel)}: outbox entry ${seq} is for position ${slot.position}, but the write position is ${record.writePosition}`);
      }
      tx.updateChannel(slot.channel, { writeIndex: slot.nextIndex, writePosition: slot.position + slot.count });
      sent.push(
        tx.insertSent({
          channel: slot.channel,
          position: slot.position,
          count: slot.count,
          boxIndex: slot.boxIndex,
          nextIndex: slot.nextIndex,
          plaintext: slot.plaintext,
          tombstone: entry.operation.kind === 'box' && entry.operation.tombstone,
          via: entry.operation.kind === 'copy' ? 'copy' : 'box',
          outboxSeq: seq,
          sentAt,
        }),
      );
    }
    tx.deleteOutbox(seq);
    return sent;
  }

  // ---- rule 4: store before advance -----------------------------------------

  /** The channel to read and, unless `replayUnread` is false, its stored unread messages. */
  readStart$(name: string, replayUnread: boolean): Observable<{ readonly record: ChannelRecord; readonly unread: ReceivedMessage[] }> {
    return this.transaction$((tx) => ({ record: existingChannel(tx, name), unread: replayUnread ? tx.received(name, { unread: true }) : [] }));
  }

  /**
   * `receive:read`, then stores the message and advances the read index in
   * one transaction if the index is still where this box was read, then
   * `receive:committed`. Emits the stored message, or null when another
   * reader of this store got there first (it stored the box).
   */
  storeReceived$(name: string, message: StreamMessage): Observable<ReceivedMessage | null> {
    const read$ =
      this.options.onStep === undefined
        ? of(undefined)
        : this.transaction$((tx) => tx.channel(name)?.readPosition ?? -1).pipe(concatMap((position) => this.step$({ step: 'receive:read', channel: name, position })));
    return read$.pipe(
      concatMap(() =>
        this.transaction$((tx) => {
          const record = existingChannel(tx, name);
          if (!bytesEqual(record.readIndex, message.index)) return null;
          const received = tx.insertReceived({
            channel: name,
            position: record.readPosition,
            boxIndex: message.index,
            plaintext: message.plaintext,
            tombstone: message.tombstone,
            receivedAt: this.options.now(),
            read: false,
          });
          tx.updateChannel(name, { readIndex: message.nextIndex, readPosition: record.readPosition + 1 });
          return received;
        }),
      ),
      concatMap((stored) => (stored === null ? of(null) : this.step$({ step: 'receive:committed', channel: name, position: stored.position }).pipe(map(() => stored)))),
    );
  }
}
