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

/**
 * Encrypts a write now — local cryptography, which works while the daemon
 * is offline as long as it has a PKI document — to transmit later with
 * {@link transmit}. The same prepared write can be transmitted again after
 * a crash: it is the same box with the same content, so the replica treats
 * the repeat as success.
 *
 * @example
 * const prepared = await firstValueFrom(client.prepareWrite(writeCap, index, text));
 * save(prepared); // your storage
 * index = prepared.nextMessageBoxIndex;
 */
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

/**
 * Waits until the daemon is connected to the mixnet, then sends a prepared
 * write; emits the index after its box. While offline nothing is sent (so
 * nothing piles up in the daemon's queue); `timeoutMs` bounds the whole
 * wait. Unsubscribing before it is sent sends nothing; after, it cancels.
 *
 * @example
 * await firstValueFrom(client.transmit(prepared));
 */
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

/** Emits once (then completes) as soon as the client is connected and the daemon online. */
export function whenOnline(ctx: ClientContext): Observable<void> {
  return ctx.state$.pipe(
    filter((state) => state.daemon === 'connected' && state.mixnet),
    take(1),
    map(() => undefined),
  );
}
