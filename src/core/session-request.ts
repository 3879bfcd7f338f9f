import type { Subscription } from 'rxjs';
import type { DaemonMessage, Request, RequestBody, RequestKind } from '../wire/messages.js';

/**
 * Where one request stands in its session — the explicit state machine of
 * DESIGN.md principle 6a. Every path ends in `settled`, and every path that
 * ends while a subscriber is there notifies it (a value, or a typed error):
 *
 * ```text
 *             write                     answer
 *   waiting ────────▶ sent ───────────────────────────────▶ settled (value or error)
 *      ▲                │ connection lost
 *      │                ▼
 *      └──────────  interrupted    decided at the next handshake:
 *        re-issue /                 local → resend; ARQ start → (resumed: cancel the old
 *        resend                     one first) re-issue under a fresh id; SURB send →
 *                                   resend if it never left the daemon's queue, keep
 *                                   waiting if resumed, else ConnectionLostError
 *   subscriber leaves:
 *     waiting                  → settled (nothing reached the daemon)
 *     sent, interrupted        → abandoned → settled once the daemon can hold nothing of
 *                                it: its ARQ cancelled or answered, its place in the
 *                                daemon's queue given back (a sign of dispatch)
 *   the client gives up or is closed: every state → settled, subscribers get
 *     ConnectionLostError / ClientClosedError
 * ```
 */
export type RequestPhase = 'waiting' | 'sent' | 'interrupted' | 'abandoned' | 'settled';

/**
 * What kind of exchange a request is, which decides its fate at every
 * connection change (by kind, not by a flag its caller chose):
 * - `local`: answered at once by the daemon (keys, encryption, index
 *   arithmetic, PKI, envelopes, cancels the application asked for);
 * - `arq`: `start_resending_*`, a daemon ARQ: mixnet-bound (the daemon's
 *   FIFO), cancellable, reconnect-sensitive;
 * - `surb`: `send_message` with a SURB: mixnet-bound, not cancellable,
 *   answered by `message_sent_event` then `message_reply_event`;
 * - `oneway`: `send_message` without a SURB: no answer at all;
 * - `cancel`: the session's own cancel of an ARQ it abandoned or replaces.
 */
export type RequestClass = 'local' | 'arq' | 'surb' | 'oneway' | 'cancel';

/** A request type-safe by kind, without the `queryId` (the session makes it). */
export type QueryRequest<K extends RequestKind> = { readonly type: K } & Omit<RequestBody<K>, 'queryId'>;

/** The cancel that stops an ARQ start. */
export type CancelRequest = QueryRequest<'cancel_resending_encrypted_message'> | QueryRequest<'cancel_resending_copy_command'>;

/** How a subscriber takes the messages correlated to its request. */
export interface RequestObserver {
  /**
   * What `message` means for the request: `final` ends it (the session
   * forgets it, then calls {@link next}), `progress` is passed on while it
   * goes on (a SURB send's `message_sent_event`), `ignore` drops it.
   */
  classify(message: DaemonMessage): 'final' | 'progress' | 'ignore';
  /** A message classified `final` or `progress`. */
  next(message: DaemonMessage): void;
  /** The request ended with a typed error (after the session forgot it). */
  fail(error: Error): void;
}

/** What the submitter of a request holds: its way out. */
export interface RequestHandle {
  /**
   * The subscriber has left (unsubscribed, timed out): the session cancels
   * what the daemon still runs for it, and notifies nobody. No-op once the
   * request has ended.
   */
  abandon(): void;
}

/** Mixnet-bound classes: they pass through the daemon's FIFO. */
export function isMixnetClass(cls: RequestClass): boolean {
  return cls === 'arq' || cls === 'surb' || cls === 'oneway';
}

/** The class of a request, by kind. */
export function requestClass(request: Request | QueryRequest<RequestKind>): RequestClass {
  switch (request.type) {
    case 'start_resending_encrypted_message':
    case 'start_resending_copy_command':
      return 'arq';
    case 'send_message':
      return (request as { withSurb?: boolean }).withSurb ? 'surb' : 'oneway';
    default:
      return 'local';
  }
}

/**
 * One request's record in the session. Plain data: the session alone
 * changes it (see `Session`).
 */
export class SessionRequest {
  phase: RequestPhase = 'waiting';
  /** The correlation key registered for it now (query id or SURB id), or null. */
  key: string | null = null;
  /** The encoded request to write; null when an ARQ start must be re-encoded under a fresh query id. */
  body: Uint8Array | null = null;
  /** Holds one of the client's in-flight slots for mixnet requests (`maxMixnetInFlight`). */
  admitted = false;
  /** Counted in the daemon FIFO account of the current connection. */
  inFifo = false;
  /** A sign that the daemon took its current write from its FIFO. */
  dispatched = false;
  /** Connection generation of its current write. */
  writtenOn = 0;
  /** Abandoned ARQ: a cancel is out for it. */
  cancelOut: SessionRequest | null = null;
  /** Abandoned ARQ: its cancel found nothing and it showed no sign of dispatch — it may still be queued. */
  maybeQueued = false;
  /** Abandoned ARQ on a lost connection: cancel it after the next handshake if the session resumes. */
  cancelOnResume = false;
  /** Abandoned ARQ that may be queued: the next cancel, and how many were sent. */
  recancel: Subscription | null = null;
  recancelAttempts = 0;
  /** For the session's own cancels: what to do with the answer. */
  onAnswered: (() => void) | null = null;

  constructor(
    /** Submission order: decisions and replays follow it. */
    readonly seq: number,
    readonly cls: RequestClass,
    /** The request, without its query id for query-correlated kinds (re-encoded on re-issue). */
    readonly request: Request | QueryRequest<RequestKind>,
    /** Whoever waits for it; null once it was abandoned (or for the session's own requests). */
    public observer: RequestObserver | null,
    /** ARQ starts: the cancel that stops them, and its key (envelope or write-cap hash). */
    readonly cancel: CancelRequest | null = null,
    readonly cancelKey: string | null = null,
  ) {}

  get kind(): RequestKind {
    return this.request.type;
  }
}
