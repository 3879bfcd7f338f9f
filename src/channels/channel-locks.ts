import { AsyncSubject, concatMap, defer, finalize, forkJoin, map, of, type Observable } from 'rxjs';

/**
 * Serialises work per channel name, in subscription order: preparing a
 * send reads the end of the channel's outbox chain, encrypts for it and
 * queues there, and two of those interleaved on one channel would reserve
 * the same box (the journal's compare-and-set would then fail one with
 * `StoreConflictError`).
 *
 * A holder releases its names when its work completes, fails or is
 * unsubscribed — but never before the holders it waited for have released
 * theirs, so the order stays one global order. Taking several names
 * registers on all of them at once, so waiters cannot deadlock.
 *
 * @example
 * locks.hold$(['inbox'], () => prepare$('inbox'));
 */
export class ChannelLocks {
  private readonly held = new Map<string, AsyncSubject<void>>();

  hold$<T>(names: readonly string[], work: () => Observable<T>): Observable<T> {
    return defer(() => {
      const unique = [...new Set(names)];
      const before = [...new Set(unique.flatMap((name) => this.held.get(name) ?? []))];
      const released = new AsyncSubject<void>();
      for (const name of unique) this.held.set(name, released);
      const ready$ = before.length === 0 ? of(undefined) : forkJoin(before).pipe(map(() => undefined));
      const release = (): void => {
        ready$.subscribe(() => {
          for (const name of unique) if (this.held.get(name) === released) this.held.delete(name);
          released.next();
          released.complete();
        });
      };
      return ready$.pipe(
        concatMap(work),
        finalize(release),
      );
    });
  }
}
