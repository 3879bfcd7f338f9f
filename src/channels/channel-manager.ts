import { defer, type Observable } from 'rxjs';
import type { ThinClient } from '../client/thin-client.js';
import { Channel } from './channel.js';
import { ChannelEngine, type ChannelManagerOptions, type RecoveryReport } from './channel-engine.js';
import type { ChannelStore } from './channel-store.js';
import type { ChannelInfo, SentMessage } from './channel-types.js';

/**
 * Persistent Pigeonhole channels over a `ThinClient` and a
 * `ChannelStore`: capabilities, indices, an outbox of prepared sends, and
 * the received and sent histories all live in the store, so a restart
 * resumes exactly where the last run stopped — nothing lost, nothing sent
 * twice, no box reused (the rules are spelled out on `ChannelEngine`).
 *
 * Call {@link recover} after opening: it re-sends whatever a crash left in
 * the outbox. Sends on a channel never overtake its queued entries, with or
 * without it.
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
  private readonly engine: ChannelEngine;

  constructor(client: ThinClient, store: ChannelStore, options: ChannelManagerOptions = {}) {
    this.engine = new ChannelEngine(client, store, options);
  }

  /** Creates an owned channel (write + read) with a fresh keypair. Rejects with `ChannelExistsError` if the name is taken. */
  async createChannel(name: string): Promise<Channel> {
    const record = await this.engine.create(name);
    return new Channel(this.engine, record.name, true);
  }

  /** Imports a read-only channel from a shared `kprx1:` read capability string (`ReadCapabilityFormatError` on garbage). */
  async importChannel(name: string, readCapability: string): Promise<Channel> {
    const record = await this.engine.import(name, readCapability);
    return new Channel(this.engine, record.name, false);
  }

  /** A handle on a stored channel; rejects with `ChannelNotFoundError`. */
  async get(name: string): Promise<Channel> {
    const record = await this.engine.record(name);
    return new Channel(this.engine, record.name, record.owned);
  }

  /** Every stored channel, by name (no write capabilities). */
  list(): Promise<ChannelInfo[]> {
    return this.engine.list();
  }

  /** Deletes a channel, its histories and its queued sends. */
  delete(name: string): Promise<void> {
    return this.engine.delete(name);
  }

  /**
   * Re-sends every outbox entry — the exact stored ciphertexts — and
   * commits them, channel by channel in order (channels in parallel).
   * Resolves when the outbox is empty; rejects with the first
   * `OutboxDeliveryError` otherwise (entries stay queued; call again).
   * Waits while the daemon is offline.
   */
  recover(): Promise<RecoveryReport> {
    return this.engine.recover();
  }

  /**
   * Writes payloads to several owned channels atomically through one
   * courier copy command: either every channel gets its boxes or none
   * does. Queued and recovered like a send. Emits the sent records, one per
   * channel in the given order.
   *
   * @example
   * await firstValueFrom(manager.copySend([{ channel: 'a', payload: x }, { channel: 'b', payload: y }]));
   */
  copySend(items: readonly { readonly channel: string; readonly payload: Uint8Array }[]): Observable<SentMessage[]> {
    return defer(async () => {
      const entry = await this.engine.prepareCopy(items);
      const sent = await this.engine.deliver(items[0]!.channel, entry);
      return items.map((item) => sent.find((s) => s.channel === item.channel)).filter((s): s is SentMessage => s !== undefined);
    });
  }
}
