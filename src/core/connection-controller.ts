import { BehaviorSubject, Observable, ReplaySubject, concat, defer, finalize, ignoreElements, map, of, race, take, tap, timer, type SchedulerLike, type Subscription } from 'rxjs';
import { HandshakeError } from '../errors/local-errors.js';
import { encodeRequest } from '../wire/codec.js';
import { initialConnectionState, type ConnectionState } from './connection-state.js';
import { bytesEqual } from './hex.js';
import { DAEMON_CLOSE_WAIT_MS } from '../wire/constants.js';
import type { Link, LinkMessage } from './link.js';
import type { Logger } from './logger.js';
import type { ReconnectPolicy } from './reconnect-policy.js';

/** What the controller tells its owner when a handshake completes. */
export interface ReadyInfo {
  /** The daemon resumed our session (same process, within the grace period): its state survived. */
  readonly resumed: boolean;
  /** The daemon's instance token differs from the previous connection's (it restarted). */
  readonly instanceChanged: boolean;
  /** This controller had completed a handshake before (a reconnect, not its first connection). */
  readonly reconnected: boolean;
}

/** What the controller tells its owner when a connection that had completed its handshake is lost. */
export interface DisconnectInfo {
  /** A `shutdown_event` preceded the loss (the daemon stopped on purpose). */
  readonly graceful: boolean;
  readonly error: Error | null;
  /** A reconnect is scheduled; otherwise the controller has stopped (`onStopped` follows). */
  readonly willReconnect: boolean;
}

export interface ConnectionControllerOptions {
  /** Opens a link to the daemon (cold: one dial per subscription). */
  readonly dial: () => Observable<Link>;
  /** 16 bytes, the same on every reconnect (PROTOCOL.md §3.2). */
  readonly clientInstanceToken: Uint8Array;
  readonly scheduler: SchedulerLike;
  /** Must comfortably exceed the daemon's 30 s PKI wait (PROTOCOL.md §3.1). */
  readonly handshakeTimeoutMs: number;
  readonly reconnect: ReconnectPolicy;
  readonly random: () => number;
  readonly logger: Logger;
  /** The daemon's instance token seen by an earlier controller of the same client, if any. */
  readonly previousInstanceToken?: Uint8Array | null;
  /**
   * The {@link ConnectionController.whenLinkClosed} of an earlier controller of
   * the same client (after `disconnect()`): the first dial waits for it.
   */
  readonly previousLinkClosed?: Observable<void> | undefined;
  /** Bound on waiting for an old link's close before the next dial. Default {@link DAEMON_CLOSE_WAIT_MS}. */
  readonly closeWaitMs?: number | undefined;
  /** Every message from the daemon, in order, including handshake messages. */
  readonly onMessage: (message: LinkMessage) => void;
  /** Called once per completed handshake, after `session_token_reply`. */
  readonly onReady: (info: ReadyInfo) => void;
  /** Called once per lost connection that had completed its handshake. */
  readonly onDisconnected: (info: DisconnectInfo) => void;
  /**
   * Called once when the controller stops by itself: the first connection
   * failed (dial or handshake), or the reconnect policy gave up (after a
   * lost connection or after failed re-dials). Not called for `close()`.
   */
  readonly onStopped: (error: Error, info: { readonly everReady: boolean }) => void;
}

/**
 * The connection lifecycle, with no socket and no raw timer in sight:
 * dial → handshake (PROTOCOL.md §3.1) → connected → (lost → backoff →
 * dial …) → stopped or closed. Time comes only from the injected
 * scheduler, so the handshake timeout and the reconnect schedule are
 * marble-testable.
 *
 * The handshake is tolerant where the reference clients are strict: any
 * message may arrive between the daemon's greeting and its
 * `session_token_reply` (a resumed session flushes queued replies first,
 * and broadcasts can slip in). Those messages are passed on, not dropped.
 *
 * A dial that resumes the session waits until the previous link is closed
 * at both ends ({@link Link.whenClosed}), bounded by `closeWaitMs`. Why:
 * kpclientd v0.0.99 unregisters a connection BY APP ID when its worker
 * ends (client/incoming_conn.go `worker()`: `conn.Close()`, then
 * `onClosedConn` → `unregisterConn(appID)`, then "Preserving state for
 * disconnected session"), and the worker runs `encrypt_write` /
 * `encrypt_read` inline for seconds before it notices our close. Had we
 * resumed on a new connection meanwhile (same AppID), that late
 * unregister would remove the new connection and hold every later reply
 * for a reconnect that never comes. The daemon closes its socket right
 * before `onClosedConn`, so waiting for its side of the close leaves only
 * the daemon's microseconds between `Close()` and the unregister against
 * our dial + greeting + session token (milliseconds at least). Over
 * WebSocket the daemon's side of the close comes at once, worker busy or
 * not, so a deliberate close there waits first for a barrier request the
 * worker answers in order ({@link barrier}).
 *
 * It knows nothing of requests: its owner (`Session`) writes them with
 * {@link write} only while {@link isReady} — never before our session
 * token, or their replies would belong to a temporary session and be lost
 * on resume (DAEMON.md §1.2) — and decides what to do with them when a
 * connection is lost or made.
 */
export class ConnectionController {
  private readonly stateSubject = new BehaviorSubject<ConnectionState>(initialConnectionState);
  /** `state$`: replays the current state to each new subscriber. */
  readonly state$ = this.stateSubject.asObservable();

  private link: Link | null = null;
  private linkSubscription: Subscription | null = null;
  private dialSubscription: Subscription | null = null;
  private timerSubscription: Subscription | null = null;
  private ready = false;
  private started = false;
  private stopped = false;
  private everReady = false;
  private greeting = { status: false, document: false, tokenSent: false };
  private sawShutdown = false;
  private previousInstanceToken: Uint8Array | null;
  private lastLinkClosed: Observable<void>;
  /** A link closed on purpose that waits for its barrier's reply (see {@link barrier}); `null` message: the link ended. */
  private closingLink: { readonly link: Link; readonly settle: (message: LinkMessage | null) => void } | null = null;

  constructor(private readonly options: ConnectionControllerOptions) {
    this.previousInstanceToken = options.previousInstanceToken ?? null;
    this.lastLinkClosed = options.previousLinkClosed ?? of(undefined);
  }

  /**
   * Emits once and completes when the last link this controller (or the
   * one before it) ended is closed at both ends, or when the close bound
   * has passed since it ended. What the next dial waits for.
   */
  get whenLinkClosed(): Observable<void> {
    return this.lastLinkClosed;
  }

  get state(): ConnectionState {
    return this.stateSubject.value;
  }

  /** True between a completed handshake and the loss of that connection. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Starts dialling (once; later calls do nothing). Outcomes arrive through the callbacks. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.dial();
  }

  /** Writes one encoded request on the ready link. False (nothing written) when not ready. */
  write(body: Uint8Array): boolean {
    if (!this.ready || !this.link) return false;
    this.link.send(body);
    return true;
  }

  /**
   * Stops for good. With `farewell` (the `close()` path) a `thin_close` is
   * sent first so the daemon drops our session at once; without it (the
   * `disconnect()` path) the daemon keeps the session for its grace period.
   */
  close(farewell: boolean): void {
    if (this.stopped) return;
    this.stopped = true;
    this.timerSubscription?.unsubscribe();
    this.dialSubscription?.unsubscribe();
    const link = this.link;
    // Only a session the daemon may resume needs the barrier (thin_close ends it anyway).
    const barrier = link && !farewell && link.closeNeedsBarrier && this.greeting.tokenSent ? this.barrier(link) : undefined;
    this.detach();
    if (link) {
      if (farewell) {
        try {
          link.send(encodeRequest({ type: 'thin_close' }));
        } catch (error) {
          this.options.logger.debug('thin_close could not be written', { error: String(error) });
        }
      }
      this.end(link, barrier);
    }
    this.update({ daemon: 'closed', mixnet: false });
    this.stateSubject.complete();
  }

  /**
   * Sends a request the daemon's connection worker answers in order
   * (`get_directory_authorities`: local, cheap, always answered) on a link
   * we are about to close, and keeps reading that link for its reply,
   * discarding everything else (as a closing link does). Emits once when it
   * is answered or the link ends. See {@link Link.closeNeedsBarrier}: after
   * the reply the worker has finished every request before it, so the
   * daemon's side of our close comes with its unregister, as over TCP.
   */
  private barrier(link: Link): Observable<void> {
    const queryId = globalThis.crypto.getRandomValues(new Uint8Array(16));
    const answered = new ReplaySubject<void>(1);
    const settle = (): void => {
      answered.next();
      answered.complete();
    };
    // Take the link's subscription over from detach(), which would end it.
    const reading = this.linkSubscription;
    this.linkSubscription = null;
    const isAnswer = (message: LinkMessage | null): boolean =>
      message === null || (message.type === 'get_directory_authorities_reply' && message.queryId !== null && bytesEqual(message.queryId, queryId));
    this.closingLink = { link, settle: (message) => (isAnswer(message) ? settle() : undefined) };
    try {
      link.send(encodeRequest({ type: 'get_directory_authorities', queryId }));
    } catch (error) {
      this.options.logger.debug('the close barrier could not be written', { error: String(error) });
      settle();
    }
    return answered.pipe(
      finalize(() => {
        reading?.unsubscribe();
        if (this.closingLink?.link === link) this.closingLink = null;
      }),
    );
  }

  private dial(): void {
    this.update({ daemon: this.everReady ? 'reconnecting' : 'connecting' });
    // The reconnect delay (if any) and this wait overlap: whichever is longer decides.
    this.dialSubscription = concat(this.lastLinkClosed.pipe(ignoreElements()), defer(this.options.dial)).subscribe({
      next: (link) => this.attach(link),
      error: (error: Error) => this.lost(error),
    });
  }

  private attach(link: Link): void {
    if (this.stopped) {
      this.end(link);
      return;
    }
    this.link = link;
    this.ready = false;
    this.greeting = { status: false, document: false, tokenSent: false };
    this.sawShutdown = false;
    this.update({ daemon: 'handshaking' });
    this.timerSubscription = timer(this.options.handshakeTimeoutMs, this.options.scheduler).subscribe(() =>
      this.fail(link, new HandshakeError(`no session_token_reply within ${this.options.handshakeTimeoutMs} ms`)),
    );
    const subscription = link.messages$.subscribe({
      next: (message) => this.receive(link, message),
      error: (error: Error) => this.fail(link, error),
      complete: () => this.fail(link, null),
    });
    // Messages may arrive synchronously inside subscribe() and end the link
    // before we get the subscription back.
    if (this.link === link) this.linkSubscription = subscription;
    else subscription.unsubscribe();
  }

  private receive(link: Link, message: LinkMessage): void {
    if (link === this.closingLink?.link) return this.closingLink.settle(message);
    if (link !== this.link) return;
    switch (message.type) {
      case 'connection_status_event':
        if (!this.ready && (!message.sphinxGeometry || !message.pigeonholeGeometry)) {
          this.fail(link, new HandshakeError('incompatible daemon: connection_status_event without geometry'));
          return;
        }
        this.greeting.status = true;
        this.update({
          mixnet: message.isConnected,
          instanceToken: message.instanceToken,
          sphinxGeometry: message.sphinxGeometry ?? this.state.sphinxGeometry,
          pigeonholeGeometry: message.pigeonholeGeometry ?? this.state.pigeonholeGeometry,
        });
        break;
      case 'new_pki_document_event':
        this.greeting.document = true;
        break;
      case 'shutdown_event':
        this.sawShutdown = true;
        break;
      case 'invalid':
        // The handshake cannot go on without its three messages.
        if (!this.ready && HANDSHAKE_KINDS.has(message.error.kind)) {
          this.fail(link, new HandshakeError(`malformed ${message.error.kind} during the handshake`, { cause: message.error }));
          return;
        }
        break;
    }
    this.options.onMessage(message);
    if (this.ready || link !== this.link) return;
    if (message.type === 'session_token_reply' && this.greeting.tokenSent) {
      this.handshakeDone(message.resumed, message.appId);
    } else if (this.greeting.status && this.greeting.document && !this.greeting.tokenSent) {
      // Sent only after the greeting pair, as the reference clients do.
      this.greeting.tokenSent = true;
      link.send(encodeRequest({ type: 'session_token', clientInstanceToken: this.options.clientInstanceToken }));
    }
  }

  private handshakeDone(resumed: boolean, appId: Uint8Array | null): void {
    this.timerSubscription?.unsubscribe();
    this.ready = true;
    const token = this.state.instanceToken;
    const instanceChanged = this.previousInstanceToken !== null && token !== null && !bytesEqual(this.previousInstanceToken, token);
    this.previousInstanceToken = token;
    const reconnected = this.everReady;
    this.everReady = true;
    this.update({ daemon: 'connected', appId, resumed, reconnectAttempt: 0, lastError: null });
    this.options.logger.info(reconnected ? 'reconnected to the daemon' : 'connected to the daemon', { resumed, instanceChanged });
    this.options.onReady({ resumed, instanceChanged, reconnected });
  }

  /** Ends a link: on error, on EOF, or because we gave up on it. */
  private fail(link: Link, error: Error | null): void {
    if (link === this.closingLink?.link) return this.closingLink.settle(null);
    if (link !== this.link) return;
    this.end(link);
    this.lost(error);
  }

  /**
   * Closes a link — after `barrier` emits, if given — and makes the next
   * dial wait for its close (see the class comment).
   */
  private end(link: Link, barrier?: Observable<void>): void {
    const { scheduler, logger } = this.options;
    const bound = this.options.closeWaitMs ?? DAEMON_CLOSE_WAIT_MS;
    const endedAt = scheduler.now();
    // Bounded from the moment it ended, however late someone waits for it.
    const untilBound = (): Observable<number> => timer(Math.max(0, endedAt + bound - scheduler.now()), scheduler);
    if (barrier) race(barrier, untilBound()).pipe(take(1)).subscribe(() => link.close());
    else link.close();
    this.lastLinkClosed = defer(() =>
      race(
        link.whenClosed,
        untilBound().pipe(
          tap(() => logger.warn('the daemon did not close the old connection in time; dialling anyway', { boundMs: bound })),
          map(() => undefined),
        ),
      ),
    ).pipe(take(1));
  }

  private lost(error: Error | null): void {
    const wasReady = this.ready;
    const graceful = this.sawShutdown;
    this.detach();
    if (this.stopped) return;
    this.options.logger.warn('connection to the daemon lost', { error: error?.message ?? 'closed by the daemon', graceful });
    // The very first connection is not retried: its error goes to connect()'s caller.
    const attempt = this.state.reconnectAttempt + 1;
    const delay = this.everReady ? this.options.reconnect(attempt, this.options.random) : null;
    if (wasReady) this.options.onDisconnected({ graceful, error, willReconnect: delay !== null });
    if (delay === null) {
      this.stopped = true;
      this.update({ daemon: 'closed', mixnet: false, lastError: error });
      this.stateSubject.complete();
      const reason = error ?? new HandshakeError(this.everReady ? 'the daemon closed the connection' : 'the daemon closed the connection during the handshake');
      this.options.onStopped(reason, { everReady: this.everReady });
      return;
    }
    this.update({ daemon: 'reconnecting', mixnet: false, reconnectAttempt: attempt, lastError: error });
    this.timerSubscription = timer(delay, this.options.scheduler).subscribe(() => this.dial());
  }

  private detach(): void {
    this.ready = false;
    this.link = null;
    this.timerSubscription?.unsubscribe();
    this.timerSubscription = null;
    const subscription = this.linkSubscription;
    this.linkSubscription = null;
    subscription?.unsubscribe();
  }

  private update(patch: Partial<ConnectionState>): void {
    if (this.stateSubject.closed) return;
    const current = this.stateSubject.value;
    const changed = (Object.keys(patch) as Array<keyof ConnectionState>).some((key) => patch[key] !== current[key]);
    if (changed) this.stateSubject.next(Object.freeze({ ...current, ...patch }));
  }
}

/** The daemon's messages of a handshake (PROTOCOL.md §3.1). */
const HANDSHAKE_KINDS: ReadonlySet<string> = new Set(['connection_status_event', 'new_pki_document_event', 'session_token_reply']);
