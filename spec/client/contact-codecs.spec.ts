/**
 * The contact exchange's byte formats: invite strings, the persisted
 * pending invite, and the voucher blob sizes the client checks arguments
 * against (the formula against what the real kpclientd produced).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { INVITE_PREFIX, InvalidArgumentError, SecretBytes, decodePendingInvite, encodeInvite, encodePendingInvite, parseInvite } from 'katzenpost-rx';
import { sealedReplyLength, voucherPayloadLength } from '../../src/wire/voucher-sizes.js';

const voucher = Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + 3) & 0xff);

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('no error');
}

describe('invite strings', () => {
  it('round-trip a voucher through 60 copy-pasteable characters', () => {
    const text = encodeInvite(SecretBytes.from(voucher));
    expect(text).toMatch(/^kprxinvite1:[A-Za-z0-9_-]{48}$/);
    expect(text).toHaveLength(60);
    expect(encodeInvite(voucher)).toBe(text);
    const parsed = parseInvite(`  ${text}\n`);
    expect(parsed).toBeInstanceOf(SecretBytes);
    expect(parsed.equals(voucher)).toBe(true);
  });

  const good = encodeInvite(voucher);
  const typo = good.slice(0, 30) + (good[30] === 'A' ? 'B' : 'A') + good.slice(31);
  it.each([
    ['empty', '', /expected the prefix kprxinvite1:/],
    ['another version', `kprxinvite2:${good.slice(INVITE_PREFIX.length)}`, /version 2 is not supported/],
    ['a read capability', `kprx1:${good.slice(INVITE_PREFIX.length)}`, /this is a read capability, not an invite/],
    ['bad characters', `${good.slice(0, 40)}!${good.slice(41)}`, /not base64url/],
    ['truncated', good.slice(0, 48), /expected 36 bytes, got 27/],
    ['a typo', typo, /checksum mismatch/],
    ['not a string', 42, /expected a string/],
  ])('refuse %s with InvalidArgumentError(invite), never echoing the input', (_what, input, message) => {
    const error = errorOf(() => parseInvite(input as string));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('invite');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(good.slice(INVITE_PREFIX.length, INVITE_PREFIX.length + 12));
  });

  it('refuse to encode anything but a 32-byte voucher', () => {
    expect(errorOf(() => encodeInvite(new Uint8Array(31)))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe('pending invites', () => {
  const pending = {
    voucher: SecretBytes.from(voucher),
    voucherPayload: Uint8Array.from({ length: 457 }, (_, i) => i & 0xff),
    voucherSecretKey: SecretBytes.from(new Uint8Array(162).fill(5)),
    messageWriteCap: SecretBytes.from(new Uint8Array(168).fill(6)),
    displayName: 'Zoë 🦊',
  };

  it('round-trip through one secret blob that never prints', () => {
    const blob = encodePendingInvite(pending);
    expect(blob).toBeInstanceOf(SecretBytes);
    expect(JSON.stringify({ blob })).toBe(`{"blob":"[redacted ${blob.length} bytes]"}`);
    expect(decodePendingInvite(blob)).toEqual(pending);
    expect(decodePendingInvite(blob.exposeBytes())).toEqual(pending);
  });

  it.each([
    ['not bytes', 'kprxp', /expected a SecretBytes or a Uint8Array/],
    ['another blob', new Uint8Array(400), /not a pending invite/],
    ['truncated', () => encodePendingInvite(pending).exposeBytes().subarray(0, 500), /truncated/],
    [
      'a future version',
      () => {
        const bytes = encodePendingInvite(pending).exposeBytes();
        bytes[5] = 2;
        return bytes;
      },
      /version 2 is not supported/,
    ],
  ])('refuse %s with InvalidArgumentError(pending)', (_what, input, message) => {
    const value = typeof input === 'function' ? input() : input;
    const error = errorOf(() => decodePendingInvite(value as Uint8Array));
    expect((error as InvalidArgumentError).argument).toBe('pending');
    expect(error.message).toMatch(message);
  });
});

describe('voucher blob sizes', () => {
  const measured = JSON.parse(readFileSync(path.join(process.cwd(), 'spec/fixtures/real-daemon/voucher-behaviour.json'), 'utf8')) as {
    payloadSizes: Record<string, number>;
    sealedReplySizes: Record<string, number>;
  };

  it('the payload formula gives every size the real kpclientd produced', () => {
    for (const [name, size] of Object.entries(measured.payloadSizes)) expect([name, voucherPayloadLength(Number(name))]).toEqual([name, size]);
  });

  it('the sealed-reply formula gives every size the real kpclientd produced', () => {
    for (const [reply, size] of Object.entries(measured.sealedReplySizes)) expect([reply, sealedReplyLength(Number(reply))]).toEqual([reply, size]);
  });
});
