import { concatMap, of, shareReplay, type Observable } from 'rxjs';
import type { ClientContext } from '../client-context.js';
import { nextMessageBoxIndex } from '../pigeonhole/message-box-index.js';

/**
 * The indices `first`, next(first), next(next(first)) … computed on demand
 * with local `next_message_box_index` requests, each step once, so that
 * windowed operations can address box `i` without waiting for box `i − 1`
 * to be read or written.
 */
export function indexChain(ctx: ClientContext, first: Uint8Array): (i: number) => Observable<Uint8Array> {
  const steps = new Map<number, Observable<Uint8Array>>([[0, of(first)]]);
  const at = (i: number): Observable<Uint8Array> => {
    let step = steps.get(i);
    if (!step) {
      // Built iteratively from the highest known step, so a far index does not recurse deeply.
      let known = i - 1;
      while (!steps.has(known)) known--;
      for (let k = known + 1; k <= i; k++) {
        steps.set(k, steps.get(k - 1)!.pipe(concatMap((index) => nextMessageBoxIndex(ctx, index)), shareReplay(1)));
      }
      step = steps.get(i)!;
    }
    return step;
  };
  return at;
}
