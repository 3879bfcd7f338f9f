import { Observable, type Subscription } from 'rxjs';
import { ProtocolError } from '../../errors/local-errors.js';

/**
 * Runs `task(0)`, `task(1)` … `task(count − 1)` with at most `window` of
 * them unfinished at any time, and emits their values in index order.
 *
 * The window slides over the sequence, not just over concurrency: task `i`
 * starts only once every task before `i − window` has been emitted, so no
 * more than `window` results are ever held back waiting for a slow
 * earlier one. Unsubscribing (or an error) unsubscribes every running task.
 */
export function orderedWindow<T>(count: number, window: number, task: (i: number) => Observable<T>): Observable<T> {
  return new Observable<T>((subscriber) => {
    const results = new Map<number, T>();
    const running = new Map<number, Subscription>();
    let nextToEmit = 0;
    let nextToStart = 0;
    let draining = false;

    const drain = (): void => {
      if (draining) return; // re-entered from a synchronous task: the outer loop continues
      draining = true;
      for (;;) {
        while (results.has(nextToEmit)) {
          const value = results.get(nextToEmit) as T;
          results.delete(nextToEmit);
          nextToEmit++;
          subscriber.next(value);
        }
        if (nextToEmit === count) {
          subscriber.complete();
          break;
        }
        if (subscriber.closed || nextToStart >= count || nextToStart >= nextToEmit + window) break;
        start(nextToStart++);
      }
      draining = false;
    };

    const start = (i: number): void => {
      let settled = false;
      const subscription = task(i).subscribe({
        next: (value) => {
          if (!results.has(i) && i >= nextToEmit) results.set(i, value);
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          settled = true;
          running.delete(i);
          if (!results.has(i) && i >= nextToEmit) subscriber.error(new ProtocolError(`task ${i} completed without a value`));
          else drain();
        },
      });
      if (!settled) running.set(i, subscription);
    };

    drain();
    return () => {
      for (const subscription of running.values()) subscription.unsubscribe();
      running.clear();
    };
  });
}
