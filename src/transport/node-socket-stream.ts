import type { Socket } from 'node:net';
import { AsyncSubject, Observable, type Subscriber } from 'rxjs';
import { TransportError } from '../errors/local-errors.js';
import { DAEMON_CLOSE_WAIT_MS } from '../wire/constants.js';
import type { ByteStream } from './byte-stream.js';
import { tickBatchedWriter } from './tick-batched-writer.js';

/**
 * Wraps a connected `net.Socket` (TCP or Unix) into a {@link ByteStream}.
 * Used by the TCP and Unix transports; knows nothing of frames.
 *
 * - The socket is paused until `chunks$` is subscribed, and again while it
 *   has no subscriber, so bytes that arrive before the protocol layer
 *   subscribes wait in the socket instead of being dropped. One subscriber
 *   at a time; a later one continues where the previous one stopped.
 * - Chunks are the buffers Node allocates for each read, handed over as
 *   plain `Uint8Array` views (no copy). Plain, so that `slice()` copies as
 *   receivers expect, and nothing depends on `Buffer`.
 * - `write(buffers)` writes the buffers back to back. The first write of
 *   a tick goes out at once; further writes in the same tick go out
 *   together on `process.nextTick` (`tickBatchedWriter`).
 * - `close()` flushes what was written and sends FIN (a half-close), then
 *   reads and discards until the peer's FIN, and only then is the socket
 *   gone: `whenClosed` says when. `chunks$` completes at once. A peer that
 *   never closes is cut off after `closeBoundMs`. The closing socket does
 *   not keep the process alive. Idempotent; later writes are ignored.
 * - Peer EOF completes `chunks$` (after all data); a socket error errors it
 *   with a {@link TransportError} whose `cause` is the Node error.
 *
 * @param socket A socket that has already emitted `connect`.
 * @param label Names the peer in error messages, e.g. `TCP localhost:64331`.
 * @param closeBoundMs How long `close()` waits for the peer's FIN before it destroys the socket.
 * @example
 * const socket = net.connect({ port: 64331 }, () => {
 *   const stream = nodeSocketStream(socket, 'TCP localhost:64331');
 *   stream.chunks$.subscribe((chunk) => decoder.push(chunk));
 * });
 */
export function nodeSocketStream(socket: Socket, label: string, closeBoundMs = DAEMON_CLOSE_WAIT_MS): ByteStream {
  let subscriber: Subscriber<Uint8Array> | undefined;
  // Set once: how chunks$ ended (undefined error = completed).
  let terminal: { readonly error: TransportError | undefined } | undefined;
  let closed = false;
  const writeBatched = tickBatchedWriter(socket);

  // Explicit pause: after it, adding a 'data' listener does not start the
  // flow by itself, so only subscribe() below resumes the socket.
  socket.pause();

  const onData = (buffer: Buffer): void => {
    subscriber?.next(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength));
  };

  const finish = (error: TransportError | undefined): void => {
    if (terminal) return;
    terminal = { error };
    socket.off('data', onData);
    const s = subscriber;
    subscriber = undefined;
    if (!s) return;
    if (error) s.error(error);
    else s.complete();
  };

  // Attached for the socket's whole life: an 'error' without a listener
  // would crash the process (e.g. EPIPE after the stream was closed).
  socket.on('error', (error: Error & { code?: string }) => {
    finish(new TransportError(`connection to ${label} failed${error.code ? ` (${error.code})` : ''}`, { cause: error }));
  });
  // 'end' is emitted only after every buffered chunk was delivered.
  socket.on('end', () => finish(undefined));
  // Covers a socket destroyed by someone else without an error.
  socket.on('close', () => finish(undefined));
  // 'close' comes once both directions are shut (or the socket was destroyed).
  const bothClosed = new AsyncSubject<void>();
  socket.once('close', () => {
    bothClosed.next();
    bothClosed.complete();
  });

  const chunks$ = new Observable<Uint8Array>((s) => {
    if (terminal) {
      if (terminal.error) s.error(terminal.error);
      else s.complete();
      return undefined;
    }
    if (subscriber) {
      s.error(new TransportError(`chunks$ of ${label} already has a subscriber`));
      return undefined;
    }
    subscriber = s;
    socket.on('data', onData);
    socket.resume();
    return () => {
      if (subscriber !== s) return;
      subscriber = undefined;
      socket.off('data', onData);
      if (!terminal) socket.pause();
    };
  });

  return {
    chunks$,
    write(buffers: readonly Uint8Array[]): void {
      if (closed || terminal || !socket.writable) return;
      writeBatched(buffers);
    },
    close(): void {
      if (closed) return;
      closed = true;
      finish(undefined);
      if (socket.destroyed) return;
      // Half-close: end() flushes pending writes (a final thin_close must
      // reach the daemon) before our FIN; the daemon's FIN comes when its
      // connection worker is done, right before it unregisters our AppID
      // (see ByteStream.whenClosed). Keep reading, discarding, so that FIN is
      // seen; Node then closes the socket by itself (allowHalfOpen false).
      socket.resume();
      // Nobody waits on a closing socket but a later dial, which keeps the process alive itself.
      socket.unref();
      const bound = setTimeout(() => socket.destroy(), closeBoundMs);
      bound.unref();
      socket.once('close', () => clearTimeout(bound));
      socket.end();
    },
    whenClosed: bothClosed.asObservable(),
  };
}
