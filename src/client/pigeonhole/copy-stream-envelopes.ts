import type { Observable } from 'rxjs';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { WireSizes } from '../../wire/constants.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBoolean, checkBytes, checkIndex, checkWriteCap } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkEnvelopeCount, checkRequestOptions } from '../validate-options.js';
import type { CreateEnvelopesResult, DestinationPayload } from './pigeonhole-types.js';
import { checkErrorCode } from './reply-checks.js';
import type { SecretInput } from '../../wire/secret-bytes.js';

/*
 * Copy streams (DAEMON.md §5): the daemon packs destination writes into
 * copy-stream elements, one per box of a temporary channel; a courier then
 * replays them atomically (`startResendingCopyCommand`). These calls are
 * local and stateless; a residual `buffer` carries the encoder's tail from
 * one call to the next.
 */

function checkDestination(prefix: string, payload: unknown, writeCap: unknown, startIndex: unknown): void {
  checkBytes(`${prefix}payload`, payload, { max: WireSizes.maxCopyPayload });
  checkWriteCap(`${prefix}writeCap`, writeCap);
  checkIndex(`${prefix}startIndex`, startIndex);
}

function checkStreamFlags(isStart: unknown, isLast: unknown, buffer: unknown, options: RequestOptions | undefined): void {
  checkBoolean('isStart', isStart);
  checkBoolean('isLast', isLast);
  if (buffer !== null) checkBytes('buffer', buffer);
  checkRequestOptions(options);
}

/** The implementation of {@link ThinClient.createCourierEnvelopesFromPayload}, where it is documented. */
export function createCourierEnvelopesFromPayload(
  ctx: ClientContext,
  payload: Uint8Array,
  destWriteCap: SecretInput,
  destStartIndex: Uint8Array,
  isStart: boolean,
  isLast: boolean,
  options?: RequestOptions,
): Observable<CreateEnvelopesResult> {
  return withValidArguments(
    () => {
      checkDestination('', payload, destWriteCap, destStartIndex);
      checkStreamFlags(isStart, isLast, null, options);
    },
    () =>
      ctx.requests.query({
        request: { type: 'create_courier_envelopes_from_payload', payload, destWriteCap, destStartIndex, isStart, isLast },
        replyType: 'create_courier_envelopes_from_payload_reply',
        options,
        result: (reply) => {
          checkErrorCode(reply);
          return { envelopes: reply.envelopes ?? [], buffer: null, nextDestIndex: reply.nextDestIndex, nextDestIndices: null };
        },
      }),
  );
}

/** The implementation of {@link ThinClient.createCourierEnvelopesFromMultiPayload}, where it is documented. */
export function createCourierEnvelopesFromMultiPayload(
  ctx: ClientContext,
  destinations: readonly DestinationPayload[],
  isStart: boolean,
  isLast: boolean,
  buffer: Uint8Array | null = null,
  options?: RequestOptions,
): Observable<CreateEnvelopesResult> {
  return withValidArguments(
    () => {
      if (!Array.isArray(destinations) || destinations.length === 0) throw new InvalidArgumentError('destinations', 'expected at least one destination');
      destinations.forEach((d, i) => checkDestination(`destinations[${i}].`, d?.payload, d?.writeCap, d?.startIndex));
      checkStreamFlags(isStart, isLast, buffer, options);
    },
    () =>
      ctx.requests.query({
        request: {
          type: 'create_courier_envelopes_from_multi_payload',
          destinations: destinations.map(({ payload, writeCap, startIndex }) => ({ payload, writeCap, startIndex })),
          isStart,
          isLast,
          buffer,
        },
        replyType: 'create_courier_envelopes_from_multi_payload_reply',
        options,
        result: (reply) => {
          checkErrorCode(reply);
          return { envelopes: reply.envelopes ?? [], buffer: reply.buffer, nextDestIndex: null, nextDestIndices: reply.nextDestIndices ?? [] };
        },
      }),
  );
}

/** The implementation of {@link ThinClient.createCourierEnvelopesFromTombstoneRange}, where it is documented. */
export function createCourierEnvelopesFromTombstoneRange(
  ctx: ClientContext,
  destWriteCap: SecretInput,
  destStartIndex: Uint8Array,
  maxCount: number,
  isStart: boolean,
  isLast: boolean,
  buffer: Uint8Array | null = null,
  options?: RequestOptions,
): Observable<CreateEnvelopesResult> {
  return withValidArguments(
    () => {
      checkWriteCap('destWriteCap', destWriteCap);
      checkIndex('destStartIndex', destStartIndex);
      checkEnvelopeCount('maxCount', maxCount);
      checkStreamFlags(isStart, isLast, buffer, options);
    },
    () =>
      ctx.requests.query({
        request: { type: 'create_courier_envelopes_from_tombstone_range', destWriteCap, destStartIndex, maxCount, isStart, isLast, buffer },
        replyType: 'create_courier_envelopes_from_tombstone_range_reply',
        options,
        result: (reply) => {
          checkErrorCode(reply);
          return { envelopes: reply.envelopes ?? [], buffer: reply.buffer, nextDestIndex: reply.nextDestIndex, nextDestIndices: null };
        },
      }),
  );
}
