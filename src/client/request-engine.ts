import { Observable, type SchedulerLike } from 'rxjs';
import type { Session } from '../core/session.js';
import type { CancelRequest, QueryRequest, RequestHandle, RequestObserver } from '../core/session-request.js';
import type { DaemonMessageOf, Request, RequestKind, ResponseKind } from '../wire/messages.js';
import { withTimeout } from './with-timeout.js';

export type { QueryRequest } from '../core/session-request.js';

/** Per-request options every request method accepts. */
export interface RequestOptions {
  /**
   * Fail with `RequestTimeoutError` if no reply arrives within this many ms
   * (virtual ms under a test scheduler). For daemon-side ARQ operations the
   * timeout also cancels the operation at the daemon. Default: the client's
   * `requestTimeoutMs`, or none.
   */
  readonly timeoutMs?: number;
}

/** How to run one query-correlated request. */
export interface QuerySpec<K extends RequestKind, RK extends ResponseKind, R> {
  readonly request: QueryRequest<K>;
  /** The reply variant that answers it. */
  readonly replyType: RK;
  /** Turns the reply into the emitted value, or throws the typed error. */
  readonly result: (reply: DaemonMessageOf<RK>) => R;
  /** For daemon ARQ operations (`start_resending_*`): the cancel that stops them. */
  readonly cancel?: CancelRequest;
  readonly options?: RequestOptions | undefined;
  /**
   * The timeout when neither the request nor the client sets one: for
   * requests the daemon is known to leave unanswered on some inputs (the
   * voucher requests: kpclientd v0.0.99 panics on a few malformed blobs,
   * recovers, and never replies).
   */
  readonly fallbackTimeoutMs?: number;
}

/**
 * The Observable face of the {@link Session}: each request is a cold
 * Observable that submits on subscribe, emits the mapped reply, and
 * abandons on unsubscribe (the session then cancels what runs at the
 * daemon). It holds no request state of its own — the session does
 * (DESIGN.md principle 6a) — so feature modules stay plain functions.
 */
export class RequestEngine {
  constructor(
    private readonly session: Session,
    private readonly scheduler: SchedulerLike,
    private readonly defaultTimeoutMs: number | undefined,
  ) {}

  /** Mixnet requests waiting in the client (for the daemon's queue or the in-flight limit). */
  get queuedMixnetCount(): number {
    return this.session.queuedMixnetCount;
  }

  /** Requests not over yet (for diagnostics and leak checks: 0 when idle). */
  get pendingCount(): number {
    return this.session.pendingCount;
  }

  /** A cold Observable that sends `spec.request` on subscribe and emits its mapped reply. */
  query<K extends RequestKind, RK extends ResponseKind, R>(spec: QuerySpec<K, RK, R>): Observable<R> {
    const source = new Observable<R>((subscriber) => {
      const handle = this.session.submit(
        { request: spec.request, ...(spec.cancel ? { cancel: spec.cancel } : {}) },
        {
          classify: (message) => (message.type === spec.replyType ? 'final' : 'ignore'),
          next: (message) => {
            let value: R;
            try {
              value = spec.result(message as DaemonMessageOf<RK>);
            } catch (error) {
              subscriber.error(error);
              return;
            }
            subscriber.next(value);
            subscriber.complete();
          },
          fail: (error) => subscriber.error(error),
        },
      );
      return () => handle.abandon();
    });
    return source.pipe(withTimeout(spec.request.type, spec.options?.timeoutMs ?? this.defaultTimeoutMs ?? spec.fallbackTimeoutMs, this.scheduler));
  }

  /**
   * Submits a request whose messages the caller interprets itself (legacy
   * SURB sends: a `message_sent_event`, then a `message_reply_event`).
   * Call `abandon()` on the handle when its subscriber leaves.
   */
  track(request: Request, observer: RequestObserver): RequestHandle {
    return this.session.submit({ request }, observer);
  }

  /** Queues a request that has no reply at all (`send_message` without a SURB); throws when the client cannot send. */
  sendUncorrelated(request: Request): void {
    this.session.submitOneWay(request);
  }
}
