import { Observable, type SchedulerLike } from 'rxjs';
import { ClientClosedError, ConnectionLostError, InvalidArgumentError } from '../errors/local-errors.js';
import type { DisconnectInfo, ReadyInfo } from '../core/connection-controller.js';
import { toHex } from '../core/hex.js';
import type { IdGenerator } from '../core/ids.js';
import type { Logger } from '../core/logger.js';
import { MixnetGate } from '../core/mixnet-gate.js';
import { PendingRequests, type PendingEntry, type ReconnectBehaviour } from '../core/pending-requests.js';
import { encodeRequest, type UnknownVariant } from '../wire/codec.js';
import { WireSizes } from '../wire/constants.js';
import type { DaemonMessage, DaemonMessageOf, Request, RequestBody, RequestKind, ResponseKind } from '../wire/messages.js';
import { withTimeout } from './with-timeout.js';

/** Where the engine sends encoded requests (the connection controller). */
export interface RequestSink {
  /** Writes now, or queues until connected; false when queued (or dropped after close). */
  send(body: Uint8Array): boolean;
  /** Whether a body is still queued (not yet written). */
  isQueued(body: Uint8Array): boolean;
  /** Takes a queued body back; true if it had not been written. */
  withdraw(body: Uint8Array): boolean;
}

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

/** A request type-safe by kind, without the `queryId` (the engine makes it). */
export type QueryRequest<K extends RequestKind> = { readonly type: K } & Omit<RequestBody<K>, 'queryId'>;

/** How to run one query-correlated request. */
export interface QuerySpec<K extends RequestKind, RK extends ResponseKind, R> {
  readonly request: QueryRequest<K>;
  /** The reply variant that answers it. */
  readonly replyType: RK;
  /** Turns the reply into the emitted value, or throws the typed error. */
  readonly result: (reply: DaemonMessageOf<RK>) => R;
  /** For daemon ARQ operations: the cancel to send if the subscriber leaves early. */
  readonly cancel?: QueryRequest<'cancel_resending_encrypted_message'> | QueryRequest<'cancel_resending_copy_command'>;
  readonly onReconnect?: ReconnectBehaviour;
  /** Mixnet-bound (`start_resending_*`): goes through the client's in-flight limit. */
  readonly mixnet?: boolean;
  readonly options?: RequestOptions | undefined;
}

/**
 * Turns requests into cold Observables correlated through one table
 * (DESIGN.md principles 6 and 7).
 *
 * Each subscription: makes a query id, registers the entry, *then* sends
 * (so a reply can never beat its registration), and emits the mapped reply.
 * Every exit path removes the entry: reply, error, timeout, unsubscribe,
 * connection loss, close. Unsubscribing from a daemon ARQ operation that is
 * still pending sends its cancel once; the daemon's code-24 reply to our own
 * cancel then finds no entry and is absorbed.
 */
export class RequestEngine {
  private readonly pending = new PendingRequests();
  private readonly gate: MixnetGate;
  private closedError: Error | null = null;

  constructor(
    /** The current connection, or null while disconnected (requests then fail). */
    private readonly connection: () => RequestSink | null,
    private readonly ids: IdGenerator,
    private readonly scheduler: SchedulerLike,
    private readonly logger: Logger,
    private readonly defaultTimeoutMs: number | undefined,
    maxMixnetInFlight = 16,
  ) {
    this.gate = new MixnetGate(maxMixnetInFlight);
  }

  /** Mixnet requests waiting for a slot under the in-flight limit. */
  get queuedMixnetCount(): number {
    return this.gate.queued;
  }

  /** Requests waiting for a reply (for diagnostics and leak checks). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** A cold Observable that sends `spec.request` on subscribe and emits its mapped reply. */
  query<K extends RequestKind, RK extends ResponseKind, R>(spec: QuerySpec<K, RK, R>): Observable<R> {
    const source = new Observable<R>((subscriber) => {
      const sink = this.connection();
      if (this.closedError || !sink) {
        subscriber.error(this.closedError ?? new ClientClosedError(spec.request.type));
        return;
      }
      const queryId = this.ids.newQueryID();
      const kind = spec.request.type;
      let body: Uint8Array;
      try {
        body = this.encode({ ...spec.request, queryId } as Request);
      } catch (error) {
        subscriber.error(error);
        return;
      }
      const key = queryKey(queryId);
      let finished = false;
      let release = (): void => undefined;
      const finish = () => {
        finished = true;
        this.pending.delete(key);
      };
      const entry: PendingEntry = {
        kind,
        body,
        onReconnect: spec.onReconnect ?? 'resend',
        held: spec.mixnet === true,
        deliver: (message) => {
          if (message.type !== spec.replyType) return false;
          finish();
          release();
          let value: R;
          try {
            value = spec.result(message as DaemonMessageOf<RK>);
          } catch (error) {
            subscriber.error(error);
            return true;
          }
          subscriber.next(value);
          subscriber.complete();
          return true;
        },
        fail: (error) => {
          finish();
          release();
          subscriber.error(error);
        },
      };
      this.pending.register(key, entry);
      if (spec.mixnet) {
        release = this.gate.acquire(() => {
          entry.held = false;
          this.connection()?.send(body);
        });
      } else {
        sink.send(body);
      }
      return () => {
        if (finished) return;
        const neverSent = entry.held;
        finish();
        // Held here or still in the outbox: it never reached the daemon, nothing to cancel.
        const reachedDaemon = !neverSent && !sink.withdraw(body);
        if (reachedDaemon && spec.cancel && !this.closedError && this.connection() === sink) {
          this.logger.debug('cancelling an abandoned operation', { request: kind });
          this.fireAndForget(spec.cancel);
        }
        // The slot is freed after the cancel is on its way, so the next held request follows it.
        release();
      };
    });
    return source.pipe(withTimeout(spec.request.type, spec.options?.timeoutMs ?? this.defaultTimeoutMs, this.scheduler));
  }

  /**
   * Sends a request whose reply nobody waits for (our own cancels). It is
   * still registered, so its reply is recognised and it survives a reconnect.
   */
  fireAndForget<K extends RequestKind>(request: QueryRequest<K>): void {
    const sink = this.connection();
    if (!sink) return;
    const queryId = this.ids.newQueryID();
    const key = queryKey(queryId);
    const body = this.encode({ ...request, queryId } as Request);
    this.pending.register(key, {
      kind: request.type,
      body,
      onReconnect: 'resend',
      deliver: () => this.pending.delete(key),
      fail: () => this.pending.delete(key),
    });
    sink.send(body);
  }

  /**
   * Registers an entry under a SURB id (legacy `send_message` replies are
   * correlated by `surbid`, PROTOCOL.md §5.1) and sends its body.
   * Returns a function that removes the entry.
   */
  registerSurb(
    surbId: Uint8Array,
    entry: Omit<PendingEntry, 'body'> & { readonly request: Request },
  ): { send: () => void; remove: () => void } {
    const sink = this.connection();
    if (this.closedError || !sink) throw this.closedError ?? new ClientClosedError(entry.kind);
    const key = surbKey(surbId);
    const body = this.encode(entry.request);
    const { request: _request, ...rest } = entry;
    const registered: PendingEntry = { ...rest, body, held: true };
    this.pending.register(key, registered);
    let release = (): void => undefined;
    return {
      // A SURB send is mixnet-bound: it takes a slot until its entry is removed.
      send: () => {
        release = this.gate.acquire(() => {
          registered.held = false;
          this.connection()?.send(body);
        });
      },
      remove: () => {
        release();
        if (this.pending.delete(key)) sink.withdraw(body);
      },
    };
  }

  /** Sends a request that has no reply at all (`send_message` without a SURB). */
  sendUncorrelated(request: Request): void {
    const sink = this.connection();
    if (this.closedError || !sink) throw this.closedError ?? new ClientClosedError(request.type);
    sink.send(this.encode(request));
  }

  /** Routes one daemon message to the request waiting for it, if any. */
  route(message: DaemonMessage | UnknownVariant): void {
    let key: string | null = null;
    if ('queryId' in message) {
      if (message.queryId) key = queryKey(message.queryId);
    } else if (message.type === 'message_sent_event' || message.type === 'message_reply_event') {
      if (message.surbId) key = surbKey(message.surbId);
    }
    if (key === null) return;
    const entry = this.pending.get(key);
    if (entry) entry.deliver(message as DaemonMessage);
    else if (message.type !== 'message_reply_event' && message.type !== 'message_sent_event') {
      // Late, duplicate, or the code-24 answer to our own cancel: harmless.
      this.logger.debug('reply for no pending request', { type: message.type });
    }
  }

  /** A connection is back: re-send what may have been lost (see `ReconnectBehaviour`). */
  reconnected(info: ReadyInfo): void {
    const sink = this.connection();
    if (!info.reconnected || !sink) return;
    for (const [, entry] of this.pending.snapshot()) {
      if (entry.held || sink.isQueued(entry.body)) continue;
      if (entry.onReconnect === 'resume-only' && (!info.resumed || info.instanceChanged)) {
        entry.fail(new ConnectionLostError(entry.kind));
      } else if (entry.onReconnect === 'resend') {
        sink.send(entry.body);
      }
    }
  }

  /** A connection was lost: without a reconnect, nothing pending can complete. */
  disconnected(info: DisconnectInfo): void {
    if (info.willReconnect) return;
    for (const entry of this.pending.drain()) entry.fail(new ConnectionLostError(entry.kind, { cause: info.error ?? undefined }));
  }

  /** Fails everything pending with `ClientClosedError` (the client was closed or disconnected). */
  failAll(): void {
    for (const entry of this.pending.drain()) entry.fail(new ClientClosedError(entry.kind));
  }

  /** Fails everything pending and refuses new requests, for good. */
  close(): void {
    this.closedError ??= new ClientClosedError();
    this.failAll();
  }

  private encode(request: Request): Uint8Array {
    const body = encodeRequest(request);
    if (body.length > WireSizes.maxFrameBody) {
      throw new InvalidArgumentError(request.type, `the encoded request is ${body.length} bytes, above the 40 MiB frame limit`);
    }
    return body;
  }
}

/*
 * Correlation keys. A 16-byte id becomes one flat 9-character string: a
 * namespace character ('q' for query ids, 's' for SURB ids), then the id
 * two bytes per UTF-16 code unit, made in one call. Hex keys (as before)
 * took 32 string concatenations and a flattening per key, twice per request
 * (register, route) — about a microsecond of every local request in the
 * benchmark profiles (bench/, P1). Keys never leave the pending table. Ids
 * of another length (the schemas make them 16) keep a hex key, which can
 * never equal a 9-character one (hex keys have an even length).
 */
function queryKey(queryId: Uint8Array): string {
  return idKey(0x71 /* q */, 'q:', queryId);
}

function surbKey(surbId: Uint8Array): string {
  return idKey(0x73 /* s */, 's:', surbId);
}

function idKey(namespace: number, hexPrefix: string, id: Uint8Array): string {
  if (id.length !== 16) return hexPrefix + toHex(id);
  return String.fromCharCode(
    namespace,
    (id[0]! << 8) | id[1]!,
    (id[2]! << 8) | id[3]!,
    (id[4]! << 8) | id[5]!,
    (id[6]! << 8) | id[7]!,
    (id[8]! << 8) | id[9]!,
    (id[10]! << 8) | id[11]!,
    (id[12]! << 8) | id[13]!,
    (id[14]! << 8) | id[15]!,
  );
}
