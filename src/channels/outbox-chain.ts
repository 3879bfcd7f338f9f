import { bytesEqual } from '../core/hex.js';
import { ChannelNotFoundError, ReadOnlyChannelError, StoreConflictError } from './channel-errors.js';
import type { StoreTransaction } from './channel-store.js';
import type { ChannelInfo, ChannelRecord, OutboxEntry, OutboxSlot, PendingSend } from './channel-types.js';

/**
 * The outbox as a chain per channel, read inside a store transaction: the
 * entries of a channel, in `seq` order, continue its write index box after
 * box. Pure functions over a {@link StoreTransaction}, shared by the journal
 * and its callers.
 */

/** Where the next prepared box of a channel goes. */
export interface ChainTail {
  readonly index: Uint8Array;
  readonly position: number;
}

/** Whether `entry` writes to `channel`. */
export function writesTo(entry: OutboxEntry, channel: string): boolean {
  return entry.slots.some((slot) => slot.channel === channel);
}

/** Whether two entries write to a common channel (then the older goes first). */
export function sharesChannel(a: OutboxEntry, b: OutboxEntry): boolean {
  return a.slots.some((slot) => writesTo(b, slot.channel));
}

/** The stored channel `name`, or `ChannelNotFoundError`. */
export function existingChannel(tx: StoreTransaction, name: string): ChannelRecord {
  const record = tx.channel(name);
  if (record === undefined) throw new ChannelNotFoundError(name);
  return record;
}

/** The owned channel `name`: `ChannelNotFoundError`, or `ReadOnlyChannelError` for an imported one. */
export function ownedChannel(tx: StoreTransaction, name: string): ChannelRecord {
  const record = existingChannel(tx, name);
  if (!record.owned || record.writeCap === null || record.writeIndex === null) throw new ReadOnlyChannelError(name);
  return record;
}

/** The end of `record`'s chain: after its last queued slot, or its write index. */
export function chainTail(tx: StoreTransaction, record: ChannelRecord): ChainTail {
  const slots = tx
    .outbox()
    .map((entry) => entry.slots.find((slot) => slot.channel === record.name))
    .filter((slot): slot is OutboxSlot => slot !== undefined);
  const last = slots[slots.length - 1];
  if (last !== undefined) return { index: last.nextIndex, position: last.position + last.count };
  return { index: record.writeIndex!, position: record.writePosition };
}

/** Compare-and-set guard: the chain of `name` still ends where we encrypted for. */
export function checkChainTail(tx: StoreTransaction, name: string, expected: ChainTail): void {
  const now = chainTail(tx, ownedChannel(tx, name));
  if (!bytesEqual(now.index, expected.index) || now.position !== expected.position) {
    throw new StoreConflictError(`channel ${JSON.stringify(name)} was written by someone else meanwhile (expected position ${expected.position}, found ${now.position})`);
  }
}

/** A channel as applications see it: no write capability, and its queued entries counted. */
export function channelInfo(record: ChannelRecord, outbox: readonly OutboxEntry[]): ChannelInfo {
  const { writeCap: _secret, ...info } = record;
  return { ...info, pending: outbox.filter((entry) => writesTo(entry, record.name)).length };
}

/** An entry as `pending()` shows it for `channel`: no ciphertexts, no secrets. */
export function pendingSend(entry: OutboxEntry, channel: string): PendingSend {
  const slot = entry.slots.find((s) => s.channel === channel)!;
  const kind = entry.operation.kind === 'copy' ? 'copy' : entry.operation.tombstone ? 'tombstone' : 'message';
  return { seq: entry.seq, kind, position: slot.position, count: slot.count, attempts: entry.attempts, lastError: entry.lastError, createdAt: entry.createdAt };
}
