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
  /** Closes the stream; `chunks$` completes. Idempotent. */
  close(): void;
}

/**
 * Opens a byte stream. Cold: each subscription dials once, emits the
 * connected stream, then completes; it errors with a `TransportError` if the
 * dial fails. Unsubscribing before the dial finishes aborts it.
 */
export type ByteStreamFactory<D = unknown> = (dial: D) => Observable<ByteStream>;
