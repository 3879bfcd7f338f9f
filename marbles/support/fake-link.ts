import { AsyncSubject, Observable, Subject } from 'rxjs';
import type { Link } from '../../src/core/link.js';
import { decodeRequest, type UnknownVariant } from '../../src/wire/codec.js';
import type { DaemonMessage, DecodedRequest } from '../../src/wire/messages.js';

/** A scripted daemon connection for marble tests: push messages, read what was sent. */
export class FakeLink implements Link {
  /** Push here to deliver messages imperatively (when no script is given). */
  readonly incoming = new Subject<DaemonMessage | UnknownVariant>();
  readonly sent: DecodedRequest[] = [];
  closed = false;
  /** See `Link.closeNeedsBarrier` (a WebSocket link); settable per test. */
  closeNeedsBarrier = false;
  readonly messages$: Observable<DaemonMessage | UnknownVariant>;

  private readonly bothClosed = new AsyncSubject<void>();
  readonly whenClosed = this.bothClosed.asObservable();

  /**
   * @param peerCloses The daemon closes its side as soon as we close ours
   *   (default). False: it closes only when the test calls {@link peerClosed}
   *   (a daemon busy encrypting, or a half-open peer).
   */
  constructor(
    scripted?: Observable<DaemonMessage | UnknownVariant>,
    private readonly now: () => number = () => 0,
    private readonly peerCloses = true,
  ) {
    this.messages$ = scripted ?? this.incoming;
  }

  /** The daemon has closed its side: the connection is closed at both ends. */
  peerClosed(): void {
    this.bothClosed.next();
    this.bothClosed.complete();
  }

  /** Times (scheduler frames) at which each request was sent, parallel to `sent`. */
  readonly sentAt: number[] = [];

  send(body: Uint8Array): void {
    const request = decodeRequest(body);
    if (request.type === 'unknown') throw new Error('sent an unknown request');
    this.sent.push(request);
    this.sentAt.push(this.now());
  }

  close(): void {
    this.closed = true;
    if (this.peerCloses) this.peerClosed();
  }

  /** The sent requests' types, for compact assertions. */
  sentTypes(): string[] {
    return this.sent.map((r) => r.type);
  }
}
