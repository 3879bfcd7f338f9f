import { Observable } from 'rxjs';
import type { UnixDial } from '../config/dial-config.js';
import { validateConfig } from '../config/parse-config.js';
import { TransportError } from '../errors/local-errors.js';
import type { ByteStream } from './byte-stream.js';
import { dialNodeSocket } from './dial-node-socket.js';

/**
 * Options of {@link connectUnix}; for tests and unusual platforms.
 *
 * @inline
 * @example
 * connectUnix({ address: '@kpclientd' }, { platform: 'darwin' }); // errors: no abstract namespace
 */
export interface UnixTransportOptions {
  /** Overrides `process.platform` when deciding whether `@name` is possible. */
  readonly platform?: string;
}

/**
 * Connects to the daemon's Unix socket listener (`[Dial.Unix]`,
 * PROTOCOL.md §1.2). `address` is a filesystem path, or `@name` for a Linux
 * abstract socket, which is dialled as the path `"\0name"` (the spelling
 * Go and the Python client use for the same socket). On platforms without
 * an abstract namespace, `@name` fails with a {@link TransportError}.
 *
 * Cold, like every dial: emits one connected {@link ByteStream} and
 * completes; unsubscribing before the connection is up aborts the dial.
 *
 * @example
 * connectUnix({ address: '@katzenpost' }).subscribe((stream) => stream.write([frame]));
 */
export function connectUnix(dial: UnixDial, options: UnixTransportOptions = {}): Observable<ByteStream> {
  return new Observable<ByteStream>((subscriber) => {
    // Throwing here becomes the Observable's error.
    validateConfig({ dial: { unix: dial } });
    const label = `Unix socket ${dial.address}`;
    let path = dial.address;
    if (path.startsWith('@')) {
      const platform = options.platform ?? process.platform;
      // Android is Linux underneath and has the abstract namespace too.
      if (platform !== 'linux' && platform !== 'android') {
        subscriber.error(
          new TransportError(`could not connect to ${label}: abstract sockets (@name) exist only on Linux`),
        );
        return undefined;
      }
      path = `\0${path.slice(1)}`;
    }
    return dialNodeSocket({ path }, label).subscribe(subscriber);
  });
}
