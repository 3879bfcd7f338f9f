import { BehaviorSubject, Observable, timer, type SchedulerLike, type Subscription } from 'rxjs';
import { HandshakeError } from '../errors/local-errors.js';
import { encodeRequest, type UnknownVariant } from '../wire/codec.js';
import type { DaemonMessage } from '../wire/messages.js';
import { initialConnectionState, type ConnectionState } from './connection-state.js';
import { bytesEqual } from './hex.js';
import type { Link } from './link.js';
import type { Logger } from './logger.js';
import type { ReconnectPolicy } from './reconnect-policy.js';

/** What the controller tells its owner when a handshake completes. */
export interface ReadyInfo {
  /** The daemon resumed our session (same process, within the grace period). */
  readonly resumed: boolean;
  /** The daemon's instance token differs from the previous connection's (it restarted). */
  readonly instanceChanged: boolean;
  /** This is a reconnect, not the first connection. */
  readonly reconnected: boolean;
}

/** What the controller tells its owner when a connection is lost. */
export interface DisconnectInfo {
  /** A `shutdown_event` preceded the loss (the daemon stopped on purpose). */
  readonly graceful: boolean;
  readonly error: Error | null;
  /** A reconnect is scheduled; otherwise the client is now closed. */
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
  /** Every message from the daemon, in order, including handshake messages. */
  readonly onMessage: (message: DaemonMessage | UnknownVariant) => void;
  /** Called once per completed handshake, after `session_token_reply`, before queued requests are flushed. */
  readonly onReady: (info: ReadyInfo) => void;
  /** Called once per lost connection that had completed its handshake. */
  readonly onDisconnected: (info: DisconnectInfo) => void;
}

/**
 * The connection lifecycle, with no socket and no raw timer in sight:
 * dial → handshake (PROTOCOL.md §3.1) → connected → (lost → backoff →
 * dial …) → closed. Time comes only from the injected scheduler, so the
 * handshake timeout and the reconnect schedule are marble-testable.
 *
 * The handshake is tolerant where the reference clients are strict: any
 * message may arrive between the daemon's greeting and its
 * `session_token_reply` (a resumed session flushes queued replies first,
 * and broadcasts can slip in). Those messages are passed on, not dropped.
 *
 * Requests given to {@link send} before the handshake completes (or while
 * reconnecting) wait in an outbox and go out, in order, once it does: a
 * request must not reach the daemon before our session token, or its reply
 * would belong to a temporary session and be lost on resume (DAEMON.md §1.2).
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
  private closed = false;
  private everReady = false;
  private greeting = { status: false, document: false, tokenSent: false };
  private sawShutdown = false;
  private previousInstanceToken: Uint8Array | null = null;
  /** Requests waiting for the next completed handshake, in order. */
  private readonly outbox = new Set<Uint8Array>();
  private firstConnect: { resolve: () => void; reject: (error: Error) => void } | null = null;

  constructor(private readonly options: ConnectionControllerOptions) {}

  get state(): ConnectionState {
    return this.stateSubject.value;
  }

  /** True between a completed handshake and the loss of that connection. */
  get isReady(): boolean {
    return this.ready;
  }

  /**
   * Makes the first connection. Emits once the handshake completed, then
   * completes; errors if the first dial or handshake fails (reconnects
   * happen only after a connection was established once).
   */
  connect(): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (this.closed || this.firstConnect || this.everReady) {
        subscriber.error(new HandshakeError('connect() may be called only once per client'));
        return;
      }
      this.firstConnect = {
        resolve: () => {
          subscriber.next();
          subscriber.complete();
        },
        reject: (error) => subscriber.error(error),
      };
      this.dial();
    });
  }

  /**
   * Sends a request now if connected, else queues it until the next
   * handshake completes. Dropped after `close()`. Returns true if written now.
   */
  send(body: Uint8Array): boolean {
    if (this.closed) return false;
    if (this.ready && this.link) {
      this.link.send(body);
      return true;
    }
    this.outbox.add(body);
    return false;
  }

  /** Whether a request is still waiting in the outbox (not yet written). */
  isQueued(body: Uint8Array): boolean {
    return this.outbox.has(body);
  }

  /** Removes a request that is still waiting in the outbox (its subscriber left). */
  withdraw(body: Uint8Array): boolean {
    return this.outbox.delete(body);
  }

  /**
   * Stops for good. With `farewell` (the `close()` path) a `thin_close` is
   * sent first so the daemon drops our session at once; without it (the
   * `disconnect()` path) the daemon keeps the session for its grace period.
   */
  close(farewell: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.timerSubscription?.unsubscribe();
    this.dialSubscription?.unsubscribe();
    const link = this.link;
    this.detach();
    if (link) {
      if (farewell) {
        try {
          link.send(encodeRequest({ type: 'thin_close' }));
        } catch (error) {
          this.options.logger.debug('thin_close could not be written', { error: String(error) });
        }
      }
      link.close();
    }
    this.outbox.clear();
    this.update({ daemon: 'closed', mixnet: false });
    this.firstConnect?.reject(new HandshakeError('closed before the connection was established'));
    this.firstConnect = null;
    this.stateSubject.complete();
  }

  private dial(): void {
    this.update({ daemon: this.everReady ? 'reconnecting' : 'connecting' });
    this.dialSubscription = this.options.dial().subscribe({
      next: (link) => this.attach(link),
      error: (error: Error) => this.lost(error),
    });
  }

  private attach(link: Link): void {
    if (this.closed) {
      link.close();
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

  private receive(link: Link, message: DaemonMessage | UnknownVariant): void {
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
    }
    this.options.onMessage(message);
    if (this.ready || link !== this.link) return;
    if (message.type === 'session_token_reply' && this.greeting.tokenSent) {
      this.handshakeDone(link, message.resumed, message.appId);
    } else if (this.greeting.status && this.greeting.document && !this.greeting.tokenSent) {
      // Sent only after the greeting pair, as the reference clients do.
      this.greeting.tokenSent = true;
      link.send(encodeRequest({ type: 'session_token', clientInstanceToken: this.options.clientInstanceToken }));
    }
  }

  private handshakeDone(link: Link, resumed: boolean, appId: Uint8Array | null): void {
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
    // Flush what waited; onReady may have closed us or lost the link.
    for (const body of this.outbox) {
      if (!this.ready || link !== this.link) break;
      this.outbox.delete(body);
      link.send(body);
    }
    const first = this.firstConnect;
    this.firstConnect = null;
    first?.resolve();
  }

  /** Ends a link: on error, on EOF, or because we gave up on it. */
  private fail(link: Link, error: Error | null): void {
    if (link !== this.link) return;
    link.close();
    this.lost(error);
  }

  private lost(error: Error | null): void {
    const wasReady = this.ready;
    const graceful = this.sawShutdown;
    this.detach();
    if (this.closed) return;
    this.options.logger.warn('connection to the daemon lost', { error: error?.message ?? 'closed by the daemon', graceful });
    if (this.firstConnect) {
      // The very first connection failed: report it to connect()'s caller.
      const first = this.firstConnect;
      this.firstConnect = null;
      this.closed = true;
      this.update({ daemon: 'closed', mixnet: false, lastError: error });
      this.stateSubject.complete();
      first.reject(error ?? new HandshakeError('the daemon closed the connection during the handshake'));
      return;
    }
    const attempt = this.state.reconnectAttempt + 1;
    const delay = this.options.reconnect(attempt, this.options.random);
    if (wasReady) this.options.onDisconnected({ graceful, error, willReconnect: delay !== null });
    if (delay === null) {
      this.closed = true;
      this.outbox.clear();
      this.update({ daemon: 'closed', mixnet: false, lastError: error });
      this.stateSubject.complete();
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
