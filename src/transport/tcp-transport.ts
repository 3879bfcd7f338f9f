import { Observable } from 'rxjs';
import type { TcpDial } from '../config/dial-config.js';
import { parseTcpAddress } from '../config/parse-tcp-address.js';
import { validateConfig } from '../config/parse-config.js';
import { ConfigError } from '../errors/local-errors.js';
import type { ByteStream } from './byte-stream.js';
import { dialNodeSocket } from './dial-node-socket.js';

/**
 * Connects to the daemon's TCP listener (`[Dial.Tcp]`, PROTOCOL.md §1.2).
 * Cold: each subscription dials once, emits the connected
 * {@link ByteStream} and completes; unsubscribing before the connection is
 * up aborts the dial. TCP_NODELAY is set (as the Go client does) so small
 * request frames are not held back by Nagle's algorithm.
 *
 * `network` `tcp4`/`tcp6` restricts name resolution to IPv4/IPv6 like Go's
 * `net.Dial`; `tcp` (default) lets Node try both.
 *
 * Errors: a malformed `dial` is a `ConfigError` (retrying cannot help);
 * a failed dial is a `TransportError` naming the address.
 *
 * @example
 * connectTcp({ address: 'localhost:64331' }).subscribe((stream) => {
 *   stream.chunks$.subscribe((chunk) => console.log(chunk.byteLength));
 * });
 */
export function connectTcp(dial: TcpDial): Observable<ByteStream> {
  return new Observable<ByteStream>((subscriber) => {
    // Same rules as a config file, so a hand-built dial cannot slip past;
    // throwing here becomes the Observable's error.
    validateConfig({ dial: { tcp: dial } });
    const parsed = parseTcpAddress(dial.address);
    if (!parsed.ok) throw new ConfigError(parsed.reason, { key: 'dial.tcp.address' });
    const { host, port } = parsed.address;
    const family = dial.network === 'tcp4' ? 4 : dial.network === 'tcp6' ? 6 : undefined;
    return dialNodeSocket(
      { host, port, noDelay: true, ...(family === undefined ? {} : { family }) },
      `TCP ${dial.address}`,
    ).subscribe(subscriber);
  });
}
