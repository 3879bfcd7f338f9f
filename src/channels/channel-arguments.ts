import type { TailOptions } from '../client/streams/tail.js';
import { checkDelayMs, checkEnvelopeCount, checkFlag, checkOptionsObject } from '../client/validate-options.js';
import { checkBoolean, describeValue } from '../client/validate.js';
import { InvalidArgumentError } from '../errors/local-errors.js';
import { WireSizes } from '../wire/constants.js';
import type { ChannelManagerOptions } from './channel-layer.js';
import type { MessagesOptions } from './channel-messages.js';
import type { ChannelStore } from './channel-store.js';
import type { HistoryQuery } from './channel-types.js';

/**
 * Argument checks of the channel layer. Its Observable methods run them on
 * subscribe and its Promise methods before their first await, so a bad
 * argument arrives as an `InvalidArgumentError` through the Observable or
 * the rejection, with nothing stored and nothing sent.
 */

const MAX_NAME_LENGTH = 255;

/** One destination of an atomic copy (`copySend`). */
export interface CopyItem {
  readonly channel: string;
  readonly payload: Uint8Array;
}

export function checkChannelName(name: unknown, argument = 'name'): string {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_NAME_LENGTH) {
    throw new InvalidArgumentError(argument, `expected a channel name of 1 to ${MAX_NAME_LENGTH} characters`);
  }
  return name;
}

/** A non-empty payload of at most `max` bytes (the upper bound of a box write is checked by `encryptWrite`, against the geometry). */
export function checkPayload(argument: string, value: unknown, max = Number.POSITIVE_INFINITY): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new InvalidArgumentError(argument, 'expected a Uint8Array');
  if (value.length === 0) throw new InvalidArgumentError(argument, 'must not be empty (an empty box is a tombstone: use tombstoneCurrent)');
  if (value.length > max) throw new InvalidArgumentError(argument, `expected at most ${max} bytes, got ${value.length}`);
  return value;
}

/** As many tombstones as the daemon makes in one go (`ThinClient.tombstoneRange`'s bound). */
export function checkTombstoneCount(count: unknown): number {
  return checkEnvelopeCount('count', count);
}

/** One to many distinct owned-channel destinations, each with a payload a copy can carry. */
export function checkCopyItems(items: unknown): readonly CopyItem[] {
  if (!Array.isArray(items) || items.length === 0) throw new InvalidArgumentError('items', 'expected at least one destination');
  const names = items.map((item: Partial<CopyItem> | null, i) => checkChannelName(item?.channel, `items[${i}].channel`));
  if (new Set(names).size !== names.length) throw new InvalidArgumentError('items', 'each channel may appear only once');
  items.forEach((item: CopyItem, i) => checkPayload(`items[${i}].payload`, item.payload, WireSizes.maxCopyPayload));
  return items as readonly CopyItem[];
}

/** Something with a `transaction` method: the one thing the journal calls on a store. */
export function checkStore(store: unknown): ChannelStore {
  if (typeof (store as Partial<ChannelStore> | null)?.transaction !== 'function') throw new InvalidArgumentError('store', `expected a ChannelStore, got ${describeValue(store)}`);
  return store as ChannelStore;
}

/** The manager's options: absent, or an object whose hooks are functions. */
export function checkManagerOptions(options: unknown): ChannelManagerOptions {
  const checked = checkOptionsObject<Record<keyof ChannelManagerOptions, unknown>>('options', options);
  for (const hook of ['onStep', 'now', 'random'] as const) {
    if (checked[hook] !== undefined && typeof checked[hook] !== 'function') throw new InvalidArgumentError(`options.${hook}`, `expected a function, got ${describeValue(checked[hook])}`);
  }
  if (checked.verifyNextBox !== undefined) checkBoolean('options.verifyNextBox', checked.verifyNextBox);
  return checked as ChannelManagerOptions;
}

/** `shareReadCapability`'s options: `from` absent, `'first'` or `'next'`. */
export function checkShareFrom(options: unknown): 'first' | 'next' {
  const { from = 'first' } = checkOptionsObject<{ from: unknown }>('options', options);
  if (from !== 'first' && from !== 'next') throw new InvalidArgumentError('options.from', `expected 'first' or 'next', got ${describeValue(from)}`);
  return from;
}

/** `messages$`'s options, as the tail's options and the replay flag. */
export function checkMessagesOptions(options: unknown): { readonly tail: TailOptions; readonly replayUnread: boolean } {
  const checked = checkOptionsObject<Record<keyof MessagesOptions, unknown>>('options', options);
  const tail: { initialDelayMs?: number; maxDelayMs?: number } = {};
  if (checked.initialDelayMs !== undefined) tail.initialDelayMs = checkDelayMs('options.initialDelayMs', checked.initialDelayMs, 0);
  if (checked.maxDelayMs !== undefined) tail.maxDelayMs = checkDelayMs('options.maxDelayMs', checked.maxDelayMs, 0);
  return { tail, replayUnread: checked.replayUnread === undefined || checkFlag('options.replayUnread', checked.replayUnread) };
}

/** A history query: absent, or an object of non-negative integer bounds, an `unread` flag and an order. */
export function checkHistoryQuery(query: unknown): HistoryQuery {
  const checked = checkOptionsObject<Record<keyof HistoryQuery, unknown>>('query', query);
  for (const bound of ['afterId', 'beforeId', 'limit'] as const) {
    const value = checked[bound];
    if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)) {
      throw new InvalidArgumentError(`query.${bound}`, `expected an integer from 0, got ${describeValue(value)}`);
    }
  }
  if (checked.unread !== undefined) checkBoolean('query.unread', checked.unread);
  if (checked.order !== undefined && checked.order !== 'asc' && checked.order !== 'desc') throw new InvalidArgumentError('query.order', `expected 'asc' or 'desc', got ${describeValue(checked.order)}`);
  return checked as HistoryQuery;
}

/** One message id or a list of them: positive integers. */
export function checkMessageIds(ids: unknown): readonly number[] {
  const list: unknown[] = typeof ids === 'number' ? [ids] : Array.isArray(ids) ? ids : [undefined];
  if (!list.every((id) => typeof id === 'number' && Number.isSafeInteger(id) && id >= 1)) {
    throw new InvalidArgumentError('ids', `expected a message id or an array of them (positive integers), got ${describeValue(ids)}`);
  }
  return list as number[];
}
