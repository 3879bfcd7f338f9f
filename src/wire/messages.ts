import type { DecodedBody, EncodableBody } from './fields.js';
import { PigeonholeGeometrySchema, SphinxGeometrySchema } from './geometry-schemas.js';
import { RequestSchemas } from './request-schemas.js';
import { DirectoryAuthoritySchema, ResponseSchemas } from './response-schemas.js';

/** Flattens intersections so editors show one object type. */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** Wire key of a request variant, e.g. `'new_keypair'`. */
export type RequestKind = keyof typeof RequestSchemas;
/** Wire key of a daemon message variant, e.g. `'new_keypair_reply'`. */
export type ResponseKind = keyof typeof ResponseSchemas;

/** The fields of request `K`, as given to the encoder (absent → null on the wire). */
export type RequestBody<K extends RequestKind> = EncodableBody<(typeof RequestSchemas)[K]>;

/**
 * A request to the daemon: `type` is the wire key, the rest its fields in
 * camelCase. Encoded by `encodeRequest`.
 *
 * @example
 * const request: Request = { type: 'new_keypair', queryId, seed };
 */
export type Request = { [K in RequestKind]: Simplify<{ readonly type: K } & RequestBody<K>> }[RequestKind];

/** A request as the daemon (our simulator) decodes it: every field present. */
export type DecodedRequest = { [K in RequestKind]: Simplify<{ readonly type: K } & DecodedBody<(typeof RequestSchemas)[K]>> }[RequestKind];

/**
 * A decoded message from the daemon, discriminated by `type` (the wire
 * key): replies (`*_reply`) and events (`*_event`, `message_id_garbage_collected`).
 * Byte fields are `Uint8Array` owned by the receiver; 64-bit counters are `bigint`.
 *
 * @example
 * if (message.type === 'connection_status_event') console.log(message.isConnected);
 */
export type DaemonMessage = {
  [K in ResponseKind]: Simplify<{ readonly type: K } & DecodedBody<(typeof ResponseSchemas)[K]>>;
}[ResponseKind];

/** The daemon message of one kind. */
export type DaemonMessageOf<K extends ResponseKind> = Extract<DaemonMessage, { readonly type: K }>;

/** A daemon message to encode (the simulator's side): fields optional. */
export type OutgoingDaemonMessage = {
  [K in ResponseKind]: Simplify<{ readonly type: K } & EncodableBody<(typeof ResponseSchemas)[K]>>;
}[ResponseKind];

/** Sphinx packet geometry, from the handshake (PROTOCOL.md §5.2). */
export type SphinxGeometry = DecodedBody<typeof SphinxGeometrySchema>;
/** Pigeonhole geometry, from the handshake (PROTOCOL.md §5.2). */
export type PigeonholeGeometry = DecodedBody<typeof PigeonholeGeometrySchema>;
/** A directory authority, from `get_directory_authorities_reply`. */
export type DirectoryAuthority = DecodedBody<typeof DirectoryAuthoritySchema>;

/** The 21 request kinds, in the daemon's `Request` struct order. */
export const REQUEST_KINDS = Object.freeze(Object.keys(RequestSchemas)) as readonly RequestKind[];
/** The 25 response kinds, in the daemon's encoding order. */
export const RESPONSE_KINDS = Object.freeze(Object.keys(ResponseSchemas)) as readonly ResponseKind[];
