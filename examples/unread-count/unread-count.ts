/**
 * A small piece of application logic built on the SDK — the unread-message
 * badge of a chat UI — to show how an app tests its own code with
 * `katzenpost-rx/testing` (see marbles/app/unread-count.marble.ts).
 */
import { map, merge, scan, startWith, type Observable } from 'rxjs';
import type { ThinClient } from 'katzenpost-rx';

/**
 * How many messages arrived on the channel since the user last looked:
 * +1 for each new box `tail$` delivers, back to 0 on each `markRead$`.
 *
 * @example
 * unreadCount$(client, readCap, lastReadIndex, clicks$).subscribe((n) => (badge.textContent = String(n)));
 */
export function unreadCount$(client: ThinClient, readCap: Uint8Array, from: Uint8Array, markRead$: Observable<unknown>): Observable<number> {
  const arrived$ = client.tail$(readCap, from).pipe(map(() => 'arrived' as const));
  const read$ = markRead$.pipe(map(() => 'read' as const));
  return merge(arrived$, read$).pipe(
    scan((unread, event) => (event === 'arrived' ? unread + 1 : 0), 0),
    startWith(0),
  );
}
