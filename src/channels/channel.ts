import { concatMap, defer, firstValueFrom, map, type Observable } from 'rxjs';
import { checkBoolean } from '../client/validate.js';
import { WireSizes } from '../wire/constants.js';
import { checkHistoryQuery, checkMessageIds, checkPayload, checkShareFrom } from './channel-arguments.js';
import type { ChannelLayer } from './channel-layer.js';
import { channelMessages$, type MessagesOptions } from './channel-messages.js';
import type { ChannelInfo, HistoryQuery, PendingSend, ReceivedMessage, SentMessage } from './channel-types.js';
import { encodeReadCapability } from './read-capability.js';

/** A queued (not yet transmitted) send, as `prepare` reports it. */
export interface PreparedSend {
  /** The outbox entry: transmitted by `flush$()`, `recover()` or the next `send()` on this channel. */
  readonly seq: number;
  /** The box position reserved for it. */
  readonly position: number;
}

/**
 * A handle on one stored channel. It holds no state of its own — every
 * call reads the store — so handles never go stale and can be dropped and
 * re-obtained freely (`manager.get(name)`).
 *
 * Sending methods are cold Observables: subscribing sends, unsubscribing
 * cancels (see {@link send}). Store queries return Promises.
 *
 * @example
 * const inbox = await manager.createChannel('inbox');
 * const sent = await firstValueFrom(inbox.send(new TextEncoder().encode('hello')));
 * const share = await inbox.shareReadCapability(); // 'kprx1:…' for the reader
 */
export class Channel {
  /** @internal Use `ChannelManager.createChannel` / `importChannel` / `get`. */
  constructor(
    private readonly layer: ChannelLayer,
    /** The channel's name in its store. */
    readonly name: string,
    /** Whether we can write it (created here) or only read it (imported). */
    readonly owned: boolean,
  ) {}

  /** The stored state: indices, positions, pending count — never the write capability. */
  info(): Promise<ChannelInfo> {
    return firstValueFrom(this.layer.journal.info$(this.name));
  }

  /**
   * The read capability as a shareable `kprx1:` string (see
   * `encodeReadCapability`). `from: 'first'` (default) lets the reader read
   * the whole channel; `'next'` only what is written from now on.
   */
  shareReadCapability(options: { readonly from?: 'first' | 'next' } = {}): Promise<string> {
    const { journal } = this.layer;
    const share$ = defer(() =>
      checkShareFrom(options) === 'next'
        ? journal.reserve$([this.name]).pipe(map(([next]) => encodeReadCapability({ readCap: next!.record.readCap, startIndex: next!.tail.index })))
        : journal.channel$(this.name).pipe(map((record) => encodeReadCapability({ readCap: record.readCap, startIndex: record.firstIndex }))),
    );
    return firstValueFrom(share$);
  }

  /**
   * Sends one message (≤ `MaxPlaintextPayloadLength` bytes) in the next
   * box. Emits the sent record once the write is confirmed **and** the
   * advanced index is persisted, then completes.
   *
   * Crash-safe (see `ChannelJournal`): the message is queued in the outbox
   * with its exact ciphertext before it is transmitted, earlier queued
   * entries of this channel go first, and after a restart `recover()`
   * re-sends it to the same box. If transmission fails after queuing, the
   * error is an `OutboxDeliveryError`: the message is still queued and must
   * not be sent again.
   *
   * Unsubscribing cancels. Before the message is queued: nothing is stored
   * and nothing sent. After: the daemon request in flight is cancelled at
   * the daemon and the entry stays queued with its ciphertext and its box
   * reserved — `recover()`, `flush$()` or the next send delivers it, once;
   * `pending()` shows it meanwhile. (Once the commit transaction has
   * started, the send completes and is in `sentHistory()`.)
   *
   * Cold: each subscription sends the message once more, in the next box.
   */
  send(plaintext: Uint8Array): Observable<SentMessage> {
    const { preparer, transmitter } = this.layer;
    return preparer.message$(this.name, plaintext).pipe(
      concatMap((entry) => transmitter.deliver$(this.name, entry.seq)),
      map((sent) => sent[0]!),
    );
  }

  /**
   * Queues a message without transmitting it ("prepare offline"): the
   * local encryption runs now (the daemon needs no mixnet for it), the
   * entry is durable, and `flush$()`, `recover()` or the next `send()`
   * transmits it.
   *
   * Cold: each subscription queues the message once more.
   */
  prepare(plaintext: Uint8Array): Observable<PreparedSend> {
    return this.layer.preparer.message$(this.name, plaintext).pipe(map((entry) => ({ seq: entry.seq, position: entry.slots[0]!.position })));
  }

  /**
   * Transmits this channel's queued entries in order, emitting each sent
   * record; completes when they are done. Unsubscribing cancels (they stay
   * queued).
   *
   * Cold: each subscription transmits what is queued at that moment.
   */
  flush$(): Observable<SentMessage> {
    return this.layer.transmitter.flush$(this.name);
  }

  /**
   * The old name of {@link flush$}, which emits many sent records and so
   * carries the `$` of every multi-value stream (README, "Conventions").
   *
   * @deprecated Use {@link flush$}; this alias goes in 0.3.
   */
  flush(): Observable<SentMessage> {
    return this.flush$();
  }

  /** The queued entries of this channel (no ciphertexts). */
  pending(): Promise<PendingSend[]> {
    return firstValueFrom(this.layer.journal.pending$(this.name));
  }

  /**
   * Tombstones the next box (advancing past it), through the outbox like a
   * send, cancelled like a send.
   *
   * Cold: each subscription tombstones one more box.
   */
  tombstoneCurrent(): Observable<SentMessage> {
    return this.tombstoneRange$(1);
  }

  /**
   * Tombstones the next `count` boxes, emitting each as it is confirmed.
   * Unsubscribing cancels (the rest stay queued).
   *
   * Cold: each subscription tombstones `count` more boxes.
   */
  tombstoneRange$(count: number): Observable<SentMessage> {
    const { preparer, transmitter } = this.layer;
    return preparer.tombstones$(this.name, count).pipe(
      concatMap((entries) => entries),
      concatMap((entry) => transmitter.deliver$(this.name, entry.seq)),
      concatMap((sent) => sent),
    );
  }

  /**
   * The old name of {@link tombstoneRange$}, which emits one sent record
   * per box and so carries the `$` of every multi-value stream (README,
   * "Conventions").
   *
   * @deprecated Use {@link tombstoneRange$}; this alias goes in 0.3.
   */
  tombstoneRange(count: number): Observable<SentMessage> {
    return this.tombstoneRange$(count);
  }

  /**
   * Writes `payload` (up to 10 MiB) atomically through a courier copy
   * command: all its boxes appear, or none. Boxes hold
   * `MaxPlaintextPayloadLength − 4` bytes each on this path. Queued,
   * recovered and cancelled like a send (unsubscribing cancels the
   * temporary channel's writes or the copy command at the daemon). See
   * `ChannelManager.copySend` for several channels at once.
   *
   * Cold: each subscription writes the payload once more, in new boxes.
   */
  copySend(payload: Uint8Array): Observable<SentMessage> {
    const { preparer, transmitter } = this.layer;
    return defer(() => preparer.copy$([{ channel: this.name, payload: checkPayload('payload', payload, WireSizes.maxCopyPayload) }])).pipe(
      concatMap((entry) => transmitter.deliver$(this.name, entry.seq)),
      map((sent) => sent[0]!),
    );
  }

  /**
   * Received messages, resuming from the persisted read index: with
   * `replayUnread` (default) first the stored messages not yet marked read,
   * then each new box as it is written (polling with `tail$`). A message is
   * stored and the read index advanced in one transaction *before* it is
   * emitted. Call `markRead` once you have handled a message. Errors (e.g. a
   * lost daemon) end the stream; resubscribing resumes where it stopped.
   *
   * Cold: each subscription follows the channel from the persisted read
   * index and polls for itself; with two at once each new message is stored
   * once and reaches only one of them, so share one (README, "Conventions").
   *
   * @example
   * channel.messages$().pipe(concatMap(async (m) => { await handle(m); await channel.markRead(m.id); })).subscribe();
   */
  messages$(options?: MessagesOptions): Observable<ReceivedMessage> {
    return channelMessages$(this.layer.client, this.layer.journal, this.name, options);
  }

  /** Stored received messages (oldest first unless `order: 'desc'`). */
  history(query?: HistoryQuery): Promise<ReceivedMessage[]> {
    return firstValueFrom(defer(() => this.layer.journal.received$(this.name, checkHistoryQuery(query))));
  }

  /** Stored received messages not yet marked read. */
  unread(): Promise<ReceivedMessage[]> {
    return this.history({ unread: true });
  }

  /** Marks messages read (or unread with `read = false`); returns how many changed. */
  markRead(ids: number | readonly number[], read = true): Promise<number> {
    return firstValueFrom(defer(() => this.layer.journal.setRead$(this.name, checkMessageIds(ids), checkBoolean('read', read))));
  }

  /** Marks messages unread again. */
  markUnread(ids: number | readonly number[]): Promise<number> {
    return this.markRead(ids, false);
  }

  /** Confirmed sends of this channel. */
  sentHistory(query?: HistoryQuery): Promise<SentMessage[]> {
    return firstValueFrom(defer(() => this.layer.journal.sent$(this.name, checkHistoryQuery(query))));
  }
}
