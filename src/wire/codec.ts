import { emptyRedacted } from './redacted.js';
import { revealSecret, SecretBytes } from './secret-bytes.js';
import { MalformedMessageError, ProtocolError } from '../errors/local-errors.js';
import { cborDecoder as decoder, cborEncoder as encoder } from './cbor-instances.js';
import { allKeysDaemonFrame, scanDaemonFrame } from './daemon-frame-layout.js';
import type { Field, Schema } from './fields.js';
import { encodeSizedBody, LargeBytesTally } from './large-body-encoding.js';
import type { DaemonMessage, DecodedRequest, OutgoingDaemonMessage, Request, RequestKind, ResponseKind } from './messages.js';
import { RequestSchemas } from './request-schemas.js';
import { ResponseSchemas } from './response-schemas.js';

/*
 * The CBOR codec of PROTOCOL.md §2. One pair of cbor-x instances
 * (`cbor-instances.ts`), driven by the schema tables, serves both sides: the
 * client encodes requests and decodes daemon messages; the simulator does
 * the opposite. Two measured shortcuts live in modules of their own: daemon
 * frames have a fixed layout that both directions exploit
 * (`daemon-frame-layout.ts`; the general paths below remain the reference
 * for every other frame), and bodies with large byte strings are encoded
 * into a buffer of their size (`large-body-encoding.ts`).
 */

/**
 * Byte strings up to this size are copied out of the frame; larger ones stay
 * views of it (frames are never reused, see `FrameDecoder`). Copying small
 * fields keeps a retained 16-byte id from pinning a large frame in memory;
 * not copying large ones keeps payloads at one copy end to end.
 */
const COPY_BELOW = 1024;

/** Encodes a request as a one-key CBOR map (like the Python and Rust clients). */
export function encodeRequest(request: Request): Uint8Array {
  return encodeVariant(request.type, RequestSchemas[request.type], request);
}

/**
 * Encodes a daemon message. By default as the daemon does: all 25 response
 * keys, null for every variant but this one (PROTOCOL.md §2.1).
 */
export function encodeDaemonMessage(message: OutgoingDaemonMessage, options: { allKeys?: boolean } = {}): Uint8Array {
  const tally = new LargeBytesTally();
  const body = toWire(ResponseSchemas[message.type], message, tally);
  if (options.allKeys === false) return encoder.encode({ [message.type]: body });
  if (tally.bytes === 0) return allKeysDaemonFrame(message.type, encoder.encode(body));
  // Big byte strings: encoding the whole map copies them once, splicing would copy them twice.
  const map: Record<string, unknown> = {};
  for (const kind of Object.keys(ResponseSchemas)) map[kind] = kind === message.type ? body : null;
  return encoder.encode(map);
}

/** Result of decoding a frame whose variant this SDK does not know. */
export interface UnknownVariant {
  readonly type: 'unknown';
  /** The non-null top-level keys that were found. */
  readonly keys: readonly string[];
}

/**
 * Decodes a daemon message. Throws {@link ProtocolError} for undecodable
 * CBOR, a body that is not a map, or more than one non-null variant — the
 * stream cannot be trusted after these — and its subclass
 * {@link MalformedMessageError} for a known variant whose body does not fit
 * the schema (a field of the wrong type or length): that message alone is
 * bad, and the error names its variant and, when readable, the id of the
 * request it answers. A variant we do not know is not an error: it comes
 * back as `{ type: 'unknown' }` (newer daemons add variants).
 */
export function decodeDaemonMessage(body: Uint8Array): DaemonMessage | UnknownVariant {
  const at = scanDaemonFrame(body);
  let kind: string;
  let value: unknown;
  if (at) {
    // The usual frame: decode only the one non-null value (daemon-frame-layout.ts).
    kind = at.kind;
    value = decodeCbor(body, at.start, at.end);
  } else {
    const selected = selectVariant(body);
    if (!Object.hasOwn(ResponseSchemas, selected.kind)) return { type: 'unknown', keys: selected.keys };
    ({ kind, value } = selected);
  }
  // Built in place (type first, then the fields): no intermediate copies per frame.
  const message = emptyRedacted();
  message['type'] = kind;
  try {
    return fromWire(ResponseSchemas[kind as ResponseKind], value, kind, false, message) as DaemonMessage;
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    throw new MalformedMessageError(kind, error.message, { queryId: readableId(value, 'query_id'), surbId: readableId(value, 'surbid') }, { cause: error });
  }
}

/** A 16-byte id field of a body that failed its schema, if that field at least is intact. */
function readableId(body: unknown, wire: string): Uint8Array | null {
  if (!isMap(body)) return null;
  const id = body[wire];
  return id instanceof Uint8Array && id.length === 16 ? new Uint8Array(id) : null;
}

/**
 * Decodes a request (the simulator's side). Unknown variants come back as
 * `{ type: 'unknown' }`; the daemon routes them to the mixnet queue and
 * never answers (PROTOCOL.md §3.6).
 */
export function decodeRequest(body: Uint8Array): DecodedRequest | UnknownVariant {
  const { kind, value, keys } = selectVariant(body, requestPrecedence);
  if (!Object.hasOwn(RequestSchemas, kind)) return { type: 'unknown', keys };
  const schema: Schema = RequestSchemas[kind as RequestKind];
  return fromWire(schema, value, kind, true, { type: kind }) as DecodedRequest;
}

/** The daemon's order when several request keys are non-null (PROTOCOL.md §3.6). */
function requestPrecedence(keys: readonly string[]): string {
  for (const first of ['thin_close', 'session_token']) if (keys.includes(first)) return first;
  const mixnet = ['send_message', 'start_resending_encrypted_message', 'start_resending_copy_command'];
  const local = keys.find((key) => Object.hasOwn(RequestSchemas, key) && !mixnet.includes(key));
  return local ?? keys.find((key) => mixnet.includes(key)) ?? keys[0]!;
}

function encodeVariant(kind: string, schema: Schema, body: object): Uint8Array {
  const tally = new LargeBytesTally();
  const wire = { [kind]: toWire(schema, body, tally) };
  return encodeSizedBody(wire, tally);
}

/** cbor-x decode of `body[start, end)`; errors name the whole frame, as a full decode would. */
function decodeCbor(body: Uint8Array, start = 0, end = body.length): unknown {
  try {
    return decoder.decode(start === 0 && end === body.length ? body : body.subarray(start, end));
  } catch (cause) {
    throw new ProtocolError(`undecodable CBOR frame (${body.length} bytes)`, { cause });
  }
}

function selectVariant(
  body: Uint8Array,
  pick?: (keys: readonly string[]) => string,
): { kind: string; value: unknown; keys: readonly string[] } {
  const raw = decodeCbor(body);
  if (!isMap(raw)) throw new ProtocolError('frame body is not a CBOR map');
  const keys: string[] = [];
  for (const key of Object.keys(raw)) if (raw[key] !== null && raw[key] !== undefined) keys.push(key);
  // The daemon routes a request frame with no non-null variant (e.g. `{}`) to the
  // mixnet queue and drops it there (PROTOCOL.md §3.6): not a decode error.
  if (keys.length === 0 && pick) return { kind: '', value: null, keys };
  if (keys.length === 0) throw new ProtocolError('frame carries no variant (every key is null)');
  if (keys.length > 1 && !pick) throw new ProtocolError(`frame carries more than one variant: ${keys.join(', ')}`);
  const kind = pick ? pick(keys) : keys[0]!;
  return { kind, value: raw[kind], keys };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

// ---- schema-driven conversion -------------------------------------------

/** A body in its wire shape (wire keys, defaults, secrets revealed); byte strings are noted in `tally`. */
function toWire(schema: Schema, body: object, tally: LargeBytesTally): Record<string, unknown> {
  const source = body as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const name in schema) {
    const field = schema[name]!;
    const value = encodeField(field, source[name], name, tally);
    if (value === OMIT) continue;
    out[field.wire] = value;
  }
  return out;
}

const OMIT = Symbol('omit');

function encodeField(field: Field, value: unknown, name: string, tally: LargeBytesTally): unknown {
  switch (field.kind) {
    case 'bytes': {
      if (value === undefined || value === null) return field.omitEmpty ? OMIT : field.nonNull ? new Uint8Array(field.length ?? 0) : null;
      // Secrets travel wrapped up to here: the wire is the only place their bytes go.
      if (value instanceof SecretBytes) value = revealSecret(value);
      if (!(value instanceof Uint8Array)) throw new ProtocolError(`${name}: expected a Uint8Array`);
      if (field.length !== undefined && value.length !== field.length)
        throw new ProtocolError(`${name}: expected ${field.length} bytes, got ${value.length}`);
      if (field.omitEmpty && value.length === 0) return OMIT;
      tally.note(value);
      return value;
    }
    case 'uint':
    case 'uint64': {
      const n = value ?? 0;
      if (n === 0 || n === 0n) return field.omitEmpty ? OMIT : 0;
      return encodeUint(n, name, field.kind === 'uint' ? field.max : Number.MAX_SAFE_INTEGER);
    }
    case 'bool':
      if (value === undefined || value === false) return field.omitEmpty ? OMIT : false;
      if (value !== true) throw new ProtocolError(`${name}: expected a boolean`);
      return true;
    case 'text':
      if (value === undefined || value === '') return field.omitEmpty ? OMIT : '';
      if (typeof value !== 'string') throw new ProtocolError(`${name}: expected a string`);
      return value;
    case 'error':
      return typeof value === 'string' ? value : null;
    case 'bytesList':
    case 'textList':
      if (value === undefined || value === null) return null;
      if (!Array.isArray(value)) throw new ProtocolError(`${name}: expected an array`);
      if (field.kind === 'bytesList') for (const item of value) if (item instanceof Uint8Array) tally.note(item);
      return value;
    case 'struct':
      return value === undefined || value === null ? null : toWire(field.schema, value as object, tally);
    case 'structList':
      if (value === undefined || value === null) return null;
      if (!Array.isArray(value)) throw new ProtocolError(`${name}: expected an array`);
      return value.map((item: object) => toWire(field.schema, item, tally));
  }
}

/**
 * Integers: cbor-x writes a JS number ≥ 2^32 as a float64, which the daemon
 * refuses for integer fields — so large values go out as bigint, which
 * cbor-x writes as a uint64. A `number` must be a safe integer: above 2^53
 * it no longer names one integer (2**60 + 1 === 2**60), so a uint64 beyond
 * that must be given as a bigint.
 */
function encodeUint(value: unknown, name: string, max: number): number | bigint {
  if (typeof value === 'bigint') {
    if (value < 0n || value > 0xffff_ffff_ffff_ffffn) throw new ProtocolError(`${name}: out of uint64 range`);
    return value <= 0xffff_ffffn ? Number(value) : value;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new ProtocolError(`${name}: expected a non-negative safe integer (a bigint above 2^53)`);
  if (value > max) throw new ProtocolError(`${name}: ${value} exceeds ${max}`);
  return value <= 0xffff_ffff ? value : BigInt(value);
}

/**
 * `asDaemon`: decode as the daemon's Go decoder does — a byte string for a
 * Go `[N]byte` of another length is silently zero-padded or truncated
 * (PROTOCOL.md §2.2); BACAP lengths stay strict.
 */
function fromWire(schema: Schema, raw: unknown, path: string, asDaemon = false, out: Record<string, unknown> = {}): Record<string, unknown> {
  if (!isMap(raw)) throw new ProtocolError(`${path}: expected a map`);
  for (const name in schema) {
    const field = schema[name]!;
    const value = Object.hasOwn(raw, field.wire) ? raw[field.wire] : undefined;
    out[name] = decodeField(field, value, `${path}.${field.wire}`, asDaemon);
  }
  return out;
}

function decodeField(field: Field, value: unknown, path: string, asDaemon: boolean): unknown {
  const absent = value === undefined || value === null;
  switch (field.kind) {
    case 'bytes':
      if (absent) return field.nonNull ? new Uint8Array(field.length ?? 0) : null;
      if (asDaemon && field.fixed === 'array' && value instanceof Uint8Array && value.length !== field.length) {
        const fitted = new Uint8Array(field.length!);
        fitted.set(value.subarray(0, field.length));
        return fitted;
      }
      return field.secret ? SecretBytes.adopt(ownedCopy(value, path, field.length)) : ownedBytes(value, path, field.length);
    case 'uint': {
      if (absent) return 0;
      const n = typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > field.max)
        throw new ProtocolError(`${path}: expected an unsigned integer ≤ ${field.max}`);
      return n;
    }
    case 'uint64':
      if (absent) return 0n;
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return BigInt(value);
      if (typeof value === 'bigint' && value >= 0n) return value;
      throw new ProtocolError(`${path}: expected an unsigned integer`);
    case 'bool':
      if (absent) return false;
      if (typeof value !== 'boolean') throw new ProtocolError(`${path}: expected a boolean`);
      return value;
    case 'text':
      if (absent) return '';
      if (typeof value !== 'string') throw new ProtocolError(`${path}: expected a text string`);
      return value;
    case 'error':
      return typeof value === 'string' ? value : null;
    case 'bytesList':
      if (absent) return null;
      if (!Array.isArray(value)) throw new ProtocolError(`${path}: expected an array`);
      return value.map((item, i) => ownedBytes(item, `${path}[${i}]`, field.length));
    case 'textList':
      if (absent) return null;
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
        throw new ProtocolError(`${path}: expected an array of text strings`);
      return value;
    case 'struct':
      return absent ? null : fromWire(field.schema, value, path, asDaemon);
    case 'structList':
      if (absent) return null;
      if (!Array.isArray(value)) throw new ProtocolError(`${path}: expected an array`);
      return value.map((item, i) => fromWire(field.schema, item, `${path}[${i}]`, asDaemon));
  }
}

/** A secret gets its own copy whatever its size: a view would leave its bytes readable in the frame. */
function ownedCopy(value: unknown, path: string, length: number | undefined): Uint8Array {
  const bytes = ownedBytes(value, path, length);
  return bytes.length < COPY_BELOW ? bytes : bytes.slice();
}

function ownedBytes(value: unknown, path: string, length: number | undefined): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new ProtocolError(`${path}: expected a byte string`);
  if (length !== undefined && value.length !== length) throw new ProtocolError(`${path}: expected ${length} bytes, got ${value.length}`);
  // Always hand out a plain Uint8Array: a Node Buffer's `slice` is a view,
  // which would surprise users who copy with `.slice()`.
  return value.length < COPY_BELOW ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.length);
}
