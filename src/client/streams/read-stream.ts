import { concat, concatMap, defer, map, of, type Observable } from 'rxjs';
import { ProtocolError } from '../../errors/local-errors.js';
import type { ClientContext } from '../client-context.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkWindow } from '../validate-options.js';
import { indexChain } from './index-chain.js';
import { orderedWindow } from './ordered-window.js';
import { checkReadArguments, readBox, type ReadOptions } from './read.js';
import { parseStreamHeader } from './stream-framing.js';

/** Options of {@link ThinClient.readStream$}. */
export interface ReadStreamOptions extends ReadOptions {
  /** Boxes read concurrently after the first (default 8). */
  readonly window?: number;
}

/**
 * Reads a framed payload (see `writeStream`) as an Observable of plaintext
 * chunks in order — one per box — and completes when the framed length
 * has arrived. The first box is read alone (its header says how many boxes
 * follow); the rest with at most `window` reads in flight, emitted in order.
 * Unsubscribing cancels every read in flight. A box not written yet is
 * waited for by the daemon (with `noRetry` the stream fails with
 * `BoxIDNotFoundError` instead); give `timeoutMs` to bound each box's wait.
 *
 * The box size is taken from the first box, so streams written with the
 * copy path (boxes of `MaxPlaintextPayloadLength − 4` bytes) read back too.
 *
 * @example
 * client.readStream$(readCap, index).pipe(scan((bytes, chunk) => bytes + chunk.length, 0)).subscribe(setProgress);
 */
export function readStream$(ctx: ClientContext, readCap: Uint8Array, index: Uint8Array, options: ReadStreamOptions = {}): Observable<Uint8Array> {
  return withValidArguments(
    () => checkWindow(checkReadArguments(readCap, index, options).window),
    (window) => readFramed(ctx, readCap, index, window, options),
  );
}

function readFramed(ctx: ClientContext, readCap: Uint8Array, index: Uint8Array, window: number, options: ReadOptions): Observable<Uint8Array> {
  return defer(() =>
    readBox(ctx, readCap, index, options).pipe(
      concatMap((first) => {
        const { length, data } = parseStreamHeader(first.plaintext);
        const remaining = length - data.length;
        if (remaining === 0) return of(data);
        const boxSize = first.plaintext.length;
        const restBoxes = Math.ceil(remaining / boxSize);
        const indexAt = indexChain(ctx, first.nextIndex);
        const rest$ = orderedWindow(restBoxes, window, (i) =>
          indexAt(i).pipe(
            concatMap((boxIndex) => readBox(ctx, readCap, boxIndex, options)),
            map(({ plaintext }) => {
              const expected = Math.min(boxSize, remaining - i * boxSize);
              if (plaintext.length < expected) throw new ProtocolError(`stream: box ${i + 1} holds ${plaintext.length} bytes, expected ${expected}`);
              return plaintext.length === expected ? plaintext : plaintext.subarray(0, expected);
            }),
          ),
        );
        return concat(of(data), rest$);
      }),
    ),
  );
}
