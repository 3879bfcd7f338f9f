import { catchError, concatMap, defer, finalize, map, of, type Observable, type SchedulerLike } from 'rxjs';
import type { Logger } from '../core/logger.js';
import type { Session } from '../core/session.js';
import type { RequestKind, ResponseKind } from '../wire/messages.js';
import { RequestEngine, type QuerySpec } from './request-engine.js';

/** Something requests can be sent through: the client's own engine, or {@link EncryptionConnections}. */
export interface QueryTarget {
  query<K extends RequestKind, RK extends ResponseKind, R>(spec: QuerySpec<K, RK, R>): Observable<R>;
}

interface Helper {
  readonly session: Session;
  readonly engine: RequestEngine;
  /** Our requests on it not answered yet (the least busy connection gets the next). */
  busy: number;
  /** Its first connect failed: its requests go to the main connection. */
  broken: boolean;
}

/**
 * Extra connections to the daemon that carry only the CPU-heavy local
 * requests, `encrypt_read` and `encrypt_write`.
 *
 * Why: kpclientd computes a local request *inline on the reader of the
 * connection it came on* (`incoming_conn.go`: `localDispatch`), seconds of
 * CTIDH work each. On one connection the encryptions therefore run one at a
 * time — one core, however many the daemon's machine has — and every
 * request written after one, a `start_resending_*` or a cancel too, is not
 * even read until it is done. Spread over connections of their own, the
 * encryptions run on as many cores as there are connections, and the main
 * connection keeps reading. An envelope is a pure function of its request
 * (the daemon keeps nothing of it), so an envelope made on one connection
 * is sent on another.
 *
 * Each helper is a session of its own (its own instance token), connected
 * on first use and closed with the client. It never carries a mixnet
 * request, so the daemon's FIFO and every ARQ stay with the main session;
 * a local request lost with a helper's connection is resent by that
 * session after it reconnects (as on the main one). A helper whose first
 * connection fails is not used again: its requests go to the main
 * connection, which is where they would be without helpers.
 *
 * @example
 * const encryptions = new EncryptionConnections(2, () => newSession(), scheduler, undefined, main, () => false, logger);
 * encryptions.query({ request: { type: 'encrypt_read', readCap, messageBoxIndex }, replyType: 'encrypt_read_reply', result: (r) => r });
 */
export class EncryptionConnections implements QueryTarget {
  private readonly helpers: Helper[];

  constructor(
    count: number,
    newSession: () => Session,
    scheduler: SchedulerLike,
    defaultTimeoutMs: number | undefined,
    private readonly main: QueryTarget,
    /** Whether the client is idle (before `connect()`, after `disconnect()`): then requests go to `main`, which refuses them. */
    private readonly mainIdle: () => boolean,
    private readonly logger: Logger,
  ) {
    this.helpers = Array.from({ length: count }, () => {
      const session = newSession();
      return { session, engine: new RequestEngine(session, scheduler, defaultTimeoutMs), busy: 0, broken: false };
    });
  }

  /** Sends the request on the least busy helper (connecting it first if needed), or on the main connection. */
  query<K extends RequestKind, RK extends ResponseKind, R>(spec: QuerySpec<K, RK, R>): Observable<R> {
    return defer(() => {
      const helper = this.mainIdle() ? undefined : this.leastBusy();
      if (helper === undefined) return this.main.query(spec);
      helper.busy++;
      return this.connected(helper).pipe(
        concatMap((usable) => (usable ? helper.engine.query(spec) : this.main.query(spec))),
        finalize(() => helper.busy--),
      );
    });
  }

  /** Requests not over yet on the helpers. */
  get pendingCount(): number {
    return this.helpers.reduce((n, helper) => n + helper.engine.pendingCount, 0);
  }

  /** The client pauses (`disconnect()`): helpers close their sockets too, keeping their sessions and their requests. */
  disconnect(): void {
    for (const helper of this.helpers) helper.session.disconnect();
  }

  /**
   * The client connects again (`connect()`): helpers holding requests from
   * before `disconnect()` reconnect now, beside the main connection
   * (resuming their sessions), so those requests complete instead of
   * waiting for a next use; the others reconnect on their next use.
   */
  resume(): void {
    for (const helper of this.helpers) {
      if (!helper.broken && helper.engine.pendingCount > 0) helper.session.connect().subscribe({ error: () => undefined });
    }
  }

  /** Closes every helper (`thin_close`): requests on them fail with `ClientClosedError`. */
  close(): void {
    for (const helper of this.helpers) helper.session.close();
  }

  private leastBusy(): Helper | undefined {
    let best: Helper | undefined;
    for (const helper of this.helpers) if (!helper.broken && (best === undefined || helper.busy < best.busy)) best = helper;
    return best;
  }

  /** True once the helper is connected; false (for good) if its first connection fails. */
  private connected(helper: Helper): Observable<boolean> {
    return helper.session.connect().pipe(
      map(() => true),
      catchError((error: unknown) => {
        if (!helper.broken) this.logger.warn('an encryption connection could not connect: its encryptions go to the main connection', { error: String(error) });
        helper.broken = true;
        return of(false);
      }),
    );
  }
}
