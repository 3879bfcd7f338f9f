import type { LinkMessage } from './link.js';
import { toHex } from './hex.js';

/*
 * Correlation keys. A 16-byte id becomes one flat 9-character string: a
 * namespace character ('q' for query ids, 's' for SURB ids), then the id
 * two bytes per UTF-16 code unit, made in one call. Hex keys took 32 string
 * concatenations and a flattening per key, twice per request (register,
 * route) — about a microsecond of every local request in the benchmark
 * profiles (bench/, P1). Keys never leave the session. Ids of another
 * length (the schemas make them 16) keep a hex key, which can never equal a
 * 9-character one (hex keys have an even length).
 */

/** The key of a `query_id`. */
export function queryKey(queryId: Uint8Array): string {
  return idKey(0x71 /* q */, 'q:', queryId);
}

/** The key of a SURB id (legacy `send_message` events are correlated by `surbid`, PROTOCOL.md §5.1). */
export function surbKey(surbId: Uint8Array): string {
  return idKey(0x73 /* s */, 's:', surbId);
}

/** The key a daemon message is correlated by, or null (events, and replies without an id). */
export function messageKey(message: LinkMessage): string | null {
  if (message.type === 'invalid') {
    const { queryId, surbId } = message.error;
    return queryId ? queryKey(queryId) : surbId ? surbKey(surbId) : null;
  }
  if ('queryId' in message) return message.queryId ? queryKey(message.queryId) : null;
  if (message.type === 'message_sent_event' || message.type === 'message_reply_event') return message.surbId ? surbKey(message.surbId) : null;
  return null;
}

function idKey(namespace: number, hexPrefix: string, id: Uint8Array): string {
  if (id.length !== 16) return hexPrefix + toHex(id);
  return String.fromCharCode(
    namespace,
    (id[0]! << 8) | id[1]!,
    (id[2]! << 8) | id[3]!,
    (id[4]! << 8) | id[5]!,
    (id[6]! << 8) | id[7]!,
    (id[8]! << 8) | id[9]!,
    (id[10]! << 8) | id[11]!,
    (id[12]! << 8) | id[13]!,
    (id[14]! << 8) | id[15]!,
  );
}
