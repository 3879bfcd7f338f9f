import { AsyncSubject, Observable, Subject, type SchedulerLike } from 'rxjs';
import type { Link, LinkMessage } from '../../src/core/link.js';
import { IdGenerator } from '../../src/core/ids.js';
import { decodeRequest } from '../../src/wire/codec.js';
import type { DaemonMessage, DecodedRequest } from '../../src/wire/messages.js';
import { pkiEvent, status, tokenReply } from './daemon-messages.js';

/** A reply to schedule `delay` virtual ms after the request was sent. */
export interface ScriptedReply {
  readonly delay: number;
  readonly message: DaemonMessage;
}

/** Decides the replies to each request (`at` = virtual time it was sent). */
export type Responder = (request: DecodedRequest, at: number) => ScriptedReply[];

export interface ScriptedLinkOptions {
  /** Greet (status + PKI event) as soon as the link is read, and answer the session token. Default true. */
  readonly greet?: boolean;
  /** `resumed` of the session_token_reply. */
  readonly resumed?: boolean;
  /** Fill byte of the daemon's instance token (a different one = a restarted daemon). */
  readonly instance?: number;
  /** Is the daemon connected to the mixnet. */
  readonly online?: boolean;
  /** Answers requests (not the session token). */
  readonly respond?: Responder;
}

/**
 * One scripted daemon connection for marble tests of the session: it
 * greets, answers the session token, answers requests through a script in
 * virtual time, and records what the client sent. `push` and `drop` play
 * the daemon by hand.
 */
export class ScriptedLink implements Link {
  private readonly incoming = new Subject<LinkMessage>();
  /** What the client sent, in order, except its session token. */
  readonly sent: Array<{ at: number; request: DecodedRequest }> = [];
  /** When the client sent its session token. */
  readonly tokenSentAt: number[] = [];
  closed = false;
  readonly messages$: Observable<LinkMessage>;
  private readonly bothClosed = new AsyncSubject<void>();
  /** The daemon closes its side as soon as we close ours (or when it drops the link). */
  readonly whenClosed = this.bothClosed.asObservable();

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly options: ScriptedLinkOptions = {},
  ) {
    this.messages$ = new Observable<LinkMessage>((subscriber) => {
      const subscription = this.incoming.subscribe(subscriber);
      if (options.greet ?? true) {
        this.push(status(options.online ?? true, options.instance ?? 1));
        this.push(pkiEvent());
      }
      return subscription;
    });
  }

  send(body: Uint8Array): void {
    const request = decodeRequest(body);
    if (request.type === 'unknown') throw new Error('sent an unknown request');
    const at = this.scheduler.now();
    if (request.type === 'session_token') {
      this.tokenSentAt.push(at);
      if (this.options.greet ?? true) this.push(tokenReply(this.options.resumed ?? false));
      return;
    }
    this.sent.push({ at, request });
    for (const reply of this.options.respond?.(request, at) ?? []) {
      this.scheduler.schedule(() => this.push(reply.message), reply.delay);
    }
  }

  close(): void {
    this.closed = true;
    this.closedBothWays();
  }

  private closedBothWays(): void {
    this.bothClosed.next();
    this.bothClosed.complete();
  }

  /** Delivers a message from the daemon now. */
  push(message: LinkMessage): void {
    if (!this.closed) this.incoming.next(message);
  }

  /** The daemon side drops the connection (with an error, or a clean close). */
  drop(error?: Error): void {
    if (error) this.incoming.error(error);
    else this.incoming.complete();
    this.closedBothWays();
  }

  /** The requests sent (without the session token). */
  requests(): DecodedRequest[] {
    return this.sent.map((s) => s.request);
  }

  /** Their types, for compact assertions. */
  types(): string[] {
    return this.requests().map((r) => r.type);
  }

  /** The query id of the n-th request (session token not counted). */
  queryId(n: number): Uint8Array {
    const request = this.requests()[n] as { queryId?: Uint8Array | null } | undefined;
    if (!request?.queryId) throw new Error(`request ${n} has no query id`);
    return request.queryId;
  }
}

/** Deterministic ids: 1, 2, 3 … in the first four bytes (big-endian). */
export function counterIds(): IdGenerator {
  let counter = 0;
  return new IdGenerator((length) => {
    const out = new Uint8Array(length);
    new DataView(out.buffer).setUint32(0, ++counter, false);
    return out;
  });
}
