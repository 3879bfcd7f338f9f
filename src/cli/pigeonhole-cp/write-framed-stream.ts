import { EMPTY, concat, defer, expand, filter, map, mergeMap, of, scan, share, tap, type Observable } from 'rxjs';
import type { ThinClient } from '../../client/thin-client.js';
import { STREAM_HEADER_LENGTH, streamBox, streamBoxCount } from '../../client/streams/stream-framing.js';

/** Progress of {@link writeFramedStream}. */
export interface FramedWriteProgress {
  readonly boxesDone: number;
  readonly totalBoxes: number;
  /** Payload bytes whose boxes are written. */
  readonly bytesDone: number;
  readonly totalBytes: number;
  /** The index after the stream's last box; set on the final record (emitted after the last write). */
  readonly nextIndex: Uint8Array | null;
}

/**
 * Writes `payload` as one framed stream from `start` — byte for byte what
 * `ThinClient.writeStream` writes (4-byte length, then the payload cut into
 * boxes), so `readStream$` reads it back — with up to `window` boxes in
 * flight. Emits progress after every box, then a final record with the
 * index after the stream.
 *
 * Why not `writeStream` itself: in this SDK version `writeStream` asks for
 * the index after the last box on its first progress report, and its index
 * chain then subscribes through every not-yet-computed step recursively;
 * beyond roughly 1000 boxes (≈ 1.5 MB) that overflows the stack and the
 * transfer stalls without an error (reported to the lead with a fix for
 * `client/streams/index-chain.ts`). Here the indices are computed
 * iteratively (`expand`, one local request each) and run ahead of the
 * writes. Switch back once that is fixed.
 *
 * @example
 * const { nextIndex } = await lastValueFrom(writeFramedStream(client, writeCap, index, payload, 16));
 */
export function writeFramedStream(client: ThinClient, writeCap: Uint8Array, start: Uint8Array, payload: Uint8Array, window: number): Observable<FramedWriteProgress> {
  return defer(() => {
    const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength;
    const totalBoxes = streamBoxCount(payload.length, boxSize);
    let nextIndex: Uint8Array | null = null;
    // Box indices 0 … totalBoxes; the last one is not written: the next stream starts there.
    const chain$ = of({ i: 0, index: start }).pipe(
      expand((step) => (step.i < totalBoxes ? client.nextMessageBoxIndex(step.index).pipe(map((index) => ({ i: step.i + 1, index }))) : EMPTY)),
      tap((step) => {
        if (step.i === totalBoxes) nextIndex = step.index;
      }),
      share(),
    );
    const writes$ = chain$.pipe(
      filter((step) => step.i < totalBoxes),
      mergeMap((step) => {
        const box = streamBox(payload, boxSize, step.i);
        return client.write(writeCap, step.index, box).pipe(map(() => box.length - (step.i === 0 ? STREAM_HEADER_LENGTH : 0)));
      }, window),
      scan((acc, bytes) => ({ ...acc, boxesDone: acc.boxesDone + 1, bytesDone: acc.bytesDone + bytes }), {
        boxesDone: 0,
        totalBoxes,
        bytesDone: 0,
        totalBytes: payload.length,
        nextIndex: null as Uint8Array | null,
      }),
    );
    let lastProgress: FramedWriteProgress | null = null;
    return concat(
      writes$.pipe(tap((p) => (lastProgress = p))),
      // The writes complete only after the chain has (mergeMap waits for its source), so the index is known.
      defer(() => of({ ...lastProgress!, nextIndex })),
    );
  });
}
