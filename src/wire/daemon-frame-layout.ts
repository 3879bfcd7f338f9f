import { cborEncoder } from './cbor-instances.js';
import { skipCborItem } from './cbor-skip.js';
import type { ResponseKind } from './messages.js';
import { ResponseSchemas } from './response-schemas.js';

/*
 * Every daemon frame is one CBOR map with all 25 response keys, in a fixed
 * order, `null` (f6) for all but one (PROTOCOL.md §2.1; 19 captured frames
 * of kpclientd v0.0.99 in spec/fixtures/real-daemon). This module uses that
 * shape both ways:
 *
 * - decoding (client): skip the null entries by their lengths, find the one
 *   non-null value, and let cbor-x decode only that value — instead of
 *   building a 25-property object per frame (a fifth of the client's CPU
 *   per local request in the P1 profiles, bench/);
 * - encoding (simulator): the bytes around the value are the same in every
 *   frame of a kind, so a frame is prefix ‖ encoded value ‖ suffix, instead
 *   of a 25-key map built and encoded per frame.
 *
 * Anything else (a variant we do not know, a duplicate of its key, non-text
 * keys, tags or indefinite lengths at the top, several or no variants,
 * malformed CBOR) is left to the full decode in `codec.ts`, which is the
 * reference behaviour, errors included.
 */

const KINDS = Object.keys(ResponseSchemas) as ResponseKind[];

/** A copy of the encoder's output (it hands out views of a buffer it reuses). */
const owned = (bytes: Uint8Array): Uint8Array => new Uint8Array(bytes);

/** Each key as cbor-x writes it inside a map (`{ key: null }` minus the map head and the null). */
const KEY_BYTES: readonly Uint8Array[] = KINDS.map((kind) => {
  const single = owned(cborEncoder.encode({ [kind]: null }));
  return single.subarray(1, single.length - 1);
});

/** The encoder's head for a map of all kinds (b8 19 for 25). */
const MAP_HEAD: Uint8Array = (() => {
  const allNull = owned(cborEncoder.encode(Object.fromEntries(KINDS.map((kind) => [kind, null]))));
  return allNull.subarray(0, allNull.length - KEY_BYTES.reduce((n, key) => n + key.length + 1, 0));
})();

const NULL = 0xf6;
const UNDEFINED = 0xf7;

/** Where the one variant of a daemon frame is. */
export interface ScannedFrame {
  readonly kind: ResponseKind;
  /** Byte range of its value in the frame body. */
  readonly start: number;
  readonly end: number;
}

/** Frames with more entries than this go to the full decode. */
const MAX_ENTRIES = 64;
/** Start of each key in the frame being scanned (reused: the scan is synchronous and not re-entrant). */
const keyStarts = new Int32Array(MAX_ENTRIES);

/**
 * Finds the one non-null variant of a daemon frame from its bytes alone.
 * Returns null for every frame that is not of the plain shape described
 * above; the caller then decodes the whole frame as before.
 *
 * What a full decode would make of the other, null-valued entries does
 * not depend on their keys — with one exception: a null entry under the
 * variant's own key replaces it (the last duplicate wins). So null keys are
 * only skipped by their length, and compared only with the variant's key;
 * comparing every key with the 25 known ones cost more than the whole
 * cbor-x decode it replaces.
 *
 * @example
 * const at = scanDaemonFrame(body); // { kind: 'new_keypair_reply', start: 432, end: 901 }
 * const value = at && decoder.decode(body.subarray(at.start, at.end));
 */
export function scanDaemonFrame(body: Uint8Array): ScannedFrame | null {
  const end = body.length;
  if (end === 0) return null;
  const head = body[0]!;
  let entries: number;
  let at: number;
  // Definite-length map heads only (a0–b7, b8 n).
  if (head >= 0xa0 && head <= 0xb7) {
    entries = head - 0xa0;
    at = 1;
  } else if (head === 0xb8 && end > 1) {
    entries = body[1]!;
    at = 2;
  } else {
    return null;
  }
  if (entries > MAX_ENTRIES) return null;
  let variant = -1; // entry number of the non-null value
  let start = -1;
  let valueEnd = -1;
  for (let entry = 0; entry < entries; entry++) {
    keyStarts[entry] = at;
    at = textEnd(body, at);
    if (at < 0 || at >= end) return null;
    const first = body[at]!;
    if (first === NULL || first === UNDEFINED) {
      at += 1;
      continue;
    }
    if (variant >= 0) return null; // two variants: the full decode reports it
    variant = entry;
    start = at;
    valueEnd = skipCborItem(body, at);
    if (valueEnd < 0) return null;
    at = valueEnd;
  }
  // Trailing bytes, or no variant at all: the full decode reports it.
  if (at !== end || variant < 0) return null;
  const keyStart = keyStarts[variant]!;
  const keyLength = start - keyStart;
  const index = knownKey(body, keyStart, keyLength);
  if (index < 0) return null; // a variant this SDK does not know
  for (let entry = 0; entry < entries; entry++) {
    if (entry === variant) continue;
    const other = keyStarts[entry]!;
    // Its length is the distance to its null (keys are followed by exactly one null byte here).
    const otherLength = (entry + 1 < entries ? keyStarts[entry + 1]! : end) - other - 1;
    if (otherLength === keyLength && sameBytes(body, other, KEY_BYTES[index]!)) return null;
  }
  return { kind: KINDS[index]!, start, end: valueEnd };
}

/** End of the definite-length text string (the key) starting at `at`, or -1. */
function textEnd(body: Uint8Array, at: number): number {
  const head = body[at];
  if (head === undefined) return -1;
  let end: number;
  if (head >= 0x60 && head <= 0x77) end = at + 1 + (head - 0x60);
  else if (head === 0x78 && at + 1 < body.length) end = at + 2 + body[at + 1]!;
  else return -1;
  return end <= body.length ? end : -1;
}

/** Index in KINDS of the key bytes `body[at, at + length)`, or -1. */
function knownKey(body: Uint8Array, at: number, length: number): number {
  for (let i = 0; i < KINDS.length; i++) {
    if (KEY_BYTES[i]!.length === length && sameBytes(body, at, KEY_BYTES[i]!)) return i;
  }
  return -1;
}

function sameBytes(body: Uint8Array, at: number, key: Uint8Array): boolean {
  for (let i = 0; i < key.length; i++) if (body[at + i] !== key[i]) return false;
  return true;
}

/** The fixed bytes before and after the value of `kind` in an all-keys daemon frame. */
interface FrameParts {
  readonly prefix: Uint8Array;
  readonly suffix: Uint8Array;
}

const PARTS: ReadonlyMap<ResponseKind, FrameParts> = new Map(
  KINDS.map((kind, index) => {
    const nullEntry = (i: number) => [...KEY_BYTES[i]!, NULL];
    const before = KINDS.slice(0, index).flatMap((_, i) => nullEntry(i));
    const after = KINDS.slice(index + 1).flatMap((_, i) => nullEntry(index + 1 + i));
    return [kind, { prefix: Uint8Array.from([...MAP_HEAD, ...before, ...KEY_BYTES[index]!]), suffix: Uint8Array.from(after) }];
  }),
);

/**
 * A daemon frame with all 25 keys around `value` (the CBOR of the variant's
 * body): `prefix ‖ value ‖ suffix` — the bytes around a value are the same
 * in every frame of a kind — byte for byte what encoding the whole map
 * gives, without building and encoding a 25-key map per frame.
 *
 * @example
 * const frame = allKeysDaemonFrame('shutdown_event', cborEncoder.encode({}));
 */
export function allKeysDaemonFrame(kind: ResponseKind, value: Uint8Array): Uint8Array {
  const { prefix, suffix } = PARTS.get(kind)!;
  const frame = new Uint8Array(prefix.length + value.length + suffix.length);
  frame.set(prefix, 0);
  frame.set(value, prefix.length);
  frame.set(suffix, prefix.length + value.length);
  return frame;
}
