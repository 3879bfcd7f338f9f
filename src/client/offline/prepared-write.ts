import { concatMap, filter, map, take, type Observable } from 'rxjs';
import { WireSizes } from '../../wire/constants.js';
import { redacted } from '../../wire/redacted.js';
import type { ClientContext } from '../client-context.js';
import { encryptWrite } from '../pigeonhole/encrypt.js';
import type { EncryptResult } from '../pigeonhole/pigeonhole-types.js';
import { startResendingEncryptedMessage } from '../pigeonhole/start-resending.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes, checkIndex, checkPlaintext, checkSecret, checkWriteCap, describeValue } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { withTimeout } from '../with-timeout.js';
import { checkRequestOptions } from '../validate-options.js';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { SecretBytes, type SecretInput } from '../../wire/secret-bytes.js';

/**
 * A write encrypted ahead of time: everything needed to transmit it later,
 * even from another process. Holds secrets — the write cap and the
 * envelope descriptor, as `SecretBytes` that never print. To persist it,
 * store their `exposeBytes()` (as carefully as the cap) next to the other
 * fields; `transmit` takes them back as plain bytes or `SecretBytes.from(…)`.
 */
export interface PreparedWrite extends EncryptResult {
  readonly writeCap: SecretBytes;
  /** The box it writes. */
  readonly index: Uint8Array;
}

/** The implementation of {@link ThinClient.prepareWrite}, where it is documented. */
export function prepareWrite(ctx: ClientContext, writeCap: SecretInput, index: Uint8Array, plaintext: Uint8Array, options?: RequestOptions): Observable<PreparedWrite> {
  return withValidArguments(
    () => {
      checkWriteCap('writeCap', writeCap);
      checkIndex('index', index);
      checkPlaintext(ctx, 'plaintext', plaintext);
      checkRequestOptions(options);
    },
    () => encryptWrite(ctx, plaintext, writeCap, index, options).pipe(map((envelope) => redacted({ ...envelope, writeCap: SecretBytes.from(writeCap), index }))),
  );
}

/** The implementation of {@link ThinClient.transmit}, where it is documented. */
export function transmit(ctx: ClientContext, prepared: PreparedWrite, options?: RequestOptions): Observable<Uint8Array> {
  return withValidArguments(
    () => {
      checkPreparedWrite(prepared);
      checkRequestOptions(options);
    },
    () => transmitWhenOnline(ctx, prepared, options),
  );
}

/** A {@link PreparedWrite} as `prepareWrite` made it (or as restored from storage). */
export function checkPreparedWrite(prepared: unknown): void {
  if (prepared === null || typeof prepared !== 'object') throw new InvalidArgumentError('prepared', `expected a prepared write (from prepareWrite), got ${describeValue(prepared)}`);
  const { writeCap, messageCiphertext, envelopeDescriptor, envelopeHash, nextMessageBoxIndex } = prepared as Partial<PreparedWrite>;
  checkWriteCap('prepared.writeCap', writeCap);
  checkBytes('prepared.messageCiphertext', messageCiphertext, { min: 1 });
  checkSecret('prepared.envelopeDescriptor', envelopeDescriptor, { min: 1 });
  checkBytes('prepared.envelopeHash', envelopeHash, { length: WireSizes.hash });
  checkIndex('prepared.nextMessageBoxIndex', nextMessageBoxIndex);
}

function transmitWhenOnline(ctx: ClientContext, prepared: PreparedWrite, options: RequestOptions | undefined): Observable<Uint8Array> {
  return whenOnline(ctx).pipe(
    concatMap(() =>
      startResendingEncryptedMessage(
        ctx,
        {
          writeCap: prepared.writeCap,
          messageCiphertext: prepared.messageCiphertext,
          envelopeDescriptor: prepared.envelopeDescriptor,
          envelopeHash: prepared.envelopeHash,
        },
      ),
    ),
    map(() => prepared.nextMessageBoxIndex),
    // The wait for the mixnet counts too (as documented), not only the write.
    withTimeout('transmit', options?.timeoutMs, ctx.scheduler),
  );
}

/** The implementation of {@link ThinClient.whenOnline}, where it is documented. */
export function whenOnline(ctx: ClientContext): Observable<void> {
  return ctx.state$.pipe(
    filter((state) => state.daemon === 'connected' && state.mixnet),
    take(1),
    map(() => undefined),
  );
}
