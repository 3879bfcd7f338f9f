import { BehaviorSubject, Subject, catchError, defer, map, mergeMap, of, tap, type Observable, type Subscription } from 'rxjs';
import type { ClientContext } from '../client-context.js';
import { checkCount } from '../validate.js';
import { checkPreparedWrite, transmit, type PreparedWrite } from './prepared-write.js';

/** What became of one write of an {@link Outbox}. */
export type OutboxResult =
  | { readonly status: 'sent'; readonly prepared: PreparedWrite; readonly nextIndex: Uint8Array }
  | { readonly status: 'failed'; readonly prepared: PreparedWrite; readonly error: unknown };

/**
 * Writes prepared while offline (or any time), transmitted in the order
 * they were added as soon as the daemon is online — the how-to guide's
 * "prepare operations offline", without a polling loop.
 *
 * In memory: to survive a restart, persist `pending` (see the channel layer
 * for a durable outbox) and `add` them again on start.
 *
 * @example
 * const outbox = client.createOutbox();
 * outbox.results$.subscribe((r) => r.status === 'sent' && saveIndex(r.nextIndex));
 * outbox.add(await firstValueFrom(client.prepareWrite(writeCap, index, text)));
 */
export class Outbox {
  private readonly queue = new Subject<PreparedWrite>();
  private readonly waiting = new BehaviorSubject<readonly PreparedWrite[]>([]);
  private readonly resultsSubject = new Subject<OutboxResult>();
  private readonly subscription: Subscription;

  /** Every write's outcome, in completion order (hot). */
  readonly results$: Observable<OutboxResult> = this.resultsSubject.asObservable();
  /** The writes not yet confirmed, as they change (replays the current list). */
  readonly pending$: Observable<readonly PreparedWrite[]> = this.waiting.asObservable();

  /** @internal Made by `client.createOutbox()`. */
  constructor(
    ctx: ClientContext,
    /** Writes in flight at once when online: an integer from 1 (the default: strictly in order) to 1024. */
    concurrency = 1,
  ) {
    checkCount('concurrency', concurrency, 1024);
    const run = (prepared: PreparedWrite) =>
      defer(() => transmit(ctx, prepared)).pipe(
        map((nextIndex): OutboxResult => ({ status: 'sent', prepared, nextIndex })),
        catchError((error: unknown) => of<OutboxResult>({ status: 'failed', prepared, error })),
        tap((result) => {
          this.done(prepared);
          this.resultsSubject.next(result);
        }),
      );
    this.subscription = this.queue.pipe(mergeMap(run, concurrency)).subscribe();
  }

  /** The writes not yet confirmed, oldest first (to persist). */
  get pending(): readonly PreparedWrite[] {
    return this.waiting.value;
  }

  /** Queues a prepared write. */
  add(prepared: PreparedWrite): void {
    checkPreparedWrite(prepared);
    this.waiting.next([...this.waiting.value, prepared]);
    this.queue.next(prepared);
  }

  /** Stops transmitting (in-flight writes are cancelled); `pending` keeps what was not confirmed. */
  close(): void {
    this.subscription.unsubscribe();
    this.resultsSubject.complete();
  }

  private done(prepared: PreparedWrite): void {
    this.waiting.next(this.waiting.value.filter((p) => p !== prepared));
  }
}
