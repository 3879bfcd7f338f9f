import { Observable, type Subscriber } from 'rxjs';
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
 * last index known.
 */
export function indexChain(ctx: ClientContext, first: Uint8Array): (i: number) => Observable<Uint8Array> {
  const known: Uint8Array[] = [first];
  const waiting = new Map<number, Set<Subscriber<Uint8Array>>>();
  let target = 0;
  let extending = false;

  const settle = (i: number, index: Uint8Array): void => {
    for (const subscriber of waiting.get(i) ?? []) {
      subscriber.next(index);
      subscriber.complete();
    }
    waiting.delete(i);
  };

  const extend = (): void => {
    if (extending || known.length > target) return;
    extending = true;
    nextMessageBoxIndex(ctx, known[known.length - 1]!).subscribe({
      next: (index) => {
        known.push(index);
        settle(known.length - 1, index);
      },
      error: (error: unknown) => {
        extending = false;
        target = known.length - 1;
        const failed = [...waiting.values()];
        waiting.clear();
        for (const subscribers of failed) for (const subscriber of subscribers) subscriber.error(error);
      },
      complete: () => {
        extending = false;
        extend();
      },
    });
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
      target = Math.max(target, i);
      extend();
      return () => {
        subscribers.delete(subscriber);
      };
    });
}
