import { EMPTY, defer, expand, last, map, of, type Observable } from 'rxjs';
import { redacted } from '../../wire/redacted.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkIndex, checkWriteCap } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkEnvelopeCount, checkRequestOptions } from '../validate-options.js';
import { withTimeout } from '../with-timeout.js';
import { encryptWrite } from './encrypt.js';
import type { TombstoneEnvelope, TombstoneRangeResult } from './pigeonhole-types.js';
import type { SecretInput } from '../../wire/secret-bytes.js';

/** The implementation of {@link ThinClient.tombstoneRange}, where it is documented. */
export function tombstoneRange(
  ctx: ClientContext,
  writeCap: SecretInput,
  start: Uint8Array,
  maxCount: number,
  options?: RequestOptions,
): Observable<TombstoneRangeResult> {
  return withValidArguments(
    () => {
      checkWriteCap('writeCap', writeCap);
      checkIndex('start', start);
      checkEnvelopeCount('maxCount', maxCount);
      return checkRequestOptions(options);
    },
    ({ timeoutMs }) => {
      const empty = new Uint8Array(0);
      return defer(() => {
        const envelopes: TombstoneEnvelope[] = [];
        return of(start).pipe(
          expand((index) =>
            envelopes.length >= maxCount
              ? EMPTY
              : encryptWrite(ctx, empty, writeCap, index).pipe(
                  map(({ nextMessageBoxIndex, ...envelope }) => {
                    envelopes.push(redacted({ ...envelope, boxIndex: index }));
                    return nextMessageBoxIndex;
                  }),
                ),
          ),
          last(),
          map((next): TombstoneRangeResult => ({ envelopes, next })),
        );
      }).pipe(withTimeout('tombstoneRange', timeoutMs, ctx.scheduler));
    },
  );
}
