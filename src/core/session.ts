import { BehaviorSubject, Observable, timer, type Subscriber, type Subscription } from 'rxjs';
import { ClientClosedError, ConnectionLostError, InvalidArgumentError, NotConnectedError } from '../errors/local-errors.js';
import { encodeRequest } from '../wire/codec.js';
import { WireSizes } from '../wire/constants.js';
import type { Request, RequestKind } from '../wire/messages.js';
import { ConnectionController, type ConnectionControllerOptions, type DisconnectInfo, type ReadyInfo } from './connection-controller.js';
import { initialConnectionState, type ConnectionState } from './connection-state.js';
import { messageKey, queryKey, surbKey } from './correlation-key.js';
import { DaemonFifo } from './daemon-fifo.js';
import { toHex } from './hex.js';
import type { IdGenerator } from './ids.js';
import type { LinkMessage } from './link.js';
import { revealSecret } from '../wire/secret-bytes.js';
import {
  isMixnetClass,
  requestClass,
  SessionRequest,
  type CancelRequest,
  type QueryRequest,
  type RequestHandle,
  type RequestObserver,
} from './session-request.js';

/** First delay before re-cancelling an abandoned ARQ start that may still be queued; doubles to {@link RECANCEL_MAX_MS}. */
const RECANCEL_FIRST_MS = 1000;
const RECANCEL_MAX_MS = 30_000;

/** The connection's settings (see {@link ConnectionControllerOptions}), and the session's own. */
export interface SessionOptions
  extends Pick<ConnectionControllerOptions, 'dial' | 'clientInstanceToken' | 'scheduler' | 'handshakeTimeoutMs' | 'reconnect' | 'random' | 'logger' | 'closeWaitMs'> {
  readonly ids: IdGenerator;
  /** Live mixnet requests at the daemon at once (concurrency; the FIFO bound is separate). */
  readonly maxMixnetInFlight: number;
  /** Every daemon message, in order, after the session has routed it. */
  readonly onMessage: (message: LinkMessage) => void;
  /** A connection was lost, or the client gave up reconnecting (`willReconnect: false`). */
  readonly onDisconnected: (info: DisconnectInfo) => void;
}

/** What {@link Session.submit} takes: the request, and for ARQ starts the cancel that stops them. */
export interface Submission {
  /** For every kind but `send_message`, without `queryId`: the session makes one per write. */
  readonly request: Request | QueryRequest<RequestKind>;
  readonly cancel?: CancelRequest;
}

/**
 * The one owner of the connection to the daemon and of every request's
 * life in it (DESIGN.md principle 6a): the connection lifecycle (through a
 * {@link ConnectionController} per `connect()`), the correlation table,
 * the account of the daemon's 16-deep FIFO, the in-flight limit, and
 * every replay and cancel decision — each request an explicit state
 * machine ({@link SessionRequest}) whose every ending reaches its
 * subscriber.
 *
 * Decisions are made per request, from what is known of it:
 * - **at a handshake after a loss**: local requests are resent; an ARQ
 *   start is re-issued under a fresh query id — after a cancel of the old
 *   one if the daemon resumed our session (its ARQ may still run, or be
 *   orphaned: a second start would run beside it, DAEMON.md §3.5) — and
 *   the code-24 answer to the old id is absorbed; a SURB send that never
 *   left the daemon's queue (no `message_sent_event`) is resent, one that
 *   did keeps waiting if the session resumed (the daemon queues its reply)
 *   and fails with `ConnectionLostError` otherwise;
 * - **when a subscriber leaves**: what never reached the daemon is
 *   forgotten; an ARQ start is cancelled — and if the cancel finds nothing
 *   while the start may still be in the daemon's queue, cancelled again
 *   once it shows a sign of dispatch (or on a backoff while the daemon is
 *   online); its place in the FIFO is kept until the daemon gives it back;
 * - **when the client gives up, or is closed**: everything pending fails
 *   with a typed error.
 *
 * Mixnet requests are admitted when the FIFO account has room (16), the
 * in-flight limit allows (`maxMixnetInFlight` live requests) and no other
 * ARQ of ours holds the same cancel key (a cancel reaches only the newest
 * ARQ of a hash, DAEMON.md §3.5); the rest wait here, in order.
 *
 * No Promises inside: time is the injected scheduler, so virtual-time
 * tests drive all of it.
 */
export class Session {
  private readonly stateSubject = new BehaviorSubject<ConnectionState>(initialConnectionState);
  /** The connection state; replays the current one. Completes on {@link close}. */
  readonly state$ = this.stateSubject.asObservable();

  /** Not settled, in submission order. */
  private readonly records = new Map<number, SessionRequest>();
  /** Correlation table: query-id and SURB-id keys → record (DESIGN.md principle 7). */
  private readonly byKey = new Map<string, SessionRequest>();
  /** Records waiting to be written, in submission order. */
  private waiting: SessionRequest[] = [];
  private readonly fifo = new DaemonFifo<SessionRequest>();
  /** Cancel key (envelope / write-cap hash) → the ARQ start of ours holding it at the daemon. */
  private readonly cancelHolders = new Map<string, SessionRequest>();
  private admitted = 0;
  private seq = 0;
  /** Bumped at every completed handshake. */
  private generation = 0;
  private run: 'idle' | 'running' | 'stopped' | 'closed' = 'idle';
  private controller: ConnectionController | null = null;
  private controllerState: Subscription | null = null;
  /** The last controller's {@link ConnectionController.whenLinkClosed}: the next controller's first dial waits for it. */
  private whenLinkClosed: Observable<void> | undefined;
  private readonly connectWaiters = new Set<Subscriber<void>>();
  /** The last loss was announced with a reconnect to come (so a later give-up is announced too). */
  private reconnectAnnounced = false;
  private pumping = false;
  private pumpAgain = false;

  constructor(private readonly options: SessionOptions) {}

  get state(): ConnectionState {
    return this.stateSubject.value;
  }

  /** Requests not yet over, including abandoned ones the daemon may still hold (0 when idle). */
  get pendingCount(): number {
    return this.records.size;
  }

  /** Mixnet requests waiting in the client for the FIFO or the in-flight limit. */
  get queuedMixnetCount(): number {
    let n = 0;
    for (const record of this.waiting) if (record.phase === 'waiting' && isMixnetClass(record.cls)) n++;
    return n;
  }

  /** Mixnet requests that may be in the daemon's FIFO now (at most 16). */
  get daemonQueueCount(): number {
    return this.fifo.size;
  }

  private get ready(): boolean {
    return this.controller?.isReady === true;
  }

  // ---- connection lifecycle --------------------------------------------------

  /**
   * Emits and completes once connected: at once if connected, at the end of
   * the handshake in progress if there is one (a second call during the
   * handshake shares it), else after starting one. Errors if that attempt
   * fails for good (first dial or handshake, the reconnect policy gives
   * up), or on `disconnect()` / `close()`.
   */
  connect(): Observable<void> {
    return new Observable<void>((subscriber) => {
      if (this.run === 'closed') {
        subscriber.error(new ClientClosedError());
        return undefined;
      }
      if (this.ready) {
        subscriber.next();
        subscriber.complete();
        return undefined;
      }
      this.connectWaiters.add(subscriber);
      if (this.run !== 'running') this.startRun();
      return () => this.connectWaiters.delete(subscriber);
    });
  }

  /**
   * Closes the socket without `thin_close`: the daemon keeps our session
   * for its grace period. Requests in flight are kept, as after a lost
   * connection, and the next `connect()` replays them (resuming the
   * session); new requests fail with `NotConnectedError` until then.
   */
  disconnect(): void {
    if (this.run === 'closed') return;
    const controller = this.controller;
    this.stopRun();
    controller?.close(false);
    // Resolves at once (nothing here waits), but the next connect() dials only once the daemon closed this connection.
    if (controller) this.whenLinkClosed = controller.whenLinkClosed;
    if (this.run === 'running') this.interruptAll();
    this.run = 'idle';
    this.update({ daemon: 'idle', mixnet: false });
    this.endWaiters(new NotConnectedError(undefined, { cause: new Error('disconnect() was called') }));
  }

  /** Sends `thin_close`, closes the socket and fails everything pending with `ClientClosedError`. For good. */
  close(): void {
    if (this.run === 'closed') return;
    const controller = this.controller;
    this.stopRun();
    controller?.close(true);
    this.run = 'closed';
    this.failAll((record) => new ClientClosedError(record.kind));
    this.endWaiters(new ClientClosedError());
    this.update({ daemon: 'closed', mixnet: false });
    this.stateSubject.complete();
  }

  private startRun(): void {
    this.run = 'running';
    const { dial, clientInstanceToken, scheduler, handshakeTimeoutMs, reconnect, random, logger, closeWaitMs } = this.options;
    const controller = new ConnectionController({
      dial,
      clientInstanceToken,
      scheduler,
      handshakeTimeoutMs,
      reconnect,
      random,
      logger,
      closeWaitMs,
      previousInstanceToken: this.state.instanceToken,
      previousLinkClosed: this.whenLinkClosed,
      onMessage: (message) => this.receive(message),
      onReady: (info) => this.onReady(info),
      onDisconnected: (info) => this.onLost(info),
      onStopped: (error, info) => this.onStopped(controller, error, info.everReady),
    });
    this.controller = controller;
    this.reconnectAnnounced = false;
    // The session's state outlives its controllers: mirror, never complete.
    this.controllerState = controller.state$.subscribe((state) => {
      if (this.controller === controller) this.stateSubject.next(state);
    });
    controller.start();
  }

  private stopRun(): void {
    this.controllerState?.unsubscribe();
    this.controllerState = null;
    this.controller = null;
  }

  private onReady(info: ReadyInfo): void {
    this.generation++;
    this.reconnectAnnounced = false;
    // Cancels first: each must reach the daemon before the start that replaces it.
    for (const record of [...this.records.values()]) {
      if (record.cls !== 'arq') continue;
      if (record.phase === 'interrupted') {
        this.dropKey(record);
        record.body = null; // re-issued under a fresh query id
        record.phase = 'waiting';
        if (info.resumed) this.writeCancel(record, null);
      } else if (record.phase === 'abandoned' && record.cancelOnResume) {
        record.cancelOnResume = false;
        if (info.resumed) this.writeCancel(record, () => this.settle(record));
        else this.settle(record); // a new session: the daemon holds nothing of it
      }
    }
    for (const record of [...this.records.values()]) {
      if (record.phase !== 'interrupted') continue;
      if (record.cls === 'surb' && record.dispatched) {
        // It left the daemon's queue before the loss: its reply is queued for a resumed session, lost otherwise.
        if (info.resumed) record.phase = 'sent';
        else this.fail(record, new ConnectionLostError(record.kind));
      } else {
        // Local requests, and SURB sends that never left the daemon's queue (lost with it): again.
        record.phase = 'waiting';
      }
    }
    this.waiting = [...this.records.values()].filter((record) => record.phase === 'waiting');
    this.pump();
    const waiters = [...this.connectWaiters];
    this.connectWaiters.clear();
    for (const waiter of waiters) {
      waiter.next();
      waiter.complete();
    }
  }

  private onLost(info: DisconnectInfo): void {
    this.interruptAll();
    this.reconnectAnnounced = info.willReconnect;
    this.options.onDisconnected(info);
  }

  private onStopped(controller: ConnectionController, error: Error, everReady: boolean): void {
    if (this.controller !== controller) return;
    this.stopRun();
    this.whenLinkClosed = controller.whenLinkClosed;
    this.run = 'stopped';
    this.failAll((record) => new ConnectionLostError(record.kind, { cause: error }));
    this.endWaiters(error);
    this.stateSubject.next(controller.state);
    // A give-up after failed re-dials: the loss itself was announced with a reconnect to come.
    if (everReady && this.reconnectAnnounced) this.options.onDisconnected({ graceful: false, error, willReconnect: false });
    this.reconnectAnnounced = false;
  }

  /** The connection is gone: what was written on it is decided at the next handshake. */
  private interruptAll(): void {
    for (const record of this.fifo.clear()) record.inFifo = false;
    for (const record of [...this.records.values()]) {
      if (record.cls === 'cancel') this.settle(record); // its answer will never come
      else if (record.phase === 'sent') record.phase = 'interrupted';
      else if (record.phase === 'abandoned') {
        if (record.cls !== 'arq') this.settle(record); // a SURB send: its queue place is gone too
        else {
          this.stopRecancel(record);
          record.cancelOut = null;
          record.maybeQueued = false;
          record.cancelOnResume = true;
        }
      }
    }
  }

  private endWaiters(error: Error): void {
    const waiters = [...this.connectWaiters];
    this.connectWaiters.clear();
    for (const waiter of waiters) waiter.error(error);
  }

  // ---- requests ------------------------------------------------------------------

  /**
   * Registers a request, then writes it as soon as it may be (at once when
   * connected and, for mixnet requests, admitted). The observer hears its
   * messages and its end; the handle lets its subscriber leave. Fails the
   * observer at once (synchronously) when the client is not connected and
   * not connecting (`NotConnectedError`), closed or given up
   * (`ClientClosedError`), or the request does not encode.
   */
  submit(submission: Submission, observer: RequestObserver): RequestHandle {
    const { request } = submission;
    const refusal = this.refusal(request.type);
    if (refusal) {
      observer.fail(refusal);
      return NO_HANDLE;
    }
    const cls = requestClass(request);
    const cancel = cls === 'arq' ? (submission.cancel ?? null) : null;
    // Without its cancel an ARQ could be neither abandoned nor replayed safely.
    if (cls === 'arq' && cancel === null) throw new Error(`${request.type} submitted without its cancel: a bug`);
    const cancelKey = cancel ? cancelKeyOf(cancel) : null;
    const record = new SessionRequest(++this.seq, cls, request, observer, cancel, cancelKey);
    try {
      if (cls === 'surb') {
        const surbId = (request as Extract<Request, { type: 'send_message' }>).surbId!;
        const key = surbKey(revealSecret(surbId)); // an id, never a secret: the type only allows one
        if (this.byKey.has(key)) throw new InvalidArgumentError('surbId', 'a send with this SURB id is already pending');
        record.body = encode(request as Request);
        this.setKey(record, key);
      } else {
        this.encodeWithFreshId(record);
      }
    } catch (error) {
      observer.fail(error as Error);
      return NO_HANDLE;
    }
    this.records.set(record.seq, record);
    // Local requests are never held back: straight to the wire, without a pass over the waiting list.
    if (this.ready && cls === 'local') this.write(record);
    else {
      this.waiting.push(record);
      this.pump();
    }
    return { abandon: () => this.abandon(record) };
  }

  /** Queues a request that has no answer at all (`send_message` without a SURB). Throws like {@link submit} refuses. */
  submitOneWay(request: Request): void {
    const refusal = this.refusal(request.type);
    if (refusal) throw refusal;
    const record = new SessionRequest(++this.seq, 'oneway', request, null);
    record.body = encode(request);
    this.records.set(record.seq, record);
    this.waiting.push(record);
    this.pump();
  }

  private refusal(kind: RequestKind): Error | null {
    if (this.run === 'idle') return new NotConnectedError(kind);
    if (this.run === 'closed' || this.run === 'stopped') return new ClientClosedError(kind);
    return null;
  }

  /** The subscriber left: forget what never reached the daemon, cancel what runs there. */
  private abandon(record: SessionRequest): void {
    if (record.phase === 'settled' || record.observer === null) return;
    record.observer = null;
    this.releaseSlot(record);
    const { phase, cls } = record;
    // Abandoned while close() fails everything (a stream's teardown, when its
    // first request fails, leaves its others): thin_close ended every ARQ at
    // the daemon, and there is no connection left to cancel on.
    if (this.run === 'closed') this.settle(record);
    else if (phase === 'waiting' || cls === 'local') this.settle(record);
    else if (cls === 'arq') {
      record.phase = 'abandoned';
      if (phase === 'sent') {
        this.options.logger.debug('cancelling an abandoned operation', { request: record.kind });
        this.cancelAbandoned(record);
      } else record.cancelOnResume = true; // interrupted: cancelled after the next handshake, if resumed
    } else if (cls === 'surb' && phase === 'sent' && !record.dispatched) {
      // Not cancellable: it keeps its place in the daemon's queue until its message_sent_event.
      record.phase = 'abandoned';
    } else this.settle(record);
    this.pump();
  }

  // ---- writing -------------------------------------------------------------------

  /** Writes what may be written now, in submission order. Re-entrant calls loop here. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    if (!this.ready || this.waiting.length === 0) return;
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        const still: SessionRequest[] = [];
        for (const record of this.waiting) {
          if (record.phase !== 'waiting') continue;
          if (this.ready && this.admissible(record)) this.write(record);
          else still.push(record);
        }
        // Records queued meanwhile (re-entrant submits) were appended to the old list and seen above.
        this.waiting = still;
      } while (this.pumpAgain && this.ready);
    } finally {
      this.pumping = false;
    }
  }

  private admissible(record: SessionRequest): boolean {
    if (!isMixnetClass(record.cls)) return true;
    if (!this.fifo.hasRoom) return false;
    if (record.cls === 'oneway') return true;
    if (!record.admitted && this.admitted >= this.options.maxMixnetInFlight) return false;
    if (record.cancelKey !== null) {
      const holder = this.cancelHolders.get(record.cancelKey);
      if (holder !== undefined && holder !== record) return false;
    }
    return true;
  }

  private write(record: SessionRequest): void {
    if (record.body === null) this.encodeWithFreshId(record);
    if (isMixnetClass(record.cls) && record.cls !== 'oneway') {
      if (!record.admitted) {
        record.admitted = true;
        this.admitted++;
      }
      this.fifo.push(record);
      record.inFifo = true;
      record.dispatched = false;
      if (record.cancelKey !== null) this.cancelHolders.set(record.cancelKey, record);
    }
    record.phase = 'sent';
    record.writtenOn = this.generation;
    // State first, then the write: a reply may come back synchronously.
    const body = record.body!;
    if (record.cls === 'oneway') this.settle(record);
    this.controller!.write(body);
  }

  /** (Re-)encodes a query-correlated request under a fresh query id and registers that id. */
  private encodeWithFreshId(record: SessionRequest): void {
    const queryId = this.options.ids.newQueryID();
    record.body = encode({ ...record.request, queryId } as Request);
    this.setKey(record, queryKey(queryId));
  }

  // ---- answers -------------------------------------------------------------------

  private receive(message: LinkMessage): void {
    if (message.type === 'connection_status_event' && message.isConnected) this.armRecancels();
    const key = messageKey(message);
    const record = key === null ? undefined : this.byKey.get(key);
    if (record !== undefined) this.answer(record, message);
    else if (key !== null && message.type !== 'message_reply_event' && message.type !== 'message_sent_event') {
      // Late, duplicate, or the code-24 answer to a cancel of an old generation: harmless.
      this.options.logger.debug('a reply for no pending request', { type: message.type });
    }
    this.options.onMessage(message);
  }

  private answer(record: SessionRequest, message: LinkMessage): void {
    // The daemon answers a mixnet request only after taking it from its queue.
    if (record.inFifo) this.leftFifo(record);
    if (record.cls === 'cancel') {
      this.settle(record);
      record.onAnswered?.();
      return;
    }
    if (record.phase === 'abandoned') {
      // Its own answer (code 24 to our cancel, or the outcome): nothing of it is left at the daemon.
      if (record.cls === 'arq' || record.dispatched) this.settle(record);
      return;
    }
    const observer = record.observer;
    if (observer === null) return;
    if (message.type === 'invalid') {
      this.fail(record, message.error);
      return;
    }
    if (message.type === 'unknown') return;
    const verdict = observer.classify(message);
    if (verdict === 'ignore') return;
    if (verdict === 'final') this.settle(record);
    observer.next(message);
  }

  /** A sign that `record` left the daemon's FIFO: so did everything written before it. */
  private leftFifo(record: SessionRequest): void {
    record.inFifo = false;
    record.dispatched = true;
    for (const earlier of this.fifo.dispatched(record)) {
      earlier.inFifo = false;
      earlier.dispatched = true;
      if (earlier.phase !== 'abandoned') continue;
      if (earlier.cls !== 'arq') this.settle(earlier); // an abandoned SURB send: its place is free, nothing else to do
      else if (earlier.maybeQueued) {
        // Its cancel came too early, before dispatch: now it runs, so cancel it again.
        earlier.maybeQueued = false;
        this.stopRecancel(earlier);
        this.cancelAbandoned(earlier);
      }
    }
    this.pump();
  }

  // ---- cancels ---------------------------------------------------------------------

  /** Cancels an abandoned ARQ start written on the current connection. */
  private cancelAbandoned(record: SessionRequest): void {
    const generation = this.generation;
    this.writeCancel(record, () => {
      if (record.phase !== 'abandoned') return;
      if (record.dispatched || record.writtenOn !== generation) {
        // Not found though it had left the daemon's queue (or was written on a
        // connection whose queue is gone): the ARQ is over.
        this.settle(record);
      } else {
        // Not found, no sign of dispatch: it may still wait in the daemon's queue.
        record.maybeQueued = true;
        this.armRecancel(record);
      }
    });
  }

  /** Writes the cancel of `target`'s ARQ now (cancels are local: never held). */
  private writeCancel(target: SessionRequest, onAnswered: (() => void) | null): void {
    const cancel = new SessionRequest(++this.seq, 'cancel', target.cancel!, null);
    cancel.onAnswered = onAnswered === null ? null : () => {
      if (target.cancelOut === cancel) target.cancelOut = null;
      onAnswered();
    };
    if (onAnswered !== null) target.cancelOut = cancel;
    this.encodeWithFreshId(cancel);
    this.records.set(cancel.seq, cancel);
    this.write(cancel);
  }

  private armRecancel(record: SessionRequest): void {
    if (record.recancel !== null || !this.state.mixnet || !this.ready) return; // nothing leaves the queue while offline
    const delay = Math.min(RECANCEL_MAX_MS, RECANCEL_FIRST_MS * 2 ** record.recancelAttempts);
    record.recancel = timer(delay, this.options.scheduler).subscribe(() => {
      record.recancel = null;
      if (record.phase !== 'abandoned' || !record.maybeQueued || record.cancelOut !== null || !this.ready) return;
      record.maybeQueued = false;
      record.recancelAttempts++;
      this.cancelAbandoned(record);
    });
  }

  /** The daemon is online: its queue moves again, so abandoned starts that may wait in it are cancelled on a fresh backoff. */
  private armRecancels(): void {
    for (const record of this.records.values()) {
      if (record.phase !== 'abandoned' || !record.maybeQueued || record.recancel !== null) continue;
      record.recancelAttempts = 0;
      this.armRecancel(record);
    }
  }

  private stopRecancel(record: SessionRequest): void {
    record.recancel?.unsubscribe();
    record.recancel = null;
  }

  // ---- endings ---------------------------------------------------------------------

  private fail(record: SessionRequest, error: Error): void {
    const observer = record.observer;
    this.settle(record);
    observer?.fail(error);
  }

  private failAll(error: (record: SessionRequest) => Error): void {
    for (const record of this.fifo.clear()) record.inFifo = false;
    this.waiting = [];
    for (const record of [...this.records.values()]) this.fail(record, error(record));
  }

  /** Over: out of every table. */
  private settle(record: SessionRequest): void {
    if (record.phase === 'settled') return;
    const wasMixnet = isMixnetClass(record.cls);
    record.phase = 'settled';
    this.records.delete(record.seq);
    this.dropKey(record);
    this.releaseSlot(record);
    if (record.cancelKey !== null && this.cancelHolders.get(record.cancelKey) === record) this.cancelHolders.delete(record.cancelKey);
    this.stopRecancel(record);
    // A settled record may still count in the FIFO account (it left no sign yet): it stays there.
    if (wasMixnet && this.waiting.length > 0) this.pump();
  }

  private releaseSlot(record: SessionRequest): void {
    if (!record.admitted) return;
    record.admitted = false;
    this.admitted--;
  }

  private setKey(record: SessionRequest, key: string): void {
    this.dropKey(record);
    this.byKey.set(key, record);
    record.key = key;
  }

  private dropKey(record: SessionRequest): void {
    if (record.key !== null && this.byKey.get(record.key) === record) this.byKey.delete(record.key);
    record.key = null;
  }

  private update(patch: Partial<ConnectionState>): void {
    if (this.stateSubject.closed) return;
    this.stateSubject.next(Object.freeze({ ...this.stateSubject.value, ...patch }));
  }
}

const NO_HANDLE: RequestHandle = { abandon: () => undefined };

/**
 * The daemon's handle of an ARQ: the envelope hash, or the write-cap hash
 * of a copy command — one namespace for both (DAEMON.md §10.12).
 */
function cancelKeyOf(cancel: CancelRequest): string {
  const hash = cancel.type === 'cancel_resending_encrypted_message' ? cancel.envelopeHash : cancel.writeCapHash;
  return toHex(revealSecret(hash ?? new Uint8Array(0))); // hashes, never secrets: the type only allows one
}

/** Encodes a request, refusing one above the 40 MiB frame limit before anything is sent. */
function encode(request: Request): Uint8Array {
  const body = encodeRequest(request);
  if (body.length > WireSizes.maxFrameBody) {
    throw new InvalidArgumentError(request.type, `the encoded request is ${body.length} bytes, above the 40 MiB frame limit`);
  }
  return body;
}
