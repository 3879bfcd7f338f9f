import { map, type Observable } from 'rxjs';
import { startResendingErrorFor } from '../../errors/error-for-code.js';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { WireSizes } from '../../wire/constants.js';
import { redacted } from '../../wire/redacted.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes, checkIndex, checkReadCap, checkSecret, checkWriteCap, describeValue } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkFlag, checkRequestOptions } from '../validate-options.js';
import type { StartResendingParams, StartResendingResult } from './pigeonhole-types.js';
import { checkErrorCode } from './reply-checks.js';

/**
 * Sends an envelope from `encryptRead`/`encryptWrite` to a courier and
 * emits the outcome once the daemon's ARQ is done: the plaintext for a
 * read, `null` for a write. Mixnet-bound: while the daemon is offline it
 * waits (give it a `timeoutMs` if it must not wait forever).
 *
 * Unsubscribing before the outcome cancels the operation at the daemon
 * (`cancel_resending_encrypted_message`, sent once); the daemon's code-24
 * answer to that cancel is absorbed. A cancel by anyone else ends this
 * Observable with `StartResendingCancelledError`. A start still waiting
 * in the daemon's send queue (offline, or behind the Poisson schedule) is
 * not found by a cancel (DAEMON.md §3.6): the client then keeps its place
 * in its account of that queue and cancels it again once it has left it.
 * After a reconnect that resumed the session, an operation in flight is
 * cancelled and re-issued under a fresh query id, so the daemon never runs
 * two ARQs for it.
 *
 * Errors are typed: `BoxIDNotFoundError`, `BoxAlreadyExistsError`,
 * `TombstoneError` (see `isExpectedOutcome`), `BACAPDecryptionFailedError`,
 * courier errors … Codes 3 and 4 are ambiguous on this reply (replica
 * InvalidSignature/DatabaseFailure vs the daemon's InvalidRequest/
 * InternalError, PROTOCOL.md §7.3); they are reported as the replica errors
 * with the ambiguity spelled out in the message.
 *
 * @example
 * const sent = await firstValueFrom(client.encryptWrite(text, writeCap, index));
 * await firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...sent }));
 * const read = await firstValueFrom(client.encryptRead(readCap, index));
 * const { plaintext } = await firstValueFrom(client.startResendingEncryptedMessage({ readCap, messageBoxIndex: index, ...read }));
 */
export function startResendingEncryptedMessage(
  ctx: ClientContext,
  params: StartResendingParams,
  options?: RequestOptions,
): Observable<StartResendingResult> {
  return withValidArguments(
    () => checkStartResending(ctx, params, options),
    () => sendStartResending(ctx, params, options),
  );
}

function checkStartResending(ctx: ClientContext, params: StartResendingParams, options: RequestOptions | undefined): void {
  checkParamsObject(params);
  const { readCap, writeCap } = params;
  if ((readCap === undefined) === (writeCap === undefined)) {
    throw new InvalidArgumentError('readCap/writeCap', 'give exactly one: readCap for a read, writeCap for a write');
  }
  if (readCap !== undefined) {
    checkReadCap('readCap', readCap);
    checkIndex('messageBoxIndex', params.messageBoxIndex);
  }
  if (writeCap !== undefined) checkWriteCap('writeCap', writeCap);
  checkSecret('envelopeDescriptor', params.envelopeDescriptor, { min: 1 });
  const max = ctx.state().sphinxGeometry?.userForwardPayloadLength;
  checkBytes('messageCiphertext', params.messageCiphertext, max === undefined ? { min: 1 } : { min: 1, max });
  checkBytes('envelopeHash', params.envelopeHash, { length: WireSizes.hash });
  if (params.replyIndex !== undefined && !(Number.isInteger(params.replyIndex) && params.replyIndex >= 0 && params.replyIndex <= 255)) {
    throw new InvalidArgumentError('replyIndex', 'expected an integer from 0 to 255');
  }
  checkFlag('noRetryOnBoxIdNotFound', params.noRetryOnBoxIdNotFound);
  checkFlag('noIdempotentBoxAlreadyExists', params.noIdempotentBoxAlreadyExists);
  checkRequestOptions(options);
}

/** Plain-JavaScript callers can pass anything: name the argument rather than fail destructuring it. */
function checkParamsObject(params: unknown): void {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw new InvalidArgumentError('params', `expected the envelope (from encryptRead/encryptWrite) and a capability, got ${describeValue(params)}`);
  }
}

function sendStartResending(ctx: ClientContext, params: StartResendingParams, options: RequestOptions | undefined): Observable<StartResendingResult> {
  const { readCap, writeCap, envelopeHash } = params;
  return ctx.requests.query({
    request: {
      type: 'start_resending_encrypted_message',
      readCap: readCap ?? null,
      writeCap: writeCap ?? null,
      messageBoxIndex: readCap !== undefined ? params.messageBoxIndex! : null,
      replyIndex: params.replyIndex ?? 0,
      envelopeDescriptor: params.envelopeDescriptor,
      messageCiphertext: params.messageCiphertext,
      envelopeHash,
      noRetryOnBoxIdNotFound: params.noRetryOnBoxIdNotFound ?? false,
      noIdempotentBoxAlreadyExists: params.noIdempotentBoxAlreadyExists ?? false,
    },
    replyType: 'start_resending_encrypted_message_reply',
    cancel: { type: 'cancel_resending_encrypted_message', envelopeHash },
    options,
    result: (reply) => {
      if (reply.errorCode !== 0) throw startResendingErrorFor(reply.errorCode, { request: 'start_resending_encrypted_message' });
      return redacted({ plaintext: reply.plaintext, courierIdentityHash: reply.courierIdentityHash, courierQueueId: reply.courierQueueId });
    },
  });
}

/**
 * Like {@link startResendingEncryptedMessage}, but a write to a box that
 * already holds different content fails with `BoxAlreadyExistsError`
 * instead of counting as success (one more round trip).
 */
export function startResendingEncryptedMessageReturnBoxExists(
  ctx: ClientContext,
  params: StartResendingParams,
  options?: RequestOptions,
): Observable<StartResendingResult> {
  return startResendingEncryptedMessage(ctx, withFlag(params, { noIdempotentBoxAlreadyExists: true }), options);
}

/**
 * Like {@link startResendingEncryptedMessage}, but a read of a box that
 * has not been written fails at once with `BoxIDNotFoundError` instead of
 * waiting for it (use it to poll).
 */
export function startResendingEncryptedMessageNoRetry(
  ctx: ClientContext,
  params: StartResendingParams,
  options?: RequestOptions,
): Observable<StartResendingResult> {
  return startResendingEncryptedMessage(ctx, withFlag(params, { noRetryOnBoxIdNotFound: true }), options);
}

/**
 * Stops the daemon's ARQ for the operation with this envelope hash. The
 * operation's own Observable then fails with `StartResendingCancelledError`.
 * Usually you do not need this: unsubscribing cancels. Emits once when the
 * daemon confirms (it confirms unknown hashes too).
 *
 * @example
 * await firstValueFrom(client.cancelResendingEncryptedMessage(envelope.envelopeHash));
 */
export function cancelResendingEncryptedMessage(ctx: ClientContext, envelopeHash: Uint8Array, options?: RequestOptions): Observable<void> {
  return withValidArguments(
    () => {
      checkBytes('envelopeHash', envelopeHash, { length: WireSizes.hash });
      checkRequestOptions(options);
    },
    () =>
      ctx.requests
        .query({
          request: { type: 'cancel_resending_encrypted_message', envelopeHash },
          replyType: 'cancel_resending_encrypted_message_reply',
          options,
          result: checkErrorCode,
        })
        .pipe(map(() => undefined)),
  );
}

/** `params` with a flag set; anything that is not an object is left for the checks to name. */
function withFlag(params: StartResendingParams, flag: Partial<StartResendingParams>): StartResendingParams {
  return params !== null && typeof params === 'object' ? { ...params, ...flag } : params;
}
