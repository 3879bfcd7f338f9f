import { defer, type Observable } from 'rxjs';
import type { DialConfig } from '../config/dial-config.js';
import { validateConfig } from '../config/parse-config.js';
import { ConfigError } from '../errors/local-errors.js';
import type { ByteStream } from './byte-stream.js';
import { connectWebSocket, type WebSocketTransportOptions } from './websocket-transport.js';

/**
 * The browser build's socket factory (`katzenpost-rx` under the `browser`
 * export condition): the same contract as the Node `connectByteStream`,
 * but browsers have no TCP or Unix sockets, so only `[Dial.Ws]` can be
 * dialled. A TCP or Unix dial fails on the Observable with a
 * {@link ConfigError} naming the key, instead of pulling `node:net` into
 * the bundle. The browser bundle puts this module wherever the library
 * imports `./connect-byte-stream.js` (scripts/browser-bundle.ts), so the
 * `ThinClient`'s default socket factory is this one there.
 *
 * @example
 * connectByteStream({ ws: { address: 'ws://127.0.0.1:64332' } }).subscribe((stream) => stream.write([frame]));
 */
export function connectByteStream(dial: DialConfig, options: WebSocketTransportOptions = {}): Observable<ByteStream> {
  return defer(() => {
    // Same validation as in Node first: a malformed dial is reported as such.
    const valid = validateConfig({ dial }).dial;
    if (valid.tcp || valid.unix) {
      const key = valid.tcp ? 'Dial.Tcp' : 'Dial.Unix';
      throw new ConfigError('browsers can only reach the daemon over WebSocket: configure [Dial.Ws]', { key });
    }
    return connectWebSocket(valid.ws, options);
  });
}
