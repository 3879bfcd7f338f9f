import { EMPTY, ReplaySubject, Subscription, concat, concatMap, defer, finalize, map, of, take, type Observable } from 'rxjs';
import { DAEMON_FIFO_CAPACITY } from '../../core/daemon-fifo.js';
import { InvalidArgumentError, ProtocolError } from '../../errors/local-errors.js';
import type { ClientContext } from '../client-context.js';
import { encryptRead } from '../pigeonhole/encrypt.js';
import type { EncryptResult } from '../pigeonhole/pigeonhole-types.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkIndex, describeValue } from '../validate.js';
import { checkWindow } from '../validate-options.js';
import { indexChain } from './index-chain.js';
import { orderedWindow } from './ordered-window.js';
import { checkReadArguments, readBox, type ReadOptions } from './read.js';
import { MAX_STREAM_PAYLOAD, STREAM_HEADER_LENGTH, parseStreamHeader, streamBoxCount, streamBytesBefore } from './stream-framing.js';

/** Options of {@link ThinClient.readStream$} and {@link ThinClient.readStreamBoxes$}. */
export interface ReadStreamOptions extends ReadOptions {
  /**
   * Boxes read concurrently after the first (default 16, the depth of the
   * daemon's per-client queue). A read spends seconds in the daemon's
   * encryption and in two mixnet round trips, and a box is emitted only
   * after every box before it: fewer than 16 leaves the daemon idle
   * (measured: test spec/sim/stream-floor.spec.ts).
   */
  readonly window?: number;
  /**
   * Continue an interrupted read here instead of at the stream's first box:
   * the `resumeFrom` of the last {@link StreamBox} handled (`readStreamBoxes$`).
   * `index` is still the stream's first index.
   */
  readonly resumeFrom?: StreamReadPosition;
}

/** A box of a stream (see `writeStream$`): an index into the channel, counted from the stream's first box. */
export interface StreamPosition {
  /** 0-based box number within the stream. */
  readonly box: number;
  /** That box's message box index. */
  readonly index: Uint8Array;
}

/** Where an interrupted stream read continues: the box, and what the stream's first box said. */
export interface StreamReadPosition extends StreamPosition {
  /** The framed payload's length (from the first box's header). */
  readonly length: number;
  /** The stream's box size (the first box's plaintext length). */
  readonly boxSize: number;
}

/** One box of a stream as {@link ThinClient.readStreamBoxes$} emits it. */
export interface StreamBox {
  /** 0-based box number within the stream. */
  readonly box: number;
  readonly totalBoxes: number;
  /** Its payload bytes (the first box's without the 4-byte length header). */
  readonly data: Uint8Array;
  /** Where the read continues after this box: persist it to resume an interrupted read (`options.resumeFrom`). */
  readonly resumeFrom: StreamReadPosition;
}

/** The implementation of {@link ThinClient.readStream$}, where it is documented. */
export function readStream$(ctx: ClientContext, readCap: Uint8Array, index: Uint8Array, options: ReadStreamOptions = {}): Observable<Uint8Array> {
  return readStreamBoxes$(ctx, readCap, index, options).pipe(map((box) => box.data));
}

/** The implementation of {@link ThinClient.readStreamBoxes$}, where it is documented. */
export function readStreamBoxes$(ctx: ClientContext, readCap: Uint8Array, index: Uint8Array, options: ReadStreamOptions = {}): Observable<StreamBox> {
  return withValidArguments(
    () => {
      const checked = checkReadArguments(readCap, index, options);
      return { window: checkWindow(checked.window, DAEMON_FIFO_CAPACITY), resumeFrom: checkReadPosition(checked.resumeFrom) };
    },
    ({ window, resumeFrom }) =>
      defer(() => {
        if (resumeFrom !== undefined) return readRest(ctx, readCap, resumeFrom, window, options);
        const ahead = ReadAhead.start(ctx, readCap, index, Math.min(window, ctx.encryptionConnections));
        return readBox(ctx, readCap, index, options).pipe(
          concatMap((first) => {
            const { length, data } = parseStreamHeader(first.plaintext);
            // A one-box stream's box may be short; its size is then irrelevant.
            const position: StreamReadPosition = { box: 1, index: first.nextIndex, length, boxSize: Math.max(first.plaintext.length, STREAM_HEADER_LENGTH + 1) };
            const head: StreamBox = { box: 0, totalBoxes: totalBoxes(position), data, resumeFrom: position };
            return concat(of(head), readRest(ctx, readCap, position, window, options, ahead));
          }),
          finalize(() => ahead?.dispose()),
        );
      }),
  );
}

/**
 * The encryptions of boxes 1…`count` of a stream, started while its first
 * box is read. Until that box is back nobody knows how many boxes follow,
 * so no read can be sent — but with encryption connections the daemon's
 * cores would idle through the first box's round trips, and the first
 * reads of the rest would then each wait seconds for their encryption.
 * An envelope is only a local computation: one prepared for a box the
 * stream turns out not to have is simply never sent (its CPU is the whole
 * cost). Without encryption connections nothing is prepared: the
 * encryptions would queue on the main connection in front of the first
 * box's send.
 */
class ReadAhead implements Prepared {
  private readonly prepared = new Map<number, ReplaySubject<EncryptResult>>();
  private readonly running = new Subscription();

  /** Starts preparing boxes 1…`count` of the stream at `first`; undefined (nothing prepared) for 0. */
  static start(ctx: ClientContext, readCap: Uint8Array, first: Uint8Array, count: number): ReadAhead | undefined {
    return count > 0 ? new ReadAhead(ctx, readCap, indexChain(ctx, first), count) : undefined;
  }

  private constructor(ctx: ClientContext, readCap: Uint8Array, readonly indexAt: (box: number) => Observable<Uint8Array>, count: number) {
    for (let box = 1; box <= count; box++) {
      const result = new ReplaySubject<EncryptResult>(1);
      this.prepared.set(box, result);
      this.running.add(indexAt(box).pipe(concatMap((boxIndex) => encryptRead(ctx, readCap, boxIndex))).subscribe(result));
    }
  }

  /** The prepared encryption of `box` (once), or undefined. */
  envelope(box: number): Observable<EncryptResult> | undefined {
    const result = this.prepared.get(box);
    this.prepared.delete(box);
    return result?.pipe(take(1));
  }

  /** The stream is over: encryptions still running are abandoned. */
  dispose(): void {
    this.prepared.clear();
    this.running.unsubscribe();
  }
}

/** Boxes in a stream: the first (payload after the header), then whole boxes. */
function totalBoxes({ length, boxSize }: Pick<StreamReadPosition, 'length' | 'boxSize'>): number {
  return streamBoxCount(length, boxSize);
}

/** What a read from the stream's first box has ready for the rest: the index chain from box 0 (`indexAt(box)`), envelopes prepared ahead. */
interface Prepared {
  readonly indexAt: (box: number) => Observable<Uint8Array>;
  readonly envelope: (box: number) => Observable<EncryptResult> | undefined;
}

/** Boxes `from.box` … the last, with at most `window` reads in flight, in order. */
function readRest(ctx: ClientContext, readCap: Uint8Array, from: StreamReadPosition, window: number, options: ReadOptions, prepared?: Prepared): Observable<StreamBox> {
  const total = totalBoxes(from);
  if (from.box > total) throw new InvalidArgumentError('options.resumeFrom.box', `the stream has ${total} boxes, cannot resume at box ${from.box}`);
  if (from.box === total) return EMPTY;
  const { length, boxSize } = from;
  const chain = prepared === undefined ? indexChain(ctx, from.index) : undefined;
  const indexAt = (box: number) => (chain ? chain(box - from.box) : prepared!.indexAt(box));
  return orderedWindow(total - from.box, window, (i) => {
    const box = from.box + i;
    const expected = Math.min(boxSize, length - streamBytesBefore(box, boxSize, length));
    return indexAt(box).pipe(
      concatMap((boxIndex) => readBox(ctx, readCap, boxIndex, options, prepared?.envelope(box))),
      map(({ plaintext, nextIndex }): StreamBox => {
        if (plaintext.length < expected) throw new ProtocolError(`stream: box ${box} holds ${plaintext.length} bytes, expected ${expected}`);
        const data = plaintext.length === expected ? plaintext : plaintext.subarray(0, expected);
        return { box, totalBoxes: total, data, resumeFrom: { box: box + 1, index: nextIndex, length, boxSize } };
      }),
    );
  });
}

function checkReadPosition(position: unknown): StreamReadPosition | undefined {
  if (position === undefined) return undefined;
  if (position === null || typeof position !== 'object') throw new InvalidArgumentError('options.resumeFrom', `expected a StreamBox's resumeFrom, got ${describeValue(position)}`);
  const { box, index, length, boxSize } = position as Partial<StreamReadPosition>;
  if (typeof box !== 'number' || !Number.isSafeInteger(box) || box < 1) throw new InvalidArgumentError('options.resumeFrom.box', 'expected an integer of at least 1');
  checkIndex('options.resumeFrom.index', index);
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0 || length > MAX_STREAM_PAYLOAD) throw new InvalidArgumentError('options.resumeFrom.length', `expected an integer from 0 to ${MAX_STREAM_PAYLOAD}`);
  if (typeof boxSize !== 'number' || !Number.isSafeInteger(boxSize) || boxSize <= STREAM_HEADER_LENGTH) throw new InvalidArgumentError('options.resumeFrom.boxSize', `expected an integer above ${STREAM_HEADER_LENGTH}`);
  return position as StreamReadPosition;
}
