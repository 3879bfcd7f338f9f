import type { Observable } from 'rxjs';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { WireSizes } from '../../wire/constants.js';
import { redacted } from '../../wire/redacted.js';
import type { SecretInput } from '../../wire/secret-bytes.js';
import { sealedReplyLength } from '../../wire/voucher-sizes.js';
import type { ClientContext } from '../client-context.js';
import { checkErrorCode, present } from '../pigeonhole/reply-checks.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes, checkSecret, checkWriteCap } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions } from '../validate-options.js';
import { checkBoxBytes, checkDisplayName } from './contact-arguments.js';
import type { VoucherInductResult, VoucherMintResult, VoucherOpenResult, VoucherStreamResult } from './voucher-types.js';

/**
 * How long a voucher request may go unanswered when neither the call nor the
 * client sets a timeout. Voucher requests are local crypto, answered in
 * milliseconds — but kpclientd v0.0.99 panics on some malformed blobs (an
 * induct whose payload has no public key; an open whose sealed reply has a
 * DEK ciphertext shorter than a nonce), recovers, and never replies
 * (measured; spec/conformance). Without a bound such a request would hang.
 */
export const VOUCHER_FALLBACK_TIMEOUT_MS = 60_000;

const checkVoucher = (voucher: unknown): SecretInput => checkSecret('voucher', voucher, { length: WireSizes.voucher });

/** The implementation of {@link ThinClient.voucherMint}, where it is documented. */
export function voucherMint(ctx: ClientContext, messageWriteCap: SecretInput, displayName: string, options?: RequestOptions): Observable<VoucherMintResult> {
  return withValidArguments(
    () => {
      checkWriteCap('messageWriteCap', messageWriteCap);
      checkDisplayName(ctx, 'displayName', displayName);
      checkRequestOptions(options);
    },
    () =>
      ctx.requests.query({
        request: { type: 'voucher_mint', messageWriteCap, displayName },
        replyType: 'voucher_mint_reply',
        options,
        fallbackTimeoutMs: VOUCHER_FALLBACK_TIMEOUT_MS,
        result: (reply) => {
          checkErrorCode(reply);
          return redacted({
            voucher: present(reply.voucher, 'voucher', reply),
            voucherPayload: present(reply.voucherPayload, 'voucher_payload', reply),
            voucherWriteCap: present(reply.voucherWriteCap, 'voucher_write_cap', reply),
            voucherReadCap: present(reply.voucherReadCap, 'voucher_read_cap', reply),
            voucherSecretKey: present(reply.voucherSecretKey, 'voucher_secret_key', reply),
            voucherPublicKey: present(reply.voucherPublicKey, 'voucher_public_key', reply),
          });
        },
      }),
  );
}

/** The implementation of {@link ThinClient.voucherInduct}, where it is documented. */
export function voucherInduct(
  ctx: ClientContext,
  voucher: SecretInput,
  voucherPayload: Uint8Array,
  whoReply: Uint8Array,
  options?: RequestOptions,
): Observable<VoucherInductResult> {
  return withValidArguments(
    () => {
      checkVoucher(voucher);
      checkBoxBytes(ctx, 'voucherPayload', voucherPayload);
      checkBytes('whoReply', whoReply);
      const max = ctx.state().pigeonholeGeometry?.maxPlaintextPayloadLength;
      if (max !== undefined && sealedReplyLength(whoReply.length) > max) {
        throw new InvalidArgumentError('whoReply', `too long: the sealed reply would be ${sealedReplyLength(whoReply.length)} bytes, and a box holds ${max}`);
      }
      checkRequestOptions(options);
    },
    () =>
      ctx.requests.query({
        request: { type: 'voucher_induct', voucher, voucherPayload, whoReply },
        replyType: 'voucher_induct_reply',
        options,
        fallbackTimeoutMs: VOUCHER_FALLBACK_TIMEOUT_MS,
        result: (reply) => {
          checkErrorCode(reply);
          return redacted({
            displayName: reply.displayName,
            mutatedMessageReadCap: present(reply.mutatedMessageReadCap, 'mutated_message_read_cap', reply),
            sealedReply: present(reply.sealedReply, 'sealed_reply', reply),
            voucherWriteCap: present(reply.voucherWriteCap, 'voucher_write_cap', reply),
            voucherReadCap: present(reply.voucherReadCap, 'voucher_read_cap', reply),
            salt: present(reply.salt, 'salt', reply),
          });
        },
      }),
  );
}

/** The implementation of {@link ThinClient.voucherOpen}, where it is documented. */
export function voucherOpen(
  ctx: ClientContext,
  voucherSecretKey: SecretInput,
  sealedReply: Uint8Array,
  messageWriteCap: SecretInput,
  options?: RequestOptions,
): Observable<VoucherOpenResult> {
  return withValidArguments(
    () => {
      // Exact size: kpclientd panics (and never answers) on a key under 32 bytes.
      checkSecret('voucherSecretKey', voucherSecretKey, { length: WireSizes.voucherSecretKey });
      checkBoxBytes(ctx, 'sealedReply', sealedReply);
      checkWriteCap('messageWriteCap', messageWriteCap);
      checkRequestOptions(options);
    },
    () =>
      ctx.requests.query({
        request: { type: 'voucher_open', voucherSecretKey, sealedReply, messageWriteCap },
        replyType: 'voucher_open_reply',
        options,
        fallbackTimeoutMs: VOUCHER_FALLBACK_TIMEOUT_MS,
        result: (reply) => {
          checkErrorCode(reply);
          return redacted({
            // Null when the inductor sent none (a Go client's nil): the same as empty.
            whoReply: reply.whoReply ?? new Uint8Array(0),
            salt: present(reply.salt, 'salt', reply),
            mutatedMessageWriteCap: present(reply.mutatedMessageWriteCap, 'mutated_message_write_cap', reply),
          });
        },
      }),
  );
}

/** The implementation of {@link ThinClient.voucherDeriveStream}, where it is documented. */
export function voucherDeriveStream(ctx: ClientContext, voucher: SecretInput, options?: RequestOptions): Observable<VoucherStreamResult> {
  return withValidArguments(
    () => {
      checkVoucher(voucher);
      checkRequestOptions(options);
    },
    () =>
      ctx.requests.query({
        request: { type: 'voucher_derive_stream', voucher },
        replyType: 'voucher_derive_stream_reply',
        options,
        fallbackTimeoutMs: VOUCHER_FALLBACK_TIMEOUT_MS,
        result: (reply) => {
          checkErrorCode(reply);
          return redacted({
            voucherWriteCap: present(reply.voucherWriteCap, 'voucher_write_cap', reply),
            voucherReadCap: present(reply.voucherReadCap, 'voucher_read_cap', reply),
          });
        },
      }),
  );
}
