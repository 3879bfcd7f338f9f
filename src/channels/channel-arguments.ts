import { InvalidArgumentError } from '../errors/local-errors.js';
import { WireSizes } from '../wire/constants.js';

/**
 * Argument checks of the channel layer. Its Observable methods run them on
 * subscribe and its Promise methods before their first await, so a bad
 * argument arrives as an `InvalidArgumentError` through the Observable or
 * the rejection, with nothing stored and nothing sent.
 */

const MAX_NAME_LENGTH = 255;
const MAX_TOMBSTONES = 0xffff_ffff;

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

export function checkTombstoneCount(count: unknown): number {
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0 || count > MAX_TOMBSTONES) {
    throw new InvalidArgumentError('count', `expected an integer from 0 to ${MAX_TOMBSTONES}`);
  }
  return count;
}

/** One to many distinct owned-channel destinations, each with a payload a copy can carry. */
export function checkCopyItems(items: unknown): readonly CopyItem[] {
  if (!Array.isArray(items) || items.length === 0) throw new InvalidArgumentError('items', 'expected at least one destination');
  const names = items.map((item: Partial<CopyItem> | null, i) => checkChannelName(item?.channel, `items[${i}].channel`));
  if (new Set(names).size !== names.length) throw new InvalidArgumentError('items', 'each channel may appear only once');
  items.forEach((item: CopyItem, i) => checkPayload(`items[${i}].payload`, item.payload, WireSizes.maxCopyPayload));
  return items as readonly CopyItem[];
}
