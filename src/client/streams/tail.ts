import { catchError, expand, filter, map, of, throwError, timer, type Observable } from 'rxjs';
import { BoxIDNotFoundError, TombstoneError } from '../../errors/replica-errors.js';
import { redacted } from '../../wire/redacted.js';
import type { ClientContext } from '../client-context.js';
import { nextMessageBoxIndex } from '../pigeonhole/message-box-index.js';
import type { RequestOptions } from '../request-engine.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkDelayMs } from '../validate-options.js';
import { checkReadArguments, readBox } from './read.js';

/** Options of {@link ThinClient.tail$}: the polling schedule while no new box is there. */
export interface TailOptions extends RequestOptions {
  /** First wait after a "not written yet" (default 1 s). */
  readonly initialDelayMs?: number;
  /** The wait doubles up to this (default 30 s). */
  readonly maxDelayMs?: number;
}

/** One box of a followed stream. */
export interface StreamMessage {
  /** The box's index. */
  readonly index: Uint8Array;
  /** The index after it: persist this as your read position once you have handled the message. */
  readonly nextIndex: Uint8Array;
  /** The box's plaintext (empty for a tombstone). */
  readonly plaintext: Uint8Array;
  /** The writer deleted this box. */
  readonly tombstone: boolean;
}

/**
 * Follows a stream from `index` forever, emitting each box as it is
 * written. Boxes already there are read back to back; then it polls with
 * no-retry reads — one read, and if the box is not there yet a wait of
 * `initialDelayMs`, doubling to `maxDelayMs`, reset by every new box —
 * instead of the daemon's endless retry, so an idle follower costs the
 * replicas one read per `maxDelayMs`. Each poll encrypts a fresh envelope:
 * couriers cache answers per envelope for minutes. Unsubscribing cancels
 * the read in flight.
 *
 * Why polling and not the daemon's retry: it costs the daemon less (an
 * idle minute measured on the real network, bench F4: 7.3 s of kpclientd
 * CPU polling at the default 30 s against 11.4 s for one daemon-side ARQ
 * read, which resends and decrypts a reply on every send slot), and the
 * daemon's retry resends the same envelope, which a v0.0.99 courier
 * re-dispatches to the replicas at most 5 times before answering from its
 * cache for up to 5 minutes (`maxRedispatchAttempts`, `DedupCacheTTL`):
 * a box written after that would be seen minutes late.
 *
 * @example
 * client.tail$(readCap, index).pipe(scan((list, m) => [...list, decode(m.plaintext)], [])).subscribe(render);
 */
export function tail$(ctx: ClientContext, readCap: Uint8Array, index: Uint8Array, options: TailOptions = {}): Observable<StreamMessage> {
  return withValidArguments(
    () => {
      const checked = checkReadArguments(readCap, index, options);
      const initial = checkDelayMs('options.initialDelayMs', checked.initialDelayMs, 1000);
      return { initial, max: Math.max(initial, checkDelayMs('options.maxDelayMs', checked.maxDelayMs, 30_000)) };
    },
    ({ initial, max }) => follow(ctx, readCap, index, initial, max, options),
  );
}

function follow(ctx: ClientContext, readCap: Uint8Array, index: Uint8Array, initial: number, max: number, options: TailOptions): Observable<StreamMessage> {
  type Step = { readonly index: Uint8Array; readonly delay: number; readonly message?: StreamMessage };

  const poll = (step: Step): Observable<Step> =>
    readBox(ctx, readCap, step.index, { ...options, noRetry: true }).pipe(
      map(({ plaintext, nextIndex }): Step => ({ index: nextIndex, delay: initial, message: redacted({ index: step.index, nextIndex, plaintext, tombstone: false }) })),
      catchError((error: unknown) => {
        if (error instanceof BoxIDNotFoundError) {
          return timer(step.delay, ctx.scheduler).pipe(map((): Step => ({ index: step.index, delay: Math.min(max, step.delay * 2) })));
        }
        if (error instanceof TombstoneError) {
          return nextMessageBoxIndex(ctx, step.index).pipe(
            map((nextIndex): Step => ({ index: nextIndex, delay: initial, message: redacted({ index: step.index, nextIndex, plaintext: new Uint8Array(0), tombstone: true }) })),
          );
        }
        return throwError(() => error);
      }),
    );

  return of<Step>({ index, delay: initial }).pipe(
    expand((step) => poll(step)),
    filter((step): step is Step & { message: StreamMessage } => step.message !== undefined),
    map((step) => step.message),
  );
}
