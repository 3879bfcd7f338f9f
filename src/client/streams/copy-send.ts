import { EMPTY, concatMap, defer, expand, last, map, of, toArray, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { WireSizes } from '../../wire/constants.js';
import type { ClientContext } from '../client-context.js';
import { checkCourier, startResendingCopyCommand } from '../pigeonhole/copy-command.js';
import { createCourierEnvelopesFromMultiPayload, createCourierEnvelopesFromTombstoneRange } from '../pigeonhole/copy-stream-envelopes.js';
import { newKeypair } from '../pigeonhole/new-keypair.js';
import type { CourierDestination } from '../pigeonhole/pigeonhole-types.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes, checkIndex, checkWriteCap } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkEnvelopeCount, checkRequestOptions, checkWindow } from '../validate-options.js';
import { withTimeout } from '../with-timeout.js';
import { indexChain } from './index-chain.js';
import { orderedWindow } from './ordered-window.js';
import { pigeonholeGeometry$ } from './pigeonhole-geometry.js';
import { write } from './write.js';
import type { SecretInput } from '../../wire/secret-bytes.js';

/** One destination of an atomic copy send. */
export interface CopyDestination {
  readonly writeCap: SecretInput;
  /** The first destination box to write. */
  readonly index: Uint8Array;
  readonly payload: Uint8Array;
}

/**
 * Options of {@link ThinClient.copySend} and {@link ThinClient.copyTombstones}.
 * `timeoutMs` bounds the whole call (packing, the temporary channel's
 * writes and the copy command), not each request in it.
 */
export interface CopySendOptions extends RequestOptions {
  /** Pin the copy command to this courier (e.g. distinct couriers per layer of a nested copy). */
  readonly courier?: CourierDestination;
  /** Temporary-channel boxes written concurrently (default 8). */
  readonly window?: number;
}

/**
 * Runs a copy stream: writes the elements, in order, to a fresh temporary
 * channel from its first index, then has a courier replay them
 * (`startResendingCopyCommand`). The temporary channel's seed comes from
 * the CSPRNG and never leaves this function.
 */
function runCopyStream(ctx: ClientContext, elements: readonly Uint8Array[], options: CheckedCopyOptions): Observable<void> {
  const { window } = options;
  return newKeypair(ctx, ctx.randomBytes(WireSizes.seed)).pipe(
    concatMap((temp) => {
      const indexAt = indexChain(ctx, temp.firstMessageIndex);
      const writes$ = orderedWindow(elements.length, window, (i) =>
        indexAt(i).pipe(concatMap((boxIndex) => write(ctx, temp.writeCap, boxIndex, elements[i]!))),
      );
      return writes$.pipe(
        toArray(),
        concatMap(() => startResendingCopyCommand(ctx, temp.writeCap, options.courier)),
      );
    }),
  );
}

/** The implementation of {@link ThinClient.copySend}, where it is documented. */
export function copySend(ctx: ClientContext, destinations: readonly CopyDestination[], options: CopySendOptions = {}): Observable<Uint8Array[]> {
  return withValidArguments(
    () => {
      if (!Array.isArray(destinations) || destinations.length === 0) throw new InvalidArgumentError('destinations', 'expected at least one destination');
      destinations.forEach((d, i) => {
        checkWriteCap(`destinations[${i}].writeCap`, d?.writeCap);
        checkIndex(`destinations[${i}].index`, d?.index);
        checkBytes(`destinations[${i}].payload`, d?.payload);
      });
      return checkCopyOptions(options);
    },
    (checked) => packAndCopy(ctx, destinations, checked).pipe(withTimeout('copySend', checked.timeoutMs, ctx.scheduler)),
  );
}

function packAndCopy(ctx: ClientContext, destinations: readonly CopyDestination[], options: CheckedCopyOptions): Observable<Uint8Array[]> {
  return pigeonholeGeometry$(ctx).pipe(
    concatMap((geometry) =>
      defer(() => {
        const chunk = geometry.maxPlaintextPayloadLength - 4;
        const piece = Math.floor(WireSizes.maxCopyPayload / chunk) * chunk;
        const calls = Math.max(1, ...destinations.map((d) => Math.ceil(d.payload.length / piece)));
        type Packing = { readonly call: number; readonly elements: Uint8Array[]; readonly buffer: Uint8Array | null; readonly indices: Uint8Array[] };
        const first: Packing = { call: 0, elements: [], buffer: null, indices: destinations.map((d) => d.index) };
        // One create call per 10 MiB piece of the longest payload, the residual buffer carried along.
        return of(first).pipe(
          expand((acc) =>
            acc.call === calls
              ? EMPTY
              : createCourierEnvelopesFromMultiPayload(
                  ctx,
                  destinations.map((d, i) => ({ payload: d.payload.subarray(acc.call * piece, (acc.call + 1) * piece), writeCap: d.writeCap, startIndex: acc.indices[i]! })),
                  acc.call === 0,
                  acc.call === calls - 1,
                  acc.buffer,
                ).pipe(
                  map((result): Packing => ({
                    call: acc.call + 1,
                    elements: acc.elements.concat(result.envelopes),
                    buffer: result.buffer,
                    indices: result.nextDestIndices ?? acc.indices,
                  })),
                ),
          ),
          last(),
          concatMap((packing) => runCopyStream(ctx, packing.elements, options).pipe(map(() => packing.indices))),
        );
      }),
    ),
  );
}

/** The implementation of {@link ThinClient.copyTombstones}, where it is documented. */
export function copyTombstones(ctx: ClientContext, writeCap: SecretInput, start: Uint8Array, count: number, options: CopySendOptions = {}): Observable<Uint8Array> {
  return withValidArguments(
    () => {
      checkWriteCap('writeCap', writeCap);
      checkIndex('start', start);
      checkEnvelopeCount('count', count);
      return checkCopyOptions(options);
    },
    (checked) =>
      createCourierEnvelopesFromTombstoneRange(ctx, writeCap, start, count, true, true, null).pipe(
        concatMap((result) => runCopyStream(ctx, result.envelopes, checked).pipe(map(() => result.nextDestIndex ?? start))),
        withTimeout('copyTombstones', checked.timeoutMs, ctx.scheduler),
      ),
  );
}

interface CheckedCopyOptions {
  readonly timeoutMs: number | undefined;
  readonly courier: CourierDestination | undefined;
  readonly window: number;
}

function checkCopyOptions(options: CopySendOptions | undefined): CheckedCopyOptions {
  const checked = checkRequestOptions(options);
  checkCourier(checked.courier);
  return { timeoutMs: checked.timeoutMs, courier: checked.courier, window: checkWindow(checked.window) };
}

