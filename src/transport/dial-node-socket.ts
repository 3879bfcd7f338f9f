import { connect, type NetConnectOpts } from 'node:net';
import { Observable } from 'rxjs';
import { TransportError } from '../errors/local-errors.js';
import type { ByteStream } from './byte-stream.js';
import { nodeSocketStream } from './node-socket-stream.js';

/**
 * Dials a TCP or Unix socket with `net.connect` as a cold Observable:
 * subscribing dials, the connected {@link ByteStream} is emitted once, then
 * the Observable completes. Unsubscribing before the connection is up
 * destroys the socket (the dial is aborted). A failed dial errors with a
 * {@link TransportError} whose message names only `label` and the error
 * code; the Node error is its `cause`.
 *
 * @param options Passed to `net.connect` unchanged.
 * @param label The peer as users wrote it, e.g. `TCP localhost:64331`.
 * @example
 * dialNodeSocket({ host: '127.0.0.1', port: 64331, noDelay: true }, 'TCP 127.0.0.1:64331')
 *   .subscribe((stream) => stream.write([bytes]));
 */
export function dialNodeSocket(options: NetConnectOpts, label: string): Observable<ByteStream> {
  return new Observable<ByteStream>((subscriber) => {
    const socket = connect(options);
    let settled = false;
    const onError = (error: Error & { code?: string }): void => {
      settled = true;
      subscriber.error(
        new TransportError(`could not connect to ${label}${error.code ? ` (${error.code})` : ''}`, { cause: error }),
      );
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      settled = true;
      // The stream attaches its own permanent 'error' listener first, so
      // the socket is never without one.
      const stream = nodeSocketStream(socket, label);
      socket.off('error', onError);
      subscriber.next(stream);
      subscriber.complete();
    });
    return () => {
      if (!settled) socket.destroy();
    };
  });
}
