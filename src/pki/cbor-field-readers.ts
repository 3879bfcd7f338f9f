import { Decoder } from '../wire/cbor-library.js';

import { ProtocolError } from '../errors/local-errors.js';

/**
 * Strict readers for CBOR values decoded by cbor-x with
 * `mapsAsObjects: false` (internal to the PKI decoders). Each reader takes
 * the value and a human-readable path such as
 * `PKI document.ServiceNodes[0].IdentityKey` and throws a `ProtocolError`
 * naming that path when the value has the wrong CBOR type.
 *
 * Facts about cbor-x 1.6 these readers rely on (checked on this machine):
 * - every CBOR map decodes to a `Map`, and integer and byte-string keys
 *   survive (byte-string keys arrive as `Buffer`s);
 * - integers with an 8-byte head decode as `bigint` even when small
 *   (`1b 00…05` → `5n`), shorter heads as `number`;
 * - byte strings decode as `Buffer` views into the input buffer, so every
 *   reader copies them into a fresh plain `Uint8Array`;
 * - a float with an integral value (`f9 4500`) decodes to the same `number`
 *   as the integer 5, so "float where an integer is expected" cannot be
 *   detected and is accepted;
 * - trailing bytes after the item throw, indefinite-length byte/text strings
 *   throw (Go never emits them);
 * - `decode` adds a `dataView` own property to the array it is given, so it
 *   is only ever given a throwaway view.
 *
 * @example
 * const map = expectMap(decodeCborItem(bytes, 'PKI document'), 'PKI document');
 * const epoch = readUint(requiredField(map, 'Epoch', 'PKI document'), 'PKI document.Epoch');
 */

const decoder = new Decoder({ mapsAsObjects: false });

/**
 * Decodes exactly one CBOR item; undecodable bytes, trailing bytes and an
 * empty input become a `ProtocolError` naming `path`.
 *
 * @example
 * const item = decodeCborItem(payload, 'PKI document');
 */
export function decodeCborItem(bytes: Uint8Array, path: string): unknown {
  if (!(bytes instanceof Uint8Array)) {
    throw new ProtocolError(`${path}: expected bytes to decode, got ${describeCborValue(bytes)}`);
  }
  if (bytes.length === 0) {
    throw new ProtocolError(`${path}: empty CBOR input`);
  }
  try {
    // cbor-x caches a DataView on its input as an own property
    // (`source.dataView = …`); hand it a throwaway view so the caller's
    // array is left untouched (no copy: a view shares the memory).
    return decoder.decode(bytes.subarray(0)) as unknown;
  } catch (err) {
    // cbor-x messages name no values, only positions and kinds, so they are
    // safe to include (PKI documents are public anyway).
    const reason = err instanceof Error ? err.message : String(err);
    throw new ProtocolError(`${path}: invalid CBOR (${reason})`, { cause: err });
  }
}

/**
 * Names the CBOR type of a decoded value for error messages (never the value itself).
 *
 * @example
 * describeCborValue(new Map()); // "map"
 */
export function describeCborValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (value instanceof Uint8Array) return 'byte string';
  if (value instanceof Map) return 'map';
  if (Array.isArray(value)) return 'array';
  switch (typeof value) {
    case 'string':
      return 'text string';
    case 'boolean':
      return 'bool';
    case 'bigint':
      return value < 0n ? 'negative integer' : 'integer';
    case 'number':
      if (!Number.isInteger(value)) return 'float';
      return value < 0 ? 'negative integer' : 'integer';
    default:
      return typeof value === 'object' ? `object (${value.constructor?.name ?? 'unknown'})` : typeof value;
  }
}

function typeError(path: string, expected: string, value: unknown): ProtocolError {
  return new ProtocolError(`${path}: expected ${expected}, got ${describeCborValue(value)}`);
}

/**
 * `null` or `undefined` (CBOR `f6` / `f7`). Go's decoder treats both as nil,
 * so the nil-tolerant readers below accept both.
 *
 * @example
 * isNil(map.get('Kaetzchen')); // true for a node without services
 */
export function isNil(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

/** A CBOR map with readers for its fields. */
export interface MapFields {
  readonly map: Map<unknown, unknown>;
  /** The value of a required field (see {@link requiredField}). */
  get(key: string): unknown;
  /** A field's path, for error messages: `PKI document.Epoch`. */
  at(key: string): string;
}

/**
 * Asserts a CBOR map and gives readers for its fields.
 *
 * @example
 * const { get, at } = mapFields(item, 'PKI document');
 * const epoch = readUint(get('Epoch'), at('Epoch'));
 */
export function mapFields(value: unknown, path: string): MapFields {
  const map = expectMap(value, path);
  return { map, get: (key) => requiredField(map, key, path), at: (key) => `${path}.${key}` };
}

/**
 * Asserts a CBOR map.
 *
 * @example
 * const m = expectMap(item, 'PKI document');
 */
export function expectMap(value: unknown, path: string): Map<unknown, unknown> {
  if (!(value instanceof Map)) throw typeError(path, 'a map', value);
  return value as Map<unknown, unknown>;
}

/**
 * The value under text key `key`. Absence is an error: the daemon encodes
 * every non-`omitempty` struct field (fxamacker never drops one), so a
 * missing key means the producer does not speak this document version.
 *
 * @example
 * const raw = requiredField(map, 'Epoch', 'PKI document');
 */
export function requiredField(map: Map<unknown, unknown>, key: string, path: string): unknown {
  if (!map.has(key)) throw new ProtocolError(`${path}.${key}: missing`);
  return map.get(key);
}

/**
 * A non-negative integer no larger than `max` (default: the largest exact
 * JS integer), from either a `number` or a `bigint` (8-byte CBOR head).
 *
 * @example
 * readUint(5n, 'x'); // 5
 * readUint(256, 'LoadWeight', 0xff); // throws ProtocolError
 */
export function readUint(value: unknown, path: string, max: number = Number.MAX_SAFE_INTEGER): number {
  let n: number;
  if (typeof value === 'bigint') {
    if (value < 0n) throw typeError(path, 'an unsigned integer', value);
    if (value > BigInt(max)) throw new ProtocolError(`${path}: integer exceeds ${max}`);
    n = Number(value);
  } else if (typeof value === 'number' && Number.isInteger(value)) {
    if (value < 0) throw typeError(path, 'an unsigned integer', value);
    n = value;
  } else {
    throw typeError(path, 'an unsigned integer', value);
  }
  if (n > max) throw new ProtocolError(`${path}: integer exceeds ${max}`);
  return n;
}

/**
 * A float64 field. Integers are accepted too (Go's decoder stores a CBOR
 * integer into a `float64` field), and so are NaN / infinities.
 *
 * @example
 * readFloat(0.001, 'PKI document.LambdaP'); // 0.001
 */
export function readFloat(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  throw typeError(path, 'a float', value);
}

/**
 * A text string.
 *
 * @example
 * readText('v1', 'PKI document.Version'); // "v1"
 */
export function readText(value: unknown, path: string): string {
  if (typeof value !== 'string') throw typeError(path, 'a text string', value);
  return value;
}

/**
 * A bool.
 *
 * @example
 * readBool(true, 'IsServiceNode'); // true
 */
export function readBool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw typeError(path, 'a bool', value);
  return value;
}

/**
 * A byte string, copied into a fresh plain `Uint8Array`. With `length`, the
 * byte string must have exactly that length.
 *
 * @example
 * const key = readBytes(raw, 'SharedRandomCommit key', 32);
 */
export function readBytes(value: unknown, path: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw typeError(path, 'a byte string', value);
  if (length !== undefined && value.length !== length) {
    throw new ProtocolError(`${path}: expected ${length} bytes, got ${value.length}`);
  }
  // `new Uint8Array(typedArray)` copies the elements: the result owns its
  // memory and is a plain Uint8Array even when `value` is a Buffer view.
  return new Uint8Array(value);
}

/**
 * A Go `[]byte`: a byte string, or `null` (nil) which becomes an empty array.
 *
 * @example
 * readBytesOrEmpty(null, 'SharedRandomValue'); // Uint8Array(0)
 */
export function readBytesOrEmpty(value: unknown, path: string): Uint8Array {
  return isNil(value) ? new Uint8Array(0) : readBytes(value, path);
}

/**
 * A Go slice: an array, or `null` (nil) which becomes `[]`.
 *
 * @example
 * readArrayOrEmpty(null, 'PriorSharedRandom'); // []
 */
export function readArrayOrEmpty(value: unknown, path: string): readonly unknown[] {
  if (isNil(value)) return [];
  if (!Array.isArray(value)) throw typeError(path, 'an array', value);
  return value as unknown[];
}

/**
 * A Go map: a CBOR map, or `null` (nil) which becomes an empty `Map`.
 *
 * @example
 * readMapOrEmpty(null, 'MixKeys').size; // 0
 */
export function readMapOrEmpty(value: unknown, path: string): Map<unknown, unknown> {
  if (isNil(value)) return new Map();
  return expectMap(value, path);
}

/**
 * Sets `record[key] = value` as an own enumerable property even when `key`
 * is `"__proto__"`: plain assignment would replace the prototype instead
 * (keys here come from the network).
 *
 * @example
 * const r: Record<string, number> = {};
 * setOwn(r, '__proto__', 1); // Object.keys(r) → ['__proto__'], prototype intact
 */
export function setOwn<T>(record: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Converts an arbitrary decoded value (e.g. a Kaetzchen parameter) into an
 * owned, JS-friendly form: byte strings are copied, maps whose keys are all
 * text become plain records, other maps stay `Map`s; arrays recurse.
 *
 * @example
 * toPlainValue(new Map([['endpoint', 'courier']])); // { endpoint: 'courier' }
 */
export function toPlainValue(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(toPlainValue);
  if (value instanceof Map) {
    const entries = [...(value as Map<unknown, unknown>).entries()];
    if (entries.every(([k]) => typeof k === 'string')) {
      const record: Record<string, unknown> = {};
      for (const [k, v] of entries) setOwn(record, k as string, toPlainValue(v));
      return record;
    }
    return new Map(entries.map(([k, v]) => [toPlainValue(k), toPlainValue(v)]));
  }
  return value;
}
