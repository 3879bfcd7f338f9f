/** Nesting deeper than this is left to the full decoder (and its own limits). */
const MAX_DEPTH = 64;

/**
 * The offset just past the CBOR data item that starts at `offset`, without
 * decoding it (RFC 8949 §3: heads, definite and indefinite lengths, tags).
 * Returns -1 when the item is truncated, malformed, or nested deeper than
 * 64: callers then fall back to a full decode, which reports the error.
 *
 * Used to find where one value of a map ends, so that only that value is
 * decoded (see `daemon-frame-layout.ts`). Never allocates.
 *
 * @example
 * skipCborItem(Uint8Array.of(0x82, 0x01, 0xf6, 0xff), 0); // 3: the array [1, null]
 */
export function skipCborItem(bytes: Uint8Array, offset: number): number {
  return skip(bytes, offset, 0);
}

function skip(bytes: Uint8Array, offset: number, depth: number): number {
  const end = bytes.length;
  if (offset >= end || depth > MAX_DEPTH) return -1;
  const initial = bytes[offset]!;
  const major = initial >> 5;
  const info = initial & 0x1f;
  let at = offset + 1;
  if (info === 31) return skipIndefinite(bytes, at, major, depth);
  let argument: number;
  if (info < 24) {
    argument = info;
  } else if (info === 24) {
    if (at + 1 > end) return -1;
    argument = bytes[at]!;
    at += 1;
  } else if (info === 25) {
    if (at + 2 > end) return -1;
    argument = (bytes[at]! << 8) | bytes[at + 1]!;
    at += 2;
  } else if (info === 26) {
    if (at + 4 > end) return -1;
    argument = readUint32(bytes, at);
    at += 4;
  } else if (info === 27) {
    if (at + 8 > end) return -1;
    // Only lengths and counts need the value; none that fits in this frame exceeds 2^53.
    argument = readUint32(bytes, at) * 2 ** 32 + readUint32(bytes, at + 4);
    at += 8;
  } else {
    return -1; // 28–30 are reserved
  }
  switch (major) {
    case 0: // unsigned integer
    case 1: // negative integer
    case 7: // simple value or float: the head is the whole item
      return at;
    case 2: // byte string
    case 3: // text string
      return at + argument <= end ? at + argument : -1;
    case 4: // array: `argument` items
      for (let i = 0; i < argument; i++) {
        at = skip(bytes, at, depth + 1);
        if (at < 0) return -1;
      }
      return at;
    case 5: // map: `argument` key/value pairs
      for (let i = 0; i < argument * 2; i++) {
        at = skip(bytes, at, depth + 1);
        if (at < 0) return -1;
      }
      return at;
    default: // 6, a tag: its content follows
      return skip(bytes, at, depth + 1);
  }
}

/** Items of indefinite length end with the "break" byte 0xff. */
function skipIndefinite(bytes: Uint8Array, at: number, major: number, depth: number): number {
  if (major === 2 || major === 3) {
    // Chunks, each a definite string of the same major type.
    while (at < bytes.length && bytes[at] !== 0xff) {
      if (bytes[at]! >> 5 !== major || (bytes[at]! & 0x1f) === 31) return -1;
      at = skip(bytes, at, depth + 1);
      if (at < 0) return -1;
    }
  } else if (major === 4 || major === 5) {
    let items = 0;
    while (at < bytes.length && bytes[at] !== 0xff) {
      at = skip(bytes, at, depth + 1);
      if (at < 0) return -1;
      items++;
    }
    if (major === 5 && items % 2 !== 0) return -1;
  } else {
    return -1; // no indefinite integers or tags; a lone break is malformed
  }
  return at < bytes.length ? at + 1 : -1;
}

function readUint32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) >>> 0) + (bytes[at + 1]! << 16) + (bytes[at + 2]! << 8) + bytes[at + 3]!;
}
