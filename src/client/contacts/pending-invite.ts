import { InvalidArgumentError } from '../../errors/local-errors.js';
import { WireSizes } from '../../wire/constants.js';
import { SecretBytes, revealSecret, type SecretInput } from '../../wire/secret-bytes.js';
import { describeValue } from '../validate.js';

/**
 * Everything a joiner keeps between handing out an invite and its answer:
 * persist it (see {@link encodePendingInvite}) to close the app and resume
 * the wait later with `awaitAcceptance`, or withdraw the invite with
 * `withdrawInvite`. It holds secrets — the voucher, the reply secret key,
 * your channel's write cap — as `SecretBytes`.
 */
export interface PendingInvite {
  /** The voucher the invite string carries (`encodeInvite(voucher)` shows it again). Secret. */
  readonly voucher: SecretBytes;
  /** What box 0 holds (kept to publish it again after a crash). */
  readonly voucherPayload: Uint8Array;
  /** Opens the answer. Secret. */
  readonly voucherSecretKey: SecretBytes;
  /** Your channel's write cap as it was before the exchange. Secret. */
  readonly messageWriteCap: SecretBytes;
  /** The name the invite introduces you by. */
  readonly displayName: string;
}

/*
 * Binary layout, version 1: "kprxp" (5) ‖ 1 ‖ voucher (32) ‖ secret key (162)
 * ‖ write cap (168) ‖ payload length (u16 BE) ‖ payload ‖ display name (UTF-8).
 */
const MAGIC = [0x6b, 0x70, 0x72, 0x78, 0x70];
const VERSION = 1;
const FIXED = MAGIC.length + 1 + WireSizes.voucher + WireSizes.voucherSecretKey + WireSizes.writeCap + 2;

/**
 * A pending invite as one secret blob, to store as carefully as a password
 * (`.exposeBytes()` gives the bytes; your app's secure storage, or a file
 * created 0600).
 *
 * @example
 * await vault.save('invite-to-bob', encodePendingInvite(invitation.pending).exposeBytes());
 */
export function encodePendingInvite(pending: PendingInvite): SecretBytes {
  const name = new TextEncoder().encode(pending.displayName);
  const payload = pending.voucherPayload;
  const out = new Uint8Array(FIXED + payload.length + name.length);
  let at = 0;
  const put = (bytes: ArrayLike<number>) => {
    out.set(bytes, at);
    at += bytes.length;
  };
  put(MAGIC);
  put([VERSION]);
  put(revealSecret(pending.voucher));
  put(revealSecret(pending.voucherSecretKey));
  put(revealSecret(pending.messageWriteCap));
  put([payload.length >> 8, payload.length & 0xff]);
  put(payload);
  put(name);
  return SecretBytes.adopt(out);
}

/**
 * A pending invite back from {@link encodePendingInvite}'s blob; throws
 * `InvalidArgumentError` for `pending` when it is not one.
 *
 * @example
 * const pending = decodePendingInvite(await vault.load('invite-to-bob'));
 * client.awaitAcceptance(pending).subscribe(addContact);
 */
export function decodePendingInvite(blob: SecretInput): PendingInvite {
  const bytes = blob instanceof SecretBytes || blob instanceof Uint8Array ? revealSecret(blob) : null;
  if (bytes === null) throw new InvalidArgumentError('pending', `expected a SecretBytes or a Uint8Array, got ${describeValue(blob)}`);
  if (bytes.length < FIXED || !MAGIC.every((b, i) => bytes[i] === b)) throw new InvalidArgumentError('pending', 'not a pending invite');
  if (bytes[MAGIC.length] !== VERSION) throw new InvalidArgumentError('pending', `pending invite version ${bytes[MAGIC.length]} is not supported (expected ${VERSION})`);
  let at = MAGIC.length + 1;
  const take = (n: number) => bytes.slice(at, (at += n));
  const voucher = SecretBytes.adopt(take(WireSizes.voucher));
  const voucherSecretKey = SecretBytes.adopt(take(WireSizes.voucherSecretKey));
  const messageWriteCap = SecretBytes.adopt(take(WireSizes.writeCap));
  const length = (bytes[at]! << 8) | bytes[at + 1]!;
  at += 2;
  if (at + length > bytes.length) throw new InvalidArgumentError('pending', 'not a pending invite (truncated)');
  const voucherPayload = take(length);
  let displayName: string;
  try {
    displayName = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(at));
  } catch {
    throw new InvalidArgumentError('pending', 'not a pending invite (the display name is not UTF-8)');
  }
  return { voucher, voucherPayload, voucherSecretKey, messageWriteCap, displayName };
}

/** `pending` checked: an object with the fields of a {@link PendingInvite}, of the right sizes. */
export function checkPendingInvite(pending: unknown): PendingInvite {
  if (pending === null || typeof pending !== 'object') throw new InvalidArgumentError('pending', `expected a pending invite, got ${describeValue(pending)}`);
  const p = pending as Partial<Record<keyof PendingInvite, unknown>>;
  const secret = (key: keyof PendingInvite, length: number) => {
    const value = p[key];
    if (!(value instanceof SecretBytes || value instanceof Uint8Array) || value.length !== length) {
      throw new InvalidArgumentError(`pending.${key}`, `expected ${length} bytes, got ${describeValue(value)}`);
    }
  };
  secret('voucher', WireSizes.voucher);
  secret('voucherSecretKey', WireSizes.voucherSecretKey);
  secret('messageWriteCap', WireSizes.writeCap);
  if (!(p.voucherPayload instanceof Uint8Array) || p.voucherPayload.length === 0) {
    throw new InvalidArgumentError('pending.voucherPayload', `expected the voucher payload, got ${describeValue(p.voucherPayload)}`);
  }
  if (typeof p.displayName !== 'string') throw new InvalidArgumentError('pending.displayName', `expected a string, got ${describeValue(p.displayName)}`);
  return pending as PendingInvite;
}
