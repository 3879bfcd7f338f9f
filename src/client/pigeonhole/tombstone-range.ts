import { EMPTY, defer, expand, last, map, of, type Observable } from 'rxjs';
import { WireSizes } from '../../wire/constants.js';
import { redacted } from '../../wire/redacted.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes, checkUint } from '../validate.js';
import { encryptWrite } from './encrypt.js';
import type { TombstoneEnvelope, TombstoneRangeResult } from './pigeonhole-types.js';

/**
 * Prepares tombstones (signed empty boxes) for `maxCount` consecutive boxes
 * from `start`; sends nothing. Dispatch each with
 * `startResendingEncryptedMessage({ writeCap, ...envelope })`.
 * Built from `encryptWrite` with an empty plaintext, one box after another.
 *
 * @example
 * const { envelopes, next } = await firstValueFrom(client.tombstoneRange(writeCap, index, 3));
 */
export function tombstoneRange(
  ctx: ClientContext,
  writeCap: Uint8Array,
  start: Uint8Array,
  maxCount: number,
  options?: RequestOptions,
): Observable<TombstoneRangeResult> {
  checkBytes('writeCap', writeCap, { length: WireSizes.writeCap });
  checkBytes('start', start, { length: WireSizes.messageBoxIndex });
  const count = Number(checkUint('maxCount', maxCount, 0xffff_ffffn));
  const empty = new Uint8Array(0);
  return defer(() => {
    const envelopes: TombstoneEnvelope[] = [];
    return of(start).pipe(
      expand((index) =>
        envelopes.length >= count
          ? EMPTY
          : encryptWrite(ctx, empty, writeCap, index, options).pipe(
              map(({ nextMessageBoxIndex, ...envelope }) => {
                envelopes.push(redacted({ ...envelope, boxIndex: index }));
                return nextMessageBoxIndex;
              }),
            ),
      ),
      last(),
      map((next): TombstoneRangeResult => ({ envelopes, next })),
    );
  });
}
