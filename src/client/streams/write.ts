import { concatMap, map, type Observable } from 'rxjs';
import type { ClientContext } from '../client-context.js';
import { encryptWrite } from '../pigeonhole/encrypt.js';
import { startResendingEncryptedMessage } from '../pigeonhole/start-resending.js';
import type { RequestOptions } from '../request-engine.js';
import { checkIndex, checkPlaintext, checkWriteCap } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkFlag, checkRequestOptions } from '../validate-options.js';
import { withTimeout } from '../with-timeout.js';
import type { SecretInput } from '../../wire/secret-bytes.js';

/** Options of {@link ThinClient.write}. */
export interface WriteOptions extends RequestOptions {
  /** Fail with `BoxAlreadyExistsError` if the box holds other content (one more round trip). */
  readonly failIfBoxExists?: boolean;
}

/** The implementation of {@link ThinClient.write}, where it is documented. */
export function write(
  ctx: ClientContext,
  writeCap: SecretInput,
  index: Uint8Array,
  plaintext: Uint8Array,
  options: WriteOptions = {},
): Observable<Uint8Array> {
  return withValidArguments(
    () => {
      checkWriteCap('writeCap', writeCap);
      checkIndex('index', index);
      checkPlaintext(ctx, 'plaintext', plaintext);
      const checked = checkRequestOptions(options);
      return { timeoutMs: checked.timeoutMs, failIfBoxExists: checkFlag('options.failIfBoxExists', checked.failIfBoxExists) };
    },
    ({ timeoutMs, failIfBoxExists }) =>
      // The timeout covers the whole write, the encryption step included.
      encryptWrite(ctx, plaintext, writeCap, index).pipe(
        concatMap((envelope) =>
          startResendingEncryptedMessage(ctx, { writeCap, ...envelope, noIdempotentBoxAlreadyExists: failIfBoxExists }).pipe(
            map(() => envelope.nextMessageBoxIndex),
          ),
        ),
        withTimeout('write', timeoutMs, ctx.scheduler),
      ),
  );
}
