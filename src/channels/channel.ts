import { defer, from, mergeMap, Observable, type Observable as ObservableType } from 'rxjs';
import type { ChannelEngine, MessagesOptions, PendingSend } from './channel-engine.js';
import type { ChannelInfo, HistoryQuery, ReceivedMessage, SentMessage } from './channel-types.js';
import { encodeReadCapability } from './read-capability.js';

/** A queued (not yet transmitted) send, as `prepare` reports it. */
export interface PreparedSend {
  /** The outbox entry: transmitted by `flush()`, `recover()` or the next `send()` on this channel. */
  readonly seq: number;
  /** The box position reserved for it. */
  readonly position: number;
}

/**
 * A handle on one stored channel. It holds no state of its own — every
 * call reads the store — so handles never go stale and can be dropped and
 * re-obtained freely (`manager.get(name)`).
 *
 * @example
 * const inbox = await manager.createChannel('inbox');
 * const sent = await firstValueFrom(inbox.send(new TextEncoder().encode('hello')));
 * const share = await inbox.shareReadCapability(); // 'kprx1:…' for the reader
 */
export class Channel {
  /** @internal Use `ChannelManager.createChannel` / `importChannel` / `get`. */
  constructor(
    private readonly engine: ChannelEngine,
    /** The channel's name in its store. */
    readonly name: string,
    /** Whether we can write it (created here) or only read it (imported). */
    readonly owned: boolean,
  ) {}

  /** The stored state: indices, positions, pending count — never the write capability. */
  info(): Promise<ChannelInfo> {
    return this.engine.info(this.name);
  }

  /**
   * The read capability as a shareable `kprx1:` string (see
   * `encodeReadCapability`). `from: 'first'` (default) lets the reader read
   * the whole channel; `'next'` only what is written from now on.
   */
  async shareReadCapability(options: { readonly from?: 'first' | 'next' } = {}): Promise<string> {
    const record = await this.engine.record(this.name);
    const startIndex = options.from === 'next' ? (await this.engine.nextWrite(this.name)).index : record.firstIndex;
    return encodeReadCapability({ readCap: record.readCap, startIndex });
  }

  /**
   * Sends one message (≤ `MaxPlaintextPayloadLength` bytes) in the next
   * box. Emits the sent record once the write is confirmed **and** the
   * advanced index is persisted, then completes.
   *
   * Crash-safe (see `ChannelEngine`): the message is queued in the outbox
   * with its exact ciphertext before it is transmitted, earlier queued
   * entries of this channel go first, and after a restart `recover()`
   * re-sends it to the same box. If transmission fails after queuing, the
   * error is an `OutboxDeliveryError`: the message is still queued and must
   * not be sent again. Unsubscribing stops the report, not the send.
   */
  send(plaintext: Uint8Array): ObservableType<SentMessage> {
    return defer(() => from(this.engine.send(this.name, plaintext)));
  }

  /**
   * Queues a message without transmitting it ("prepare offline"): the
   * local encryption runs now (the daemon needs no mixnet for it), the
   * entry is durable, and `flush()`, `recover()` or the next `send()`
   * transmits it.
   */
  prepare(plaintext: Uint8Array): ObservableType<PreparedSend> {
    return defer(async () => {
      const entry = await this.engine.prepareMessage(this.name, plaintext);
      return { seq: entry.seq, position: entry.slots[0]!.position };
    });
  }

  /** Transmits this channel's queued entries in order, emitting each sent record; completes when they are done. */
  flush(): ObservableType<SentMessage> {
    return new Observable<SentMessage>((subscriber) => {
      let active = true;
      this.engine.flush(this.name, (sent) => active && subscriber.next(sent)).then(
        () => subscriber.complete(),
        (error: unknown) => subscriber.error(error),
      );
      return () => {
        active = false;
      };
    });
  }

  /** The queued entries of this channel (no ciphertexts). */
  pending(): Promise<PendingSend[]> {
    return this.engine.pending(this.name);
  }

  /** Tombstones the next box (advancing past it), through the outbox like a send. */
  tombstoneCurrent(): ObservableType<SentMessage> {
    return this.tombstoneRange(1);
  }

  /** Tombstones the next `count` boxes (`tombstoneRange`), emitting each as it is confirmed. */
  tombstoneRange(count: number): ObservableType<SentMessage> {
    return defer(() => from(this.engine.prepareTombstones(this.name, count))).pipe(
      mergeMap((entries) => from(entries)),
      mergeMap((entry) => from(this.engine.deliver(this.name, entry)), 1),
      mergeMap((sent) => from(sent)),
    );
  }

  /**
   * Writes `payload` (up to 10 MiB) atomically through a courier copy
   * command: all its boxes appear, or none. Boxes hold
   * `MaxPlaintextPayloadLength − 4` bytes each on this path. Queued and
   * recovered like a send. See `ChannelManager.copySend` for several
   * channels at once.
   */
  copySend(payload: Uint8Array): ObservableType<SentMessage> {
    return defer(async () => {
      const entry = await this.engine.prepareCopy([{ channel: this.name, payload }]);
      const [sent] = await this.engine.deliver(this.name, entry);
      return sent!;
    });
  }

  /**
   * Received messages, resuming from the persisted read index: with
   * `replayUnread` (default) first the stored messages not yet marked read,
   * then each new box as it is written (polling with `tail$`). A message is
   * stored and the read index advanced in one transaction *before* it is
   * emitted. Call `markRead` once you have handled a message. Errors (e.g. a
   * lost daemon) end the stream; resubscribing resumes where it stopped.
   *
   * @example
   * channel.messages$().pipe(concatMap(async (m) => { await handle(m); await channel.markRead(m.id); })).subscribe();
   */
  messages$(options?: MessagesOptions): ObservableType<ReceivedMessage> {
    return this.engine.messages$(this.name, options);
  }

  /** Stored received messages (oldest first unless `order: 'desc'`). */
  history(query?: HistoryQuery): Promise<ReceivedMessage[]> {
    return this.engine.store.transaction((tx) => tx.received(this.name, query));
  }

  /** Stored received messages not yet marked read. */
  unread(): Promise<ReceivedMessage[]> {
    return this.history({ unread: true });
  }

  /** Marks messages read (or unread with `read = false`); returns how many changed. */
  markRead(ids: number | readonly number[], read = true): Promise<number> {
    const list = typeof ids === 'number' ? [ids] : ids;
    return this.engine.store.transaction((tx) => tx.setRead(this.name, list, read));
  }

  /** Marks messages unread again. */
  markUnread(ids: number | readonly number[]): Promise<number> {
    return this.markRead(ids, false);
  }

  /** Confirmed sends of this channel. */
  sentHistory(query?: HistoryQuery): Promise<SentMessage[]> {
    return this.engine.store.transaction((tx) => tx.sent(this.name, query));
  }
}
