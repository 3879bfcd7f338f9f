import { filter, map, take, type Observable } from 'rxjs';
import type { PigeonholeGeometry } from '../../wire/messages.js';
import type { ClientContext } from '../client-context.js';

/**
 * The Pigeonhole geometry, as soon as the daemon has sent it: at once when
 * connected, after the handshake otherwise — so stream operations started
 * before `connect()` resolves simply wait for it.
 */
export function pigeonholeGeometry$(ctx: ClientContext): Observable<PigeonholeGeometry> {
  return ctx.state$.pipe(
    map((state) => state.pigeonholeGeometry),
    filter((geometry): geometry is PigeonholeGeometry => geometry !== null),
    take(1),
  );
}
