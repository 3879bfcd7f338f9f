import { blake2b } from '@noble/hashes/blake2.js';
import { fromBase64Url, toBase64Url } from './base64url.js';
import { bytesEqual } from './hex.js';

const CHECKSUM_BYTES = 4;

function checksum(prefix: string, body: Uint8Array): Uint8Array {
  // Keyed by the prefix, so a string of another format (or version) with
  // the same body length cannot pass for this one.
  return blake2b(body, { dkLen: CHECKSUM_BYTES, key: new TextEncoder().encode(prefix) });
}

/**
 * A copy-pasteable string for a fixed-size byte body: `prefix` (a format
 * name ending in a version and `:`), then the base64url of the body and a
 * 4-byte checksum — what the `kprx1:` read capabilities and `kprxinvite1:`
 * invites are made of.
 *
 * @example
 * encodeCheckedString('kprx1:', body); // 'kprx1:…'
 */
export function encodeCheckedString(prefix: string, body: Uint8Array): string {
  const bytes = new Uint8Array(body.length + CHECKSUM_BYTES);
  bytes.set(body, 0);
  bytes.set(checksum(prefix, body), body.length);
  return prefix + toBase64Url(bytes);
}

/**
 * The body of a string from {@link encodeCheckedString}, or why it is not
 * one (a reason that never repeats the input, which may be secret).
 * Surrounding whitespace is ignored (copy-paste).
 *
 * @example
 * const parsed = decodeCheckedString('kprx1:', text, 240);
 * if (typeof parsed === 'string') throw new Error(parsed);
 */
export function decodeCheckedString(prefix: string, text: unknown, bodyLength: number): Uint8Array | string {
  if (typeof text !== 'string') return 'expected a string';
  const trimmed = text.trim();
  if (!trimmed.startsWith(prefix)) {
    const name = prefix.replace(/\d+:$/, '');
    const version = new RegExp(`^${name}(\\d+):`).exec(trimmed);
    return version ? `format version ${version[1]} is not supported (expected ${prefix})` : `expected the prefix ${prefix}`;
  }
  const bytes = fromBase64Url(trimmed.slice(prefix.length));
  if (bytes === null) return 'the text after the prefix is not base64url';
  if (bytes.length !== bodyLength + CHECKSUM_BYTES) return `expected ${bodyLength + CHECKSUM_BYTES} bytes, got ${bytes.length}`;
  const body = bytes.slice(0, bodyLength);
  if (!bytesEqual(checksum(prefix, body), bytes.subarray(bodyLength))) return 'checksum mismatch (mistyped or truncated?)';
  return body;
}
