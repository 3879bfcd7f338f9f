import { concatMap, defer, forkJoin, map, mergeMap, of, range, type Observable } from 'rxjs';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes, checkIndex, checkWriteCap, describeValue } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions, checkWindow } from '../validate-options.js';
import { indexChain } from './index-chain.js';
import { pigeonholeGeometry$ } from './pigeonhole-geometry.js';
import type { StreamPosition } from './read-stream.js';
import { MAX_STREAM_PAYLOAD, STREAM_HEADER_LENGTH, streamBox, streamBoxCount, streamBytesBefore } from './stream-framing.js';
import { write } from './write.js';
import type { SecretInput } from '../../wire/secret-bytes.js';

/** Options of {@link ThinClient.writeStream$}. */
export interface WriteStreamOptions extends RequestOptions {
  /** Boxes written concurrently (default 8). Each is an independent request through a random courier. */
  readonly window?: number;
  /**
   * Continue an interrupted write here: the `resumeFrom` of its last
   * progress (every box before it is confirmed). `index` is still the
   * stream's first index and `payload` the same payload.
   */
  readonly resumeFrom?: StreamPosition;
}

/** Progress of a {@link ThinClient.writeStream$}: emitted after each box. */
export interface WriteStreamProgress {
  readonly boxesDone: number;
  readonly totalBoxes: number;
  /** Payload bytes whose boxes are written (the header not counted). */
  readonly bytesDone: number;
  readonly totalBytes: number;
  /**
   * The index after the stream's last box: where the next write goes. Set
   * on the last progress; null before it, because computing it means
   * stepping the index once per box, and progress must not wait for that.
   */
  readonly nextIndex: Uint8Array | null;
  /**
   * The first box not yet confirmed (every box before it is): persist it
   * to resume an interrupted write there (`options.resumeFrom`). Boxes
   * finish out of order, so it trails `boxesDone` by up to `window`.
   */
  readonly resumeFrom: StreamPosition;
}

/** The implementation of {@link ThinClient.writeStream$}, where it is documented. */
export function writeStream$(
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
      const checked = checkRequestOptions(options);
      return { window: checkWindow(checked.window), resumeFrom: checkWritePosition(checked.resumeFrom) ?? { box: 0, index } };
    },
    ({ window, resumeFrom }) => writeFramed(ctx, writeCap, payload, window, resumeFrom, options),
  );
}

function writeFramed(
  ctx: ClientContext,
  writeCap: SecretInput,
  payload: Uint8Array,
  window: number,
  from: StreamPosition,
  options: WriteStreamOptions,
): Observable<WriteStreamProgress> {
  return pigeonholeGeometry$(ctx).pipe(
    concatMap((geometry) =>
      defer(() => {
        const boxSize = geometry.maxPlaintextPayloadLength;
        if (boxSize <= STREAM_HEADER_LENGTH) throw new InvalidArgumentError('geometry', `box size ${boxSize} is too small for a stream`);
        const totalBoxes = streamBoxCount(payload.length, boxSize);
        if (from.box > totalBoxes) throw new InvalidArgumentError('options.resumeFrom.box', `the stream has ${totalBoxes} boxes, cannot resume at box ${from.box}`);
        if (from.box === totalBoxes) {
          // Everything was confirmed before the interruption: one progress, so that callers still see the end.
          return of({ boxesDone: totalBoxes, totalBoxes, bytesDone: payload.length, totalBytes: payload.length, nextIndex: from.index, resumeFrom: from });
        }
        const chain = indexChain(ctx, from.index);
        const indexAt = (box: number) => chain(box - from.box);
        const payloadBytes = (box: number) => streamBox(payload, boxSize, box).length - (box === 0 ? STREAM_HEADER_LENGTH : 0);
        // Boxes finish in any order: `confirmed` is the first box not yet known written.
        const finished = new Set<number>();
        let confirmed = from.box;
        let bytesDone = streamBytesBefore(from.box, boxSize, payload.length);
        // Writes finish in any order, so a plain concurrency limit is enough (no
        // sliding window: a slow box must not hold back the ones after it).
        const boxes$ = range(from.box, totalBoxes - from.box).pipe(
          mergeMap(
            (i) => indexAt(i).pipe(concatMap((boxIndex) => write(ctx, writeCap, boxIndex, streamBox(payload, boxSize, i), options).pipe(map(() => i)))),
            window,
          ),
        );
        return boxes$.pipe(
          map((i, n) => {
            finished.add(i);
            while (finished.delete(confirmed)) confirmed++;
            bytesDone += payloadBytes(i);
            return { boxesDone: from.box + n + 1, totalBoxes, bytesDone, totalBytes: payload.length, confirmed };
          }),
          // Each progress reports the index of its first unconfirmed box (known
          // already but when every started box is done), the last one also
          // the index after the stream. mergeMap, not concatMap: progress can
          // pile up waiting for the index chain, and concatMap would then
          // subscribe the waiting (synchronous) inners recursively — a stack
          // overflow for streams of a thousand boxes or more. Waiters of the
          // chain are settled in the order they asked, so the order is kept.
          mergeMap(({ confirmed: box, ...progress }) =>
            forkJoin([indexAt(box), progress.boxesDone === totalBoxes ? indexAt(totalBoxes) : of(null)]).pipe(
              map(([resumeIndex, nextIndex]) => ({ ...progress, nextIndex, resumeFrom: { box, index: resumeIndex } })),
            ),
          ),
        );
      }),
    ),
  );
}

function checkWritePosition(position: unknown): StreamPosition | undefined {
  if (position === undefined) return undefined;
  if (position === null || typeof position !== 'object') throw new InvalidArgumentError('options.resumeFrom', `expected a progress's resumeFrom, got ${describeValue(position)}`);
  const { box, index } = position as Partial<StreamPosition>;
  if (typeof box !== 'number' || !Number.isSafeInteger(box) || box < 0) throw new InvalidArgumentError('options.resumeFrom.box', 'expected a non-negative integer');
  checkIndex('options.resumeFrom.index', index);
  return position as StreamPosition;
}
