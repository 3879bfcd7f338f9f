import { decodeCheckedString, encodeCheckedString } from '../../core/checked-string.js';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { WireSizes } from '../../wire/constants.js';
import { SecretBytes, revealSecret, type SecretInput } from '../../wire/secret-bytes.js';

/** The prefix of an invite string: the format name and its version. */
export const INVITE_PREFIX = 'kprxinvite1:';

/**
 * The invite string for a contact voucher: `kprxinvite1:` and the base64url
 * of the 32-byte voucher and a 4-byte checksum — 60 characters, for a link,
 * a QR code or a chat message. It is a bearer token: whoever holds it can
 * answer the invite, so hand it to one person, over a channel you trust.
 *
 * @example
 * const text = encodeInvite(minted.voucher); // 'kprxinvite1:…'
 */
export function encodeInvite(voucher: SecretInput): string {
  if (!(voucher instanceof Uint8Array || voucher instanceof SecretBytes) || voucher.length !== WireSizes.voucher) {
    throw new InvalidArgumentError('voucher', `expected a ${WireSizes.voucher}-byte voucher`);
  }
  return encodeCheckedString(INVITE_PREFIX, revealSecret(voucher));
}

/**
 * The voucher inside an invite string. Surrounding whitespace is ignored;
 * anything else that is off — another prefix (a `kprx1:` read capability
 * is not an invite), characters outside base64url, a wrong length, a
 * checksum mismatch (a typo, a truncated paste) — throws
 * `InvalidArgumentError` for `invite`, whose message never repeats the input.
 *
 * @example
 * const voucher = parseInvite(pasted);
 */
export function parseInvite(text: string): SecretBytes {
  const body = decodeCheckedString(INVITE_PREFIX, text, WireSizes.voucher);
  if (typeof body !== 'string') return SecretBytes.adopt(body);
  const hint = typeof text === 'string' && text.trim().startsWith('kprx1:') ? ' — this is a read capability, not an invite' : '';
  throw new InvalidArgumentError('invite', `not an invite string: ${body}${hint}`);
}
