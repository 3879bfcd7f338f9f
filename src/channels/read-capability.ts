import { blake2b } from '@noble/hashes/blake2.js';
import { bytesEqual } from '../core/hex.js';
import { WireSizes } from '../wire/constants.js';
import { fromBase64Url, toBase64Url } from './base64url.js';
import { ReadCapabilityFormatError } from './channel-errors.js';

/** The prefix of a shared read capability string: the format name and its version. */
export const READ_CAPABILITY_PREFIX = 'kprx1:';

const CHECKSUM_BYTES = 4;
const BODY_BYTES = WireSizes.readCap + WireSizes.messageBoxIndex;

/** A read capability and the box a reader should start at. */
export interface SharedReadCapability {
  /** 136 bytes. */
  readonly readCap: Uint8Array;
  /** 104 bytes: where the reader starts (the channel's first index, or a later one). */
  readonly startIndex: Uint8Array;
}

function checksum(body: Uint8Array): Uint8Array {
  // Keyed by the prefix, so a future format with the same body layout
  // cannot be mistaken for this one.
  return blake2b(body, { dkLen: CHECKSUM_BYTES, key: new TextEncoder().encode(READ_CAPABILITY_PREFIX) });
}

/**
 * A compact, shareable string for a read capability: `kprx1:` and the
 * base64url of read cap ‖ start index ‖ a 4-byte checksum (332
 * characters). It only ever carries a 136-byte read capability; a write
 * capability (168 bytes) is refused, so this path cannot leak one.
 *
 * @example
 * const text = encodeReadCapability({ readCap: kp.readCap, startIndex: kp.firstMessageIndex });
 * // 'kprx1:…' — send it to the reader out of band
 */
export function encodeReadCapability(shared: SharedReadCapability): string {
  const { readCap, startIndex } = shared;
  if (!(readCap instanceof Uint8Array) || readCap.length !== WireSizes.readCap) {
    // Deliberately no length in the message beyond the expected one: a
    // caller passing a write cap here gets told, not echoed.
    throw new ReadCapabilityFormatError(`the read capability must be exactly ${WireSizes.readCap} bytes`);
  }
  if (!(startIndex instanceof Uint8Array) || startIndex.length !== WireSizes.messageBoxIndex) {
    throw new ReadCapabilityFormatError(`the start index must be exactly ${WireSizes.messageBoxIndex} bytes`);
  }
  const body = new Uint8Array(BODY_BYTES + CHECKSUM_BYTES);
  body.set(readCap, 0);
  body.set(startIndex, WireSizes.readCap);
  body.set(checksum(body.subarray(0, BODY_BYTES)), BODY_BYTES);
  return READ_CAPABILITY_PREFIX + toBase64Url(body);
}

/**
 * Parses a string from {@link encodeReadCapability}. Surrounding
 * whitespace is ignored (copy-paste); anything else that is off — another
 * prefix or version, characters outside base64url, a wrong length, a
 * checksum mismatch (a typo, a truncated paste) — throws
 * `ReadCapabilityFormatError`, whose message never repeats the input.
 *
 * @example
 * const { readCap, startIndex } = parseReadCapability(text);
 */
export function parseReadCapability(text: string): SharedReadCapability {
  if (typeof text !== 'string') throw new ReadCapabilityFormatError('expected a string');
  const trimmed = text.trim();
  if (!trimmed.startsWith(READ_CAPABILITY_PREFIX)) {
    const version = /^kprx(\d+):/.exec(trimmed);
    throw new ReadCapabilityFormatError(
      version ? `format version ${version[1]} is not supported (expected ${READ_CAPABILITY_PREFIX})` : `expected the prefix ${READ_CAPABILITY_PREFIX}`,
    );
  }
  const bytes = fromBase64Url(trimmed.slice(READ_CAPABILITY_PREFIX.length));
  if (bytes === null) throw new ReadCapabilityFormatError('the text after the prefix is not base64url');
  if (bytes.length !== BODY_BYTES + CHECKSUM_BYTES) {
    throw new ReadCapabilityFormatError(`expected ${BODY_BYTES + CHECKSUM_BYTES} bytes, got ${bytes.length}`);
  }
  const body = bytes.subarray(0, BODY_BYTES);
  if (!bytesEqual(checksum(body), bytes.subarray(BODY_BYTES))) throw new ReadCapabilityFormatError('checksum mismatch (mistyped or truncated?)');
  return { readCap: body.slice(0, WireSizes.readCap), startIndex: body.slice(WireSizes.readCap) };
}
