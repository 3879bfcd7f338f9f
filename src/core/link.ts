import type { Observable } from 'rxjs';
import type { MalformedMessageError } from '../errors/local-errors.js';
import type { UnknownVariant } from '../wire/codec.js';
import type { DaemonMessage } from '../wire/messages.js';

/**
 * A frame that decoded as CBOR but whose body does not fit the schema of
 * its (known) variant. Not fatal: the session fails the request it
 * answers, if its id was readable, and reports it on `events$`.
 */
export interface InvalidMessage {
  readonly type: 'invalid';
  readonly error: MalformedMessageError;
}

/** Everything a link delivers, in arrival order. */
export type LinkMessage = DaemonMessage | UnknownVariant | InvalidMessage;

/**
 * One open connection to the daemon at message level: decoded messages in,
 * requests out. The protocol logic in `core/` sees only this, never a
 * socket, so it can be driven by marble tests.
 */
export interface Link {
  /**
   * Messages in arrival order. Completes when the daemon closes the
   * connection; errors (e.g. `ProtocolError`, `FrameTooLargeError`,
   * `TransportError`) when the stream is unusable: a framing or CBOR
   * error, after which nothing that follows can be trusted. A message
   * that only breaks its schema arrives as an {@link InvalidMessage}.
   * Subscribe once.
   */
  readonly messages$: Observable<LinkMessage>;
  /**
   * Writes one encoded request (a CBOR body from `encodeRequest`); the link
   * adds the length prefix.
   */
  send(body: Uint8Array): void;
  /**
   * Closes our side of the connection (see `ByteStream.close`): the peer
   * still sees everything sent before. Idempotent.
   */
  close(): void;
  /**
   * Emits once and completes when the connection is closed at both ends
   * (see `ByteStream.whenClosed`): after it, the daemon has closed its socket,
   * which v0.0.99 does right before it unregisters the connection's AppID.
   */
  readonly whenClosed: Observable<void>;
  /**
   * True when {@link whenClosed} does not prove that the daemon has finished
   * the requests sent before our close: kpclientd's WebSocket library
   * answers a close frame from the connection's reader while its worker
   * still computes an encryption inline (a custom transport without
   * `whenClosed` is in the same position). Before closing such a link on
   * purpose, the client sends a request the worker answers in order (a
   * barrier) and closes only once it is answered. Default false.
   */
  readonly closeNeedsBarrier?: boolean;
}
