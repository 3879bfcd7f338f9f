import { Observable, type Subscriber, type Subscription } from 'rxjs';
import type { ClientContext } from '../client-context.js';
import { nextMessageBoxIndex } from '../pigeonhole/message-box-index.js';

/**
 * The indices `first`, next(first), next(next(first)) … computed on demand
 * with local `next_message_box_index` requests, each step once, so that
 * windowed operations can address box `i` without waiting for box `i − 1`
 * to be read or written.
 *
 * One loop extends the chain up to the highest index anyone asked for,
 * one request at a time; askers wait for their step. (A chain of piped
 * Observables would subscribe recursively through every step not yet
 * computed and overflow the stack for long streams.) If a step fails, the
 * error goes to everyone waiting and a later ask starts again from the
 * last index known. Steps go only as far as someone still waits: when the
 * last asker leaves, the step in flight is abandoned and nothing more is
 * asked of the daemon.
 */
export function indexChain(ctx: ClientContext, first: Uint8Array): (i: number) => Observable<Uint8Array> {
  const known: Uint8Array[] = [first];
  const waiting = new Map<number, Set<Subscriber<Uint8Array>>>();
  let step: Subscription | null = null;

  const settle = (i: number, index: Uint8Array): void => {
    const subscribers = waiting.get(i);
    waiting.delete(i);
    for (const subscriber of subscribers ?? []) {
      subscriber.next(index);
      subscriber.complete();
    }
  };

  /** The highest index someone still waits for (steps past it are not computed). */
  const target = (): number => Math.max(-1, ...waiting.keys());

  const extend = (): void => {
    if (step !== null || known.length > target()) return;
    let done = false;
    const subscription = nextMessageBoxIndex(ctx, known[known.length - 1]!).subscribe({
      next: (index) => {
        known.push(index);
        settle(known.length - 1, index);
      },
      error: (error: unknown) => {
        done = true;
        step = null;
        const failed = [...waiting.values()];
        waiting.clear();
        for (const subscribers of failed) for (const subscriber of subscribers) subscriber.error(error);
      },
      complete: () => {
        done = true;
        step = null;
        extend();
      },
    });
    // A step that finished synchronously has already moved on.
    if (!done) step = subscription;
  };

  return (i) =>
    new Observable<Uint8Array>((subscriber) => {
      const index = known[i];
      if (index !== undefined) {
        subscriber.next(index);
        subscriber.complete();
        return undefined;
      }
      let subscribers = waiting.get(i);
      if (!subscribers) waiting.set(i, (subscribers = new Set()));
      subscribers.add(subscriber);
      extend();
      return () => {
        subscribers.delete(subscriber);
        if (subscribers.size === 0 && waiting.get(i) === subscribers) waiting.delete(i);
        // Everyone left: stop extending (the step in flight is abandoned).
        if (waiting.size === 0 && step !== null) {
          const abandoned = step;
          step = null;
          abandoned.unsubscribe();
        }
      };
    });
}
