import { concatMap, defer, map, mergeMap, range, scan, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes, checkIndex, checkWriteCap } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions, checkWindow } from '../validate-options.js';
import { indexChain } from './index-chain.js';
import { pigeonholeGeometry$ } from './pigeonhole-geometry.js';
import { MAX_STREAM_PAYLOAD, STREAM_HEADER_LENGTH, streamBox, streamBoxCount } from './stream-framing.js';
import { write } from './write.js';
import type { SecretInput } from '../../wire/secret-bytes.js';

/** Options of {@link ThinClient.writeStream}. */
export interface WriteStreamOptions extends RequestOptions {
  /** Boxes written concurrently (default 8). Each is an independent request through a random courier. */
  readonly window?: number;
}

/** Progress of a {@link ThinClient.writeStream}: emitted after each box. */
export interface WriteStreamProgress {
  readonly boxesDone: number;
  readonly totalBoxes: number;
  /** Payload bytes whose boxes are written (the header not counted). */
  readonly bytesDone: number;
  readonly totalBytes: number;
  /** The index after the stream's last box: where the next write goes. */
  readonly nextIndex: Uint8Array;
}

/**
 * Writes a payload of any size (up to 4 GiB) across consecutive boxes from
 * `index`, framed with a 4-byte big-endian length so a reader knows where
 * it ends (`readStream$`). Up to `window` boxes are in flight at once, each
 * an independent single-box write (the daemon's old stream API was removed
 * because one courier could link the boxes of a transfer; this one spreads
 * them over randomly chosen couriers). Emits progress after every box and
 * completes when all are written; unsubscribing cancels those in flight.
 *
 * @example
 * client.writeStream(writeCap, index, fileBytes).subscribe((p) => bar.update(p.boxesDone / p.totalBoxes));
 */
export function writeStream(
  ctx: ClientContext,
  writeCap: SecretInput,
  index: Uint8Array,
  payload: Uint8Array,
  options: WriteStreamOptions = {},
): Observable<WriteStreamProgress> {
  return withValidArguments(
    () => {
      checkWriteCap('writeCap', writeCap);
      checkIndex('index', index);
      checkBytes('payload', payload, { max: MAX_STREAM_PAYLOAD });
      return checkWindow(checkRequestOptions(options).window);
    },
    (window) => writeFramed(ctx, writeCap, index, payload, window, options),
  );
}

function writeFramed(ctx: ClientContext, writeCap: SecretInput, index: Uint8Array, payload: Uint8Array, window: number, options: WriteStreamOptions): Observable<WriteStreamProgress> {
  return pigeonholeGeometry$(ctx).pipe(
    concatMap((geometry) =>
      defer(() => {
        const boxSize = geometry.maxPlaintextPayloadLength;
        if (boxSize <= STREAM_HEADER_LENGTH) throw new InvalidArgumentError('geometry', `box size ${boxSize} is too small for a stream`);
        const totalBoxes = streamBoxCount(payload.length, boxSize);
        const indexAt = indexChain(ctx, index);
        // Writes finish in any order, so a plain concurrency limit is enough (no
        // sliding window: a slow box must not hold back the ones after it).
        const boxes$ = range(0, totalBoxes).pipe(
          mergeMap(
            (i) => indexAt(i).pipe(concatMap((boxIndex) => write(ctx, writeCap, boxIndex, streamBox(payload, boxSize, i), options).pipe(map(() => i)))),
            window,
          ),
        );
        return boxes$.pipe(
          scan((bytesDone, i) => bytesDone + streamBox(payload, boxSize, i).length - (i === 0 ? STREAM_HEADER_LENGTH : 0), 0),
          map((bytesDone, n) => ({ boxesDone: n + 1, totalBoxes, bytesDone, totalBytes: payload.length })),
          // mergeMap, not concatMap: progress piles up while the index chain
          // is still being computed, and concatMap would then subscribe the
          // waiting (synchronous) inners recursively — a stack overflow for
          // streams of a thousand boxes or more. Waiters of one index are
          // settled in the order they asked, so the order is kept.
          mergeMap((progress) => indexAt(totalBoxes).pipe(map((nextIndex) => ({ ...progress, nextIndex })))),
        );
      }),
    ),
  );
}
