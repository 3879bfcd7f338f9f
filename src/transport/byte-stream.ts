import type { Observable } from 'rxjs';

/**
 * A connected, bidirectional byte stream to the daemon. Transports know
 * nothing about frames or CBOR; the protocol code never touches a socket.
 *
 * Ownership: every chunk emitted by `chunks$` is handed over to the
 * receiver — the transport never writes into it again (Node's sockets and
 * `ws` allocate a fresh buffer per read), so the frame decoder may hand out
 * views into it without copying.
 */
export interface ByteStream {
  /**
   * Bytes from the daemon, in order. Completes when the peer closes the
   * stream, errors with a `TransportError` on a socket error. Data is held
   * (the socket is paused) until the first subscription, so nothing that
   * arrives before the protocol layer subscribes is lost. Subscribe once.
   */
  readonly chunks$: Observable<Uint8Array>;
  /**
   * Writes the given buffers back to back, as one unit (a vectored write on
   * sockets, one binary message on WebSocket). The caller must not modify
   * them afterwards. Writes after `close()` are ignored.
   */
  write(buffers: readonly Uint8Array[]): void;
  /**
   * Closes our side: flushes what was written, then half-closes (FIN on a
   * socket, the close frame on WebSocket) and discards whatever still
   * arrives until the peer closes its side; `chunks$` completes at once.
   * A peer that never closes is cut off after a bound (30 s by default).
   * Idempotent.
   */
  close(): void;
  /**
   * Emits once and completes when the connection is closed at both ends:
   * the peer closed its side (after our `close()` or on its own), the
   * connection failed, or the close bound cut it off. Late subscribers get
   * it at once.
   *
   * Why it matters: kpclientd v0.0.99 unregisters a connection by AppID
   * only after it closes its socket, and a busy connection (an
   * `encrypt_write` takes seconds) does so seconds after our close. The
   * client waits for this before it resumes the session on a new
   * connection, or the old connection's late unregister would take the
   * resumed session with it. Optional for custom transports; without it
   * the client resumes at once and is exposed to that race.
   */
  readonly whenClosed?: Observable<void>;
  /**
   * False when the peer answers our close at once, before the daemon has
   * finished the requests sent ahead of it, so {@link whenClosed} proves
   * less than it does over TCP/Unix: WebSocket (kpclientd's library
   * answers the close frame from its reader goroutine). The client then
   * asks for an ordered reply before closing (`Link.closeNeedsBarrier`).
   * Default true.
   */
  readonly closeIsOrdered?: boolean;
}

/**
 * Opens a byte stream. Cold: each subscription dials once, emits the
 * connected stream, then completes; it errors with a `TransportError` if the
 * dial fails. Unsubscribing before the dial finishes aborts it.
 */
export type ByteStreamFactory<D = unknown> = (dial: D) => Observable<ByteStream>;
