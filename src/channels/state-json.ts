import { parseWithBytes, stringifyWithBytes } from './bytes-json.js';
import { ChannelStoreError } from './channel-errors.js';
import type { ChannelRecord, ContactRecord, ExchangeRecord, OutboxEntry, ReceivedMessage, SentMessage } from './channel-types.js';
import type { StoreState } from './store-state.js';

/** Names the file format so a stray JSON file is not mistaken for a store. */
const FORMAT = 'katzenpost-rx/channels';
const VERSION = 1;

/**
 * JSON text for a {@link StoreState}: byte strings become `{"$b": base64url}`
 * so the file is plain JSON and round-trips exactly.
 *
 * @example
 * const text = stateToJson(state);
 */
export function stateToJson(state: StoreState): string {
  const doc = {
    format: FORMAT,
    version: VERSION,
    nextOutboxSeq: state.nextOutboxSeq,
    nextReceivedId: state.nextReceivedId,
    nextSentId: state.nextSentId,
    channels: [...state.channels.values()],
    outbox: state.outbox,
    received: state.received,
    sent: state.sent,
    exchanges: [...state.exchanges.values()],
    contacts: [...state.contacts.values()],
  };
  return stringifyWithBytes(doc);
}

/**
 * Parses {@link stateToJson}'s output; throws `ChannelStoreError` for
 * anything else (never silently starts over: a lost index means lost or
 * overwritten messages).
 *
 * @example
 * const state = stateFromJson(await readFile('channels.json', 'utf8'), 'channels.json');
 */
export function stateFromJson(text: string, source: string): StoreState {
  let doc: unknown;
  try {
    doc = parseWithBytes(text);
  } catch (error) {
    throw new ChannelStoreError(`${source}: not a valid channel store file (${error instanceof Error ? error.message : String(error)})`, { cause: error });
  }
  const d = doc as Partial<Record<string, unknown>> | null;
  if (d === null || typeof d !== 'object' || d['format'] !== FORMAT) throw new ChannelStoreError(`${source}: not a channel store file`);
  if (d['version'] !== VERSION) throw new ChannelStoreError(`${source}: store format version ${String(d['version'])} is not supported (expected ${VERSION})`);
  const list = <T>(key: string, absent?: T[]): T[] => {
    const value = d[key] ?? absent;
    if (!Array.isArray(value)) throw new ChannelStoreError(`${source}: "${key}" is missing`);
    return value as T[];
  };
  const counter = (key: string): number => {
    const value = d[key];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new ChannelStoreError(`${source}: "${key}" is missing`);
    return value;
  };
  const channels = list<ChannelRecord>('channels');
  return {
    channels: new Map(channels.map((c) => [c.name, c])),
    outbox: list<OutboxEntry>('outbox'),
    received: list<ReceivedMessage>('received'),
    sent: list<SentMessage>('sent'),
    // Absent from stores written before contact exchanges existed: none.
    exchanges: new Map(list<ExchangeRecord>('exchanges', []).map((e) => [e.name, e])),
    contacts: new Map(list<ContactRecord>('contacts', []).map((c) => [c.name, c])),
    nextOutboxSeq: counter('nextOutboxSeq'),
    nextReceivedId: counter('nextReceivedId'),
    nextSentId: counter('nextSentId'),
  };
}
