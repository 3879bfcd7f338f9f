import { concatMap, defer, firstValueFrom, lastValueFrom, map, toArray, type Observable } from 'rxjs';
import type { ThinClient } from '../client/thin-client.js';
import { WireSizes } from '../wire/constants.js';
import { Channel } from './channel.js';
import { checkChannelName, checkManagerOptions, checkStore, type CopyItem } from './channel-arguments.js';
import { ChannelLayer, type ChannelManagerOptions } from './channel-layer.js';
import type { ChannelStore } from './channel-store.js';
import type { ChannelInfo, ChannelRecord, SentMessage } from './channel-types.js';
import { parseReadCapability } from './read-capability.js';

/** What `recover()` did. */
export interface RecoveryReport {
  /** Outbox entries found at the start. */
  readonly entries: number;
  /** The sends it completed, in commit order. */
  readonly sent: SentMessage[];
}

/**
 * Persistent Pigeonhole channels over a `ThinClient` and a
 * `ChannelStore`: capabilities, indices, an outbox of prepared sends, and
 * the received and sent histories all live in the store, so a restart
 * resumes exactly where the last run stopped — nothing lost, nothing sent
 * twice, no box reused (the rules are spelled out on `ChannelJournal`).
 *
 * Sending is Observable: `channel.send(…)`, `copySend(…)`, the tombstones
 * and `recover$()` are cold — subscribing transmits, unsubscribing cancels
 * at the daemon and leaves the operation queued for `recover()`. The
 * Promise methods are the edge for code that wants them: store queries,
 * channel creation, and `recover()`.
 *
 * Call {@link recover} after opening: it re-sends whatever a crash (or a
 * cancel) left in the outbox. Sends on a channel never overtake its queued
 * entries, with or without it.
 *
 * @example
 * const client = await ThinClient.connect(await loadConfig('thinclient.toml'));
 * const manager = new ChannelManager(client, await SqliteChannelStore.open('chat.db'));
 * await manager.recover();
 * const alice = await manager.createChannel('to-bob');
 * await firstValueFrom(alice.send(new TextEncoder().encode('hi Bob')));
 * const share = await alice.shareReadCapability();
 * // Bob's side:
 * const fromAlice = await bobManager.importChannel('from-alice', share);
 * fromAlice.messages$().subscribe((m) => show(m));
 */
export class ChannelManager {
  private readonly layer: ChannelLayer;

  constructor(client: ThinClient, store: ChannelStore, options: ChannelManagerOptions = {}) {
    this.layer = new ChannelLayer(client, checkStore(store), checkManagerOptions(options));
  }

  /** Creates an owned channel (write + read) with a fresh keypair. Rejects with `ChannelExistsError` if the name is taken. */
  createChannel(name: string): Promise<Channel> {
    const { client, journal, locks, random } = this.layer;
    const created$ = defer(() =>
      locks.hold$([checkChannelName(name)], () =>
        journal.requireFree$(name).pipe(
          concatMap(() => client.newKeypair(random(WireSizes.seed))),
          concatMap((keys) =>
            journal.insertChannel$({
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
            }),
          ),
        ),
      ),
    );
    return this.handle(created$);
  }

  /** Imports a read-only channel from a shared `kprx1:` read capability string (`ReadCapabilityFormatError` on garbage). */
  importChannel(name: string, readCapability: string): Promise<Channel> {
    const imported$ = defer(() => {
      checkChannelName(name);
      const { readCap, startIndex } = parseReadCapability(readCapability);
      return this.layer.journal.insertChannel$({
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
      });
    });
    return this.handle(imported$);
  }

  /** A handle on a stored channel; rejects with `ChannelNotFoundError`. */
  get(name: string): Promise<Channel> {
    return this.handle(defer(() => this.layer.journal.channel$(checkChannelName(name))));
  }

  /** Every stored channel, by name (no write capabilities). */
  list(): Promise<ChannelInfo[]> {
    return firstValueFrom(this.layer.journal.list$());
  }

  /** Deletes a channel, its histories and its queued sends. */
  delete(name: string): Promise<void> {
    return firstValueFrom(defer(() => this.layer.journal.delete$(checkChannelName(name))));
  }

  /**
   * Re-sends every outbox entry — the exact stored ciphertexts — and
   * commits them, channel by channel in order (channels in parallel).
   * Resolves when the outbox is empty; rejects with the first
   * `OutboxDeliveryError` otherwise (entries stay queued; call again).
   * Waits while the daemon is offline. The Promise edge of {@link recover$}.
   */
  async recover(): Promise<RecoveryReport> {
    const { entries } = await firstValueFrom(this.layer.journal.outboxChannels$());
    const sent = await lastValueFrom(this.recover$().pipe(toArray()));
    return { entries, sent: sent.sort((a, b) => a.id - b.id) };
  }

  /**
   * Recovery as a stream: each sent record as an outbox entry is
   * committed, channels in parallel, each in order; completes when the
   * outbox is empty, or fails with the first failure once every channel is
   * done. Unsubscribing cancels the transmissions in flight (their entries
   * stay queued).
   *
   * Cold: each subscription recovers what is queued at that moment.
   */
  recover$(): Observable<SentMessage> {
    return this.layer.transmitter.recover$();
  }

  /**
   * Writes payloads to several owned channels atomically through one
   * courier copy command: either every channel gets its boxes or none
   * does. Queued and recovered like a send, cancelled by unsubscribing
   * like a send. Emits the sent records, one per channel in the given
   * order.
   *
   * Cold: each subscription is one more copy, in new boxes.
   *
   * @example
   * await firstValueFrom(manager.copySend([{ channel: 'a', payload: x }, { channel: 'b', payload: y }]));
   */
  copySend(items: readonly CopyItem[]): Observable<SentMessage[]> {
    const { preparer, transmitter } = this.layer;
    return preparer.copy$(items).pipe(
      concatMap((entry) => transmitter.deliver$(entry.slots[0]!.channel, entry.seq)),
      map((sent) => items.map((item) => sent.find((s) => s.channel === item.channel)).filter((s): s is SentMessage => s !== undefined)),
    );
  }

  private handle(record$: Observable<ChannelRecord>): Promise<Channel> {
    return firstValueFrom(record$.pipe(map((record) => new Channel(this.layer, record.name, record.owned))));
  }
}
