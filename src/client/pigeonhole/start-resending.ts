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

/** The implementation of {@link ThinClient.startResendingEncryptedMessage}, where it is documented. */
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

/** The implementation of {@link ThinClient.startResendingEncryptedMessageReturnBoxExists}, where it is documented. */
export function startResendingEncryptedMessageReturnBoxExists(
  ctx: ClientContext,
  params: StartResendingParams,
  options?: RequestOptions,
): Observable<StartResendingResult> {
  return startResendingEncryptedMessage(ctx, withFlag(params, { noIdempotentBoxAlreadyExists: true }), options);
}

/** The implementation of {@link ThinClient.startResendingEncryptedMessageNoRetry}, where it is documented. */
export function startResendingEncryptedMessageNoRetry(
  ctx: ClientContext,
  params: StartResendingParams,
  options?: RequestOptions,
): Observable<StartResendingResult> {
  return startResendingEncryptedMessage(ctx, withFlag(params, { noRetryOnBoxIdNotFound: true }), options);
}

/** The implementation of {@link ThinClient.cancelResendingEncryptedMessage}, where it is documented. */
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
