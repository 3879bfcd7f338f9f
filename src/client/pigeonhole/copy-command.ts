import { map, type Observable } from 'rxjs';
import { copyCommandErrorFor } from '../../errors/error-for-code.js';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { WireSizes } from '../../wire/constants.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes, checkWriteCap, describeValue } from '../validate.js';
import { revealSecret, type SecretInput } from '../../wire/secret-bytes.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions } from '../validate-options.js';
import type { CourierDestination } from './pigeonhole-types.js';
import { checkErrorCode } from './reply-checks.js';

/**
 * BLAKE2b-256 of a 168-byte write capability: the handle of a copy command
 * (`cancel_resending_copy_command.write_cap_hash`).
 */
export function writeCapHash(writeCap: SecretInput): Uint8Array {
  return blake2b256(revealSecret(checkWriteCap('writeCap', writeCap)));
}

/** The implementation of {@link ThinClient.startResendingCopyCommand}, where it is documented. */
export function startResendingCopyCommand(
  ctx: ClientContext,
  writeCap: SecretInput,
  courier?: CourierDestination,
  options?: RequestOptions,
): Observable<void> {
  return withValidArguments(
    () => {
      const hash = writeCapHash(writeCap);
      checkCourier(courier);
      checkRequestOptions(options);
      return hash;
    },
    (hash) =>
      ctx.requests
        .query({
          request: {
            type: 'start_resending_copy_command',
            writeCap,
            courierIdentityHash: courier?.courierIdentityHash ?? null,
            courierQueueId: courier?.courierQueueId ?? null,
          },
          replyType: 'start_resending_copy_command_reply',
          cancel: { type: 'cancel_resending_copy_command', writeCapHash: hash },
          options,
          result: (reply) => {
            if (reply.errorCode !== 0) throw copyCommandErrorFor(reply, { request: 'start_resending_copy_command' });
          },
        })
        .pipe(map(() => undefined)),
  );
}

/** An optional courier pin: absent, or a {@link CourierDestination} (from `getDistinctCouriers`). */
export function checkCourier(courier: unknown): void {
  if (courier === undefined) return;
  if (courier === null || typeof courier !== 'object') throw new InvalidArgumentError('courier', `expected a courier (from getDistinctCouriers), got ${describeValue(courier)}`);
  const { courierIdentityHash, courierQueueId } = courier as Partial<CourierDestination>;
  checkBytes('courier.courierIdentityHash', courierIdentityHash, { length: WireSizes.hash });
  checkBytes('courier.courierQueueId', courierQueueId, { min: 1, max: WireSizes.maxQueueId });
}

/** The implementation of {@link ThinClient.cancelResendingCopyCommand}, where it is documented. */
export function cancelResendingCopyCommand(ctx: ClientContext, hash: Uint8Array, options?: RequestOptions): Observable<void> {
  return withValidArguments(
    () => {
      checkBytes('writeCapHash', hash, { length: WireSizes.hash });
      checkRequestOptions(options);
    },
    () =>
      ctx.requests
        .query({
          request: { type: 'cancel_resending_copy_command', writeCapHash: hash },
          replyType: 'cancel_resending_copy_command_reply',
          options,
          result: checkErrorCode,
        })
        .pipe(map(() => undefined)),
  );
}
