import { defer, type Observable } from 'rxjs';
import type { DialConfig } from '../config/dial-config.js';
import { validateConfig } from '../config/parse-config.js';
import type { ByteStream } from './byte-stream.js';
import { connectTcp } from './tcp-transport.js';
import { connectUnix } from './unix-transport.js';
import { connectWebSocket, type WebSocketTransportOptions } from './websocket-transport.js';

/**
 * The default socket factory: dials whichever transport `dial` names
 * (PROTOCOL.md §1.2) and emits one connected {@link ByteStream}. Cold;
 * unsubscribing before the connection is up aborts the dial. `options` is
 * passed to the WebSocket transport (e.g. an injected `WebSocketCtor`).
 *
 * @example
 * const config = await loadConfig('thinclient.toml');
 * connectByteStream(config.dial).subscribe((stream) => stream.write([frame]));
 */
export function connectByteStream(dial: DialConfig, options: WebSocketTransportOptions = {}): Observable<ByteStream> {
  return defer(() => {
    // Rejects zero or several transports (possible from plain JS) as a
    // ConfigError on the Observable instead of silently picking one.
    const valid = validateConfig({ dial }).dial;
    if (valid.tcp) return connectTcp(valid.tcp);
    if (valid.unix) return connectUnix(valid.unix);
    return connectWebSocket(valid.ws, options);
  });
}
