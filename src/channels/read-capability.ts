import { decodeCheckedString, encodeCheckedString } from '../core/checked-string.js';
import { WireSizes } from '../wire/constants.js';
import { ReadCapabilityFormatError } from './channel-errors.js';

/** The prefix of a shared read capability string: the format name and its version. */
export const READ_CAPABILITY_PREFIX = 'kprx1:';

const BODY_BYTES = WireSizes.readCap + WireSizes.messageBoxIndex;

/** A read capability and the box a reader should start at. */
export interface SharedReadCapability {
  /** 136 bytes. */
  readonly readCap: Uint8Array;
  /** 104 bytes: where the reader starts (the channel's first index, or a later one). */
  readonly startIndex: Uint8Array;
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
  const body = new Uint8Array(BODY_BYTES);
  body.set(readCap, 0);
  body.set(startIndex, WireSizes.readCap);
  return encodeCheckedString(READ_CAPABILITY_PREFIX, body);
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
  const body = decodeCheckedString(READ_CAPABILITY_PREFIX, text, BODY_BYTES);
  if (typeof body === 'string') throw new ReadCapabilityFormatError(body);
  return { readCap: body.slice(0, WireSizes.readCap), startIndex: body.slice(WireSizes.readCap) };
}
