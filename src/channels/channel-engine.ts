import { concat, concatMap, defer, filter, firstValueFrom, from, type Observable } from 'rxjs';
import type { ThinClient } from '../client/thin-client.js';
import type { StreamMessage, TailOptions } from '../client/streams/tail.js';
import { bytesEqual } from '../core/hex.js';
import { cryptoRandom, type RandomSource } from '../core/random-source.js';
import { InvalidArgumentError, ProtocolError } from '../errors/local-errors.js';
import { CopyCommandFailedError } from '../errors/thin-client-errors.js';
import { BoxAlreadyExistsError } from '../errors/replica-errors.js';
import { WireSizes } from '../wire/constants.js';
import {
  ChannelExistsError,
  ChannelOutOfStepError,
  ChannelNotFoundError,
  OutboxDeliveryError,
  ReadOnlyChannelError,
  StoreConflictError,
} from './channel-errors.js';
import type { ChannelStore, StoreTransaction } from './channel-store.js';
import type { ChannelInfo, ChannelRecord, NewOutboxEntry, OutboxEntry, OutboxSlot, ReceivedMessage, SentMessage } from './channel-types.js';
import type { DurabilityStepEvent } from './durability-step.js';
import { parseReadCapability } from './read-capability.js';

/** Options of a `ChannelManager`. */
export interface ChannelManagerOptions {
  /**
   * Called — and awaited — at every durability step (see
   * `DurabilityStep`): for tracing, metrics, and the crash tests, which
   * stop the process there. Never given secrets.
   */
  readonly onStep?: (event: DurabilityStepEvent) => void | Promise<void>;
  /** Clock for the stored timestamps (default `Date.now`). */
  readonly now?: () => number;
  /** Randomness for channel and temporary-channel seeds (default: the CSPRNG). */
  readonly random?: RandomSource;
  /**
   * Write the first box of each channel strictly, failing with
   * `ChannelOutOfStepError` if it holds other content (default true). Only
   * for comparisons with upstream's behaviour: false writes every box
   * idempotently, so a store behind its channel loses messages silently.
   */
  readonly verifyNextBox?: boolean;
}

/** Options of `messages$`. */
export interface MessagesOptions extends Pick<TailOptions, 'initialDelayMs' | 'maxDelayMs'> {
  /**
   * First emit the stored messages not yet marked read (default true):
   * with `markRead` after handling each message, every message reaches the
   * application at least once even if the process dies between storing it
   * and handling it.
   */
  readonly replayUnread?: boolean;
}

/** What `recover()` did. */
export interface RecoveryReport {
  /** Outbox entries found at the start. */
  readonly entries: number;
  /** The sends it completed, in commit order. */
  readonly sent: SentMessage[];
}

/** A queued operation as `pending()` shows it: no ciphertexts, no secrets. */
export interface PendingSend {
  readonly seq: number;
  readonly kind: 'message' | 'tombstone' | 'copy';
  readonly position: number;
  readonly count: number;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: number;
}

interface ChainTail {
  readonly index: Uint8Array;
  readonly position: number;
}

const MAX_NAME_LENGTH = 255;
/** Replica error code BoxAlreadyExists (PROTOCOL.md §7.2). */
const BOX_ALREADY_EXISTS = 10;

function checkName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError('name', `expected a channel name of 1 to ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}

function checkPayload(argument: string, value: unknown, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(argument, 'expected a Uint8Array');
  if (value.length === 0) throw new InvalidArgumentError(argument, 'must not be empty (an empty box is a tombstone: use tombstoneCurrent)');
  if (value.length > max) throw new InvalidArgumentError(argument, `expected at most ${max} bytes, got ${value.length}`);
  return value;
}

function hasSlot(entry: OutboxEntry, channel: string): boolean {
  return entry.slots.some((slot) => slot.channel === channel);
}

function sharesChannel(a: OutboxEntry, b: OutboxEntry): boolean {
  return a.slots.some((slot) => hasSlot(b, slot.channel));
}

function describeError(error: unknown): string {
  // Error names and messages of this SDK never carry secrets.
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The channel layer's machinery, shared by `ChannelManager` and its
 * `Channel` handles. Built only on `ThinClient`'s public methods and a
 * `ChannelStore`.
 *
 * The durability rules, and why each ordering is crash-safe:
 *
 * 1. **Outbox before network.** A send is encrypted (`encryptWrite`), then
 *    committed to the outbox with its exact ciphertext, envelope, box index
 *    and next index, and only then transmitted. Once queued, the box is
 *    reserved: the next allocation starts after the last outbox entry, so
 *    no later message can be given the same box — even if we crash before
 *    learning whether the write arrived.
 * 2. **Advance and dequeue together.** After the daemon confirms a write,
 *    one transaction advances the write index, removes the outbox entry and
 *    stores the sent record. A crash before it leaves the entry queued;
 *    recovery re-sends the *same* ciphertext to the *same* box, which the
 *    replicas accept as an identical re-write. (Re-encrypting a new message
 *    for that box instead would be swallowed by the idempotent write path:
 *    upstream's lost-message bug.) A crash after it finds nothing to do.
 * 3. **Chain order.** Entries are transmitted and committed in outbox
 *    order per channel: an entry waits for the earlier entries of every
 *    channel it writes to. So recovered entries always go out before newer
 *    sends, and the write index only ever advances over confirmed boxes.
 * 4. **Store before advance.** A box read is stored in the history and the
 *    read index advanced in one transaction, guarded by the current read
 *    index (compare-and-set, so no box is stored twice); only then is the
 *    message emitted. A crash before the transaction re-reads the box; a
 *    crash after it finds the message stored (and unread).
 * 5. **No transaction spans a network call**: a crash always falls between
 *    two complete transactions.
 */
export class ChannelEngine {
  private readonly now: () => number;
  private readonly random: RandomSource;
  private readonly locks = new Map<string, Promise<void>>();
  private readonly inflight = new Map<number, Promise<SentMessage[]>>();
  /** Channels whose next box this engine has found free (or ours): later sends need no check. */
  private readonly inStep = new Set<string>();

  constructor(
    readonly client: ThinClient,
    readonly store: ChannelStore,
    private readonly options: ChannelManagerOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? cryptoRandom;
  }

  // ---- channels ------------------------------------------------------------

  async create(name: string): Promise<ChannelRecord> {
    checkName(name);
    return this.withLocks([name], async () => {
      // Checked before the daemon is asked for keys, and again on insert.
      if (await this.store.transaction((tx) => tx.channel(name) !== undefined)) throw new ChannelExistsError(name);
      const keys = await firstValueFrom(this.client.newKeypair(this.random(WireSizes.seed)));
      const record: ChannelRecord = {
        name,
        owned: true,
        // The store persists the bytes themselves (it is created 0600).
        writeCap: keys.writeCap.exposeBytes(),
        readCap: keys.readCap,
        firstIndex: keys.firstMessageIndex,
        firstPosition: 0,
        writeIndex: keys.firstMessageIndex,
        writePosition: 0,
        readIndex: keys.firstMessageIndex,
        readPosition: 0,
        createdAt: this.now(),
      };
      await this.store.transaction((tx) => tx.insertChannel(record));
      return record;
    });
  }

  async import(name: string, readCapability: string): Promise<ChannelRecord> {
    checkName(name);
    const { readCap, startIndex } = parseReadCapability(readCapability);
    const record: ChannelRecord = {
      name,
      owned: false,
      writeCap: null,
      readCap,
      firstIndex: startIndex,
      firstPosition: 0,
      writeIndex: null,
      writePosition: 0,
      readIndex: startIndex,
      readPosition: 0,
      createdAt: this.now(),
    };
    await this.store.transaction((tx) => tx.insertChannel(record));
    return record;
  }

  async record(name: string): Promise<ChannelRecord> {
    const record = await this.store.transaction((tx) => tx.channel(name));
    if (record === undefined) throw new ChannelNotFoundError(name);
    return record;
  }

  async info(name: string): Promise<ChannelInfo> {
    const info = await this.store.transaction((tx) => {
      const record = tx.channel(name);
      return record === undefined ? undefined : toInfo(record, tx.outbox());
    });
    if (info === undefined) throw new ChannelNotFoundError(name);
    return info;
  }

  list(): Promise<ChannelInfo[]> {
    return this.store.transaction((tx) => {
      const outbox = tx.outbox();
      return tx.channels().map((record) => toInfo(record, outbox));
    });
  }

  delete(name: string): Promise<void> {
    return this.store.transaction((tx) => tx.deleteChannel(name));
  }

  /** Where the next prepared box of `name` goes: after the last outbox entry, or the write index. */
  async nextWrite(name: string): Promise<ChainTail> {
    return this.store.transaction((tx) => this.tail(tx, this.owned(tx, name)));
  }

  // ---- preparing (outbox) --------------------------------------------------

  /** Encrypts `plaintext` for the next free box of `name` and queues it. */
  prepareMessage(name: string, plaintext: Uint8Array): Promise<OutboxEntry> {
    // encryptWrite checks the upper bound against the geometry.
    checkPayload('plaintext', plaintext, Number.POSITIVE_INFINITY);
    return this.withLocks([name], async () => {
      const { record, tail } = await this.store.transaction((tx) => {
        const owned = this.owned(tx, name);
        return { record: owned, tail: this.tail(tx, owned) };
      });
      const envelope = await firstValueFrom(this.client.encryptWrite(plaintext, record.writeCap!, tail.index));
      await this.step({ step: 'send:prepared', channel: name, position: tail.position });
      const entry = await this.store.transaction((tx) => {
        this.checkTail(tx, name, tail);
        return tx.insertOutbox({
          slots: [{ channel: name, position: tail.position, count: 1, boxIndex: tail.index, nextIndex: envelope.nextMessageBoxIndex, plaintext }],
          operation: {
            kind: 'box',
            tombstone: false,
            messageCiphertext: envelope.messageCiphertext,
            envelopeDescriptor: envelope.envelopeDescriptor.exposeBytes(),
            envelopeHash: envelope.envelopeHash,
          },
          createdAt: this.now(),
          attempts: 0,
          lastError: null,
        });
      });
      await this.step({ step: 'send:queued', channel: name, position: tail.position, seq: entry.seq });
      return entry;
    });
  }

  /** Queues tombstones for the next `count` free boxes of `name` (`tombstoneRange`). */
  prepareTombstones(name: string, count: number): Promise<OutboxEntry[]> {
    if (!Number.isSafeInteger(count) || count < 0 || count > 0xffff_ffff) throw new InvalidArgumentError('count', 'expected an integer from 0 to 4294967295');
    if (count === 0) return Promise.resolve([]);
    return this.withLocks([name], async () => {
      const { record, tail } = await this.store.transaction((tx) => {
        const owned = this.owned(tx, name);
        return { record: owned, tail: this.tail(tx, owned) };
      });
      const range = await firstValueFrom(this.client.tombstoneRange(record.writeCap!, tail.index, count));
      await this.step({ step: 'send:prepared', channel: name, position: tail.position });
      const entries = await this.store.transaction((tx) => {
        this.checkTail(tx, name, tail);
        return range.envelopes.map((envelope, i) =>
          tx.insertOutbox({
            slots: [
              {
                channel: name,
                position: tail.position + i,
                count: 1,
                boxIndex: envelope.boxIndex,
                nextIndex: range.envelopes[i + 1]?.boxIndex ?? range.next,
                plaintext: new Uint8Array(0),
              },
            ],
            operation: {
              kind: 'box',
              tombstone: true,
              messageCiphertext: envelope.messageCiphertext,
              envelopeDescriptor: envelope.envelopeDescriptor.exposeBytes(),
              envelopeHash: envelope.envelopeHash,
            },
            createdAt: this.now(),
            attempts: 0,
            lastError: null,
          }),
        );
      });
      for (const entry of entries) await this.step({ step: 'send:queued', channel: name, position: entry.slots[0]!.position, seq: entry.seq });
      return entries;
    });
  }

  /**
   * Queues an atomic copy of payloads to one or more owned channels: the
   * copy-stream elements are created now (local), stored with a fresh
   * temporary-channel seed, and each destination's boxes are reserved.
   */
  prepareCopy(items: readonly { readonly channel: string; readonly payload: Uint8Array }[]): Promise<OutboxEntry> {
    if (!Array.isArray(items) || items.length === 0) throw new InvalidArgumentError('items', 'expected at least one destination');
    const names = items.map((item) => checkName(item.channel));
    if (new Set(names).size !== names.length) throw new InvalidArgumentError('items', 'each channel may appear only once');
    items.forEach((item, i) => checkPayload(`items[${i}].payload`, item.payload, WireSizes.maxCopyPayload));
    return this.withLocks(names, async () => {
      const starts = await this.store.transaction((tx) =>
        names.map((name) => {
          const record = this.owned(tx, name);
          return { record, tail: this.tail(tx, record) };
        }),
      );
      const created = await firstValueFrom(
        this.client.createCourierEnvelopesFromMultiPayload(
          items.map((item, i) => ({ payload: item.payload, writeCap: starts[i]!.record.writeCap!, startIndex: starts[i]!.tail.index })),
          true,
          true,
          null,
        ),
      );
      const nexts = created.nextDestIndices;
      if (nexts === null || nexts.length !== items.length || created.envelopes.length === 0) {
        throw new ProtocolError('create_courier_envelopes_from_multi_payload: expected one next index per destination and at least one element');
      }
      const counts: number[] = [];
      for (let i = 0; i < items.length; i++) {
        const from = await firstValueFrom(this.client.getMessageBoxIndexCounter(starts[i]!.tail.index));
        const to = await firstValueFrom(this.client.getMessageBoxIndexCounter(nexts[i]!));
        counts.push(Number(to - from));
      }
      await this.step({ step: 'send:prepared', channel: names[0]!, position: starts[0]!.tail.position });
      const entry = await this.store.transaction((tx) => {
        names.forEach((name, i) => this.checkTail(tx, name, starts[i]!.tail));
        const slots: OutboxSlot[] = items.map((item, i) => ({
          channel: item.channel,
          position: starts[i]!.tail.position,
          count: counts[i]!,
          boxIndex: starts[i]!.tail.index,
          nextIndex: nexts[i]!,
          plaintext: item.payload,
        }));
        const fresh: NewOutboxEntry = {
          slots,
          operation: { kind: 'copy', tempSeed: this.random(WireSizes.seed), elements: created.envelopes },
          createdAt: this.now(),
          attempts: 0,
          lastError: null,
        };
        return tx.insertOutbox(fresh);
      });
      await this.step({ step: 'send:queued', channel: names[0]!, position: starts[0]!.tail.position, seq: entry.seq });
      return entry;
    });
  }

  // ---- transmitting --------------------------------------------------------

  /** Prepares and delivers one message: the sent record once it is committed. */
  async send(name: string, plaintext: Uint8Array): Promise<SentMessage> {
    const entry = await this.prepareMessage(name, plaintext);
    const sent = await this.deliver(name, entry);
    return sent[0]!;
  }

  /** Delivers a queued entry; failures become `OutboxDeliveryError` (the entry stays queued). */
  async deliver(name: string, entry: OutboxEntry): Promise<SentMessage[]> {
    try {
      return await this.transmit(entry);
    } catch (error) {
      throw error instanceof OutboxDeliveryError || error instanceof ChannelOutOfStepError ? error : new OutboxDeliveryError(name, entry.seq, error);
    }
  }

  /** Transmits every queued entry of `name`, in order; `onSent` sees each of its sent records. */
  async flush(name: string, onSent: (sent: SentMessage) => void = () => undefined): Promise<SentMessage[]> {
    const entries = await this.store.transaction((tx) => {
      if (tx.channel(name) === undefined) throw new ChannelNotFoundError(name);
      return tx.outbox().filter((entry) => hasSlot(entry, name));
    });
    const all: SentMessage[] = [];
    for (const entry of entries) {
      for (const sent of await this.deliver(name, entry)) {
        if (sent.channel !== name) continue;
        all.push(sent);
        onSent(sent);
      }
    }
    return all;
  }

  /** Re-sends every outbox entry (after a restart), channels in parallel, each in order. */
  async recover(): Promise<RecoveryReport> {
    const { outbox, channels } = await this.store.transaction((tx) => {
      const entries = tx.outbox();
      // A copy entry may still name a channel deleted since; its other channels carry it.
      const names = [...new Set(entries.flatMap((entry) => entry.slots.map((slot) => slot.channel)))].filter((name) => tx.channel(name) !== undefined);
      return { outbox: entries, channels: names };
    });
    const results = await Promise.allSettled(channels.map((name) => this.flush(name)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const sent = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : [])).sort((a, b) => a.id - b.id);
    return { entries: outbox.length, sent };
  }

  async pending(name: string): Promise<PendingSend[]> {
    return this.store.transaction((tx) => {
      if (tx.channel(name) === undefined) throw new ChannelNotFoundError(name);
      return tx
        .outbox()
        .filter((entry) => hasSlot(entry, name))
        .map((entry) => {
          const slot = entry.slots.find((s) => s.channel === name)!;
          const kind = entry.operation.kind === 'copy' ? 'copy' : entry.operation.tombstone ? 'tombstone' : 'message';
          return { seq: entry.seq, kind, position: slot.position, count: slot.count, attempts: entry.attempts, lastError: entry.lastError, createdAt: entry.createdAt };
        });
    });
  }

  /** One transmission per entry at a time, shared by everyone waiting for it. */
  private transmit(entry: OutboxEntry): Promise<SentMessage[]> {
    const running = this.inflight.get(entry.seq);
    if (running) return running;
    const run = this.runTransmit(entry.seq).finally(() => this.inflight.delete(entry.seq));
    this.inflight.set(entry.seq, run);
    return run;
  }

  private async runTransmit(seq: number): Promise<SentMessage[]> {
    const { current, earlier } = await this.store.transaction((tx) => {
      const outbox = tx.outbox();
      const found = outbox.find((e) => e.seq === seq);
      return { current: found, earlier: found === undefined ? [] : outbox.filter((e) => e.seq < seq && sharesChannel(e, found)) };
    });
    // Committed meanwhile (by another handle or an earlier call): report what was stored.
    if (current === undefined) return this.sentFor(seq);
    // Rule 3: the boxes before ours in each chain are confirmed first.
    for (const before of earlier) await this.transmit(before);

    try {
      await this.network(current);
    } catch (error) {
      await this.recordFailure(current, error);
      throw error;
    }
    const first = current.slots[0]!;
    await this.step({ step: 'send:acked', channel: first.channel, position: first.position, seq });
    const sent = await this.store.transaction((tx) => this.commit(tx, seq));
    await this.step({ step: 'send:committed', channel: first.channel, position: first.position, seq });
    return sent;
  }

  /** Sends the stored operation as it is: the same bytes every time. */
  private async network(entry: OutboxEntry): Promise<void> {
    const operation = entry.operation;
    if (operation.kind === 'box') {
      const name = entry.slots[0]!.channel;
      const record = await this.store.transaction((tx) => tx.channel(name));
      if (record?.writeCap == null) return; // deleted meanwhile: commit drops the entry
      // The first write of a channel in this engine's life is made strictly: a box
      // that already holds other content means the store is behind the channel (a
      // restored backup), and the default, idempotent write would report success
      // while the message vanished. Our own earlier write of this very entry is no
      // conflict: it is the same ciphertext, which replicas accept. One more round
      // trip, once per channel; after it, this engine is the channel's only writer.
      const strict = this.options.verifyNextBox !== false && !this.inStep.has(name);
      try {
        await firstValueFrom(
          this.client.startResendingEncryptedMessage({
            writeCap: record.writeCap,
            messageCiphertext: operation.messageCiphertext,
            envelopeDescriptor: operation.envelopeDescriptor,
            envelopeHash: operation.envelopeHash,
            noIdempotentBoxAlreadyExists: strict,
          }),
        );
      } catch (error) {
        throw error instanceof BoxAlreadyExistsError ? new ChannelOutOfStepError(name, entry.seq) : error;
      }
      this.inStep.add(name);
      return;
    }
    // A copy: the same temporary channel (deterministic in its seed) and the
    // same elements, so a re-run after a crash writes identical boxes and
    // the courier returns its cached result if it already executed it.
    try {
      await this.runCopy(operation.tempSeed, operation.elements);
    } catch (error) {
      if (!(error instanceof CopyCommandFailedError)) throw error;
      // A destination box held other content (replica code 10): out of step, as for a box write.
      if (error.replicaErrorCode === BOX_ALREADY_EXISTS) throw new ChannelOutOfStepError(entry.slots[0]!.channel, entry.seq);
      // The temporary channel may be spent: after a successful copy the
      // courier tombstones it, so re-running it on another courier (no
      // cached result there) fails on the tombstones — and a failure is
      // cached for 30 minutes. The elements do not depend on the temporary
      // channel and their destination envelopes are byte-identical, so
      // replaying them through a fresh one is an identical re-write at
      // every destination. Persist the new seed first, then retry once.
      const fresh = this.random(WireSizes.seed);
      await this.store.transaction((tx) => tx.updateOutbox(entry.seq, { operation: { ...operation, tempSeed: fresh } }));
      await this.runCopy(fresh, operation.elements);
    }
  }

  /** Writes the copy-stream elements to the temporary channel of `seed` from its first box, then has a courier execute them. */
  private async runCopy(seed: Uint8Array, elements: readonly Uint8Array[]): Promise<void> {
    const temp = await firstValueFrom(this.client.newKeypair(seed));
    let index = temp.firstMessageIndex;
    for (const element of elements) index = await firstValueFrom(this.client.write(temp.writeCap, index, element));
    await firstValueFrom(this.client.startResendingCopyCommand(temp.writeCap));
  }

  private async recordFailure(entry: OutboxEntry, error: unknown): Promise<void> {
    await this.store
      .transaction((tx) => {
        const current = tx.outbox().find((e) => e.seq === entry.seq);
        if (current === undefined) return;
        const operation =
          // A courier caches a copy's failure per temporary channel for 30
          // minutes: retry through a fresh one (the elements do not depend on it).
          current.operation.kind === 'copy' && error instanceof CopyCommandFailedError
            ? { ...current.operation, tempSeed: this.random(WireSizes.seed) }
            : current.operation;
        tx.updateOutbox(entry.seq, { attempts: current.attempts + 1, lastError: describeError(error), operation });
      })
      .catch(() => undefined); // bookkeeping only: the original error is what matters
  }

  /** Rule 2: advance every destination, record the sends and dequeue, in one transaction. */
  private commit(tx: StoreTransaction, seq: number): SentMessage[] {
    const entry = tx.outbox().find((e) => e.seq === seq);
    if (entry === undefined) return tx.channels().flatMap((c) => tx.sent(c.name).filter((s) => s.outboxSeq === seq));
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
          sentAt: this.now(),
        }),
      );
    }
    tx.deleteOutbox(seq);
    return sent;
  }

  private sentFor(seq: number): Promise<SentMessage[]> {
    return this.store.transaction((tx) => tx.channels().flatMap((c) => tx.sent(c.name, { order: 'desc', limit: 64 }).filter((s) => s.outboxSeq === seq)));
  }

  // ---- receiving -----------------------------------------------------------

  messages$(name: string, options: MessagesOptions = {}): Observable<ReceivedMessage> {
    const tailOptions: TailOptions = {
      ...(options.initialDelayMs !== undefined ? { initialDelayMs: options.initialDelayMs } : {}),
      ...(options.maxDelayMs !== undefined ? { maxDelayMs: options.maxDelayMs } : {}),
    };
    return defer(() =>
      from(
        this.store.transaction((tx) => {
          const record = tx.channel(name);
          if (record === undefined) throw new ChannelNotFoundError(name);
          return { record, unread: options.replayUnread === false ? [] : tx.received(name, { unread: true }) };
        }),
      ),
    ).pipe(
      concatMap(({ record, unread }) =>
        concat(
          from(unread),
          this.client.tail$(record.readCap, record.readIndex, tailOptions).pipe(
            concatMap((message) => from(this.storeReceived(name, message))),
            filter((stored): stored is ReceivedMessage => stored !== null),
          ),
        ),
      ),
    );
  }

  /** Rule 4: store the message and advance the read index together, if the index is still where this box was read. */
  private async storeReceived(name: string, message: StreamMessage): Promise<ReceivedMessage | null> {
    if (this.options.onStep) {
      const position = await this.store.transaction((tx) => tx.channel(name)?.readPosition ?? -1);
      await this.step({ step: 'receive:read', channel: name, position });
    }
    const stored = await this.store.transaction((tx) => {
      const record = tx.channel(name);
      if (record === undefined) throw new ChannelNotFoundError(name);
      // Another reader of this store got there first: it stored the box.
      if (!bytesEqual(record.readIndex, message.index)) return null;
      const received = tx.insertReceived({
        channel: name,
        position: record.readPosition,
        boxIndex: message.index,
        plaintext: message.plaintext,
        tombstone: message.tombstone,
        receivedAt: this.now(),
        read: false,
      });
      tx.updateChannel(name, { readIndex: message.nextIndex, readPosition: record.readPosition + 1 });
      return received;
    });
    if (stored !== null) await this.step({ step: 'receive:committed', channel: name, position: stored.position });
    return stored;
  }

  // ---- helpers -------------------------------------------------------------

  private owned(tx: StoreTransaction, name: string): ChannelRecord {
    const record = tx.channel(name);
    if (record === undefined) throw new ChannelNotFoundError(name);
    if (!record.owned || record.writeCap === null || record.writeIndex === null) throw new ReadOnlyChannelError(name);
    return record;
  }

  /** The end of `record`'s outbox chain: after its last queued slot, or its write index. */
  private tail(tx: StoreTransaction, record: ChannelRecord): ChainTail {
    const slots = tx
      .outbox()
      .map((entry) => entry.slots.find((slot) => slot.channel === record.name))
      .filter((slot): slot is OutboxSlot => slot !== undefined);
    const last = slots[slots.length - 1];
    if (last !== undefined) return { index: last.nextIndex, position: last.position + last.count };
    return { index: record.writeIndex!, position: record.writePosition };
  }

  /** Compare-and-set guard: the chain still ends where we encrypted for. */
  private checkTail(tx: StoreTransaction, name: string, expected: ChainTail): void {
    const now = this.tail(tx, this.owned(tx, name));
    if (!bytesEqual(now.index, expected.index) || now.position !== expected.position) {
      throw new StoreConflictError(`channel ${JSON.stringify(name)} was written by someone else meanwhile (expected position ${expected.position}, found ${now.position})`);
    }
  }

  private async step(event: DurabilityStepEvent): Promise<void> {
    await this.options.onStep?.(event);
  }

  /**
   * Serialises work per channel name in call order. Taking several names
   * registers on all of them at once, so waiters form one global order and
   * cannot deadlock.
   */
  private async withLocks<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
    const unique = [...new Set(names)];
    const previous = unique.map((name) => this.locks.get(name) ?? Promise.resolve());
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const name of unique) this.locks.set(name, done);
    await Promise.all(previous);
    try {
      return await fn();
    } finally {
      release();
      for (const name of unique) if (this.locks.get(name) === done) this.locks.delete(name);
    }
  }
}

function toInfo(record: ChannelRecord, outbox: readonly OutboxEntry[]): ChannelInfo {
  const { writeCap: _secret, ...info } = record;
  return { ...info, pending: outbox.filter((entry) => hasSlot(entry, record.name)).length };
}
