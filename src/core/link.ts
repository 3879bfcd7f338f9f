import type { Observable } from 'rxjs';
import type { UnknownVariant } from '../wire/codec.js';
import type { DaemonMessage } from '../wire/messages.js';

/**
 * One open connection to the daemon at message level: decoded messages in,
 * requests out. The protocol logic in `core/` sees only this, never a
 * socket, so it can be driven by marble tests.
 */
export interface Link {
  /**
   * Messages in arrival order. Completes when the daemon closes the
   * connection; errors (e.g. `ProtocolError`, `FrameTooLargeError`,
   * `TransportError`) when the stream is unusable. Subscribe once.
   */
  readonly messages$: Observable<DaemonMessage | UnknownVariant>;
  /**
   * Writes one encoded request (a CBOR body from `encodeRequest`); the link
   * adds the length prefix. Requests are encoded once, by whoever makes
   * them, so a replay after a reconnect re-sends the very same bytes.
   */
  send(body: Uint8Array): void;
  /** Closes the connection. Idempotent. */
  close(): void;
}
