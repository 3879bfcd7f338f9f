/**
 * katzenpost-rx for browsers and Electron renderers: what a bundler picks
 * under the `browser` export condition. Everything of the Node entry but
 * the parts that need Node built-ins — `loadConfig` (node:fs), `connectTcp`
 * and `connectUnix` (node:net) — and a WebSocket-only `connectByteStream`,
 * which is also the `ThinClient`'s default socket factory here. Reach the
 * daemon's WebSocket listener (`[Dial.Ws]`, kpclientd v0.0.92+); random
 * ids come from Web Crypto (`globalThis.crypto`). Build a config in code or
 * with `parseConfig(tomlText)`.
 *
 * @example
 * import { ThinClient } from 'katzenpost-rx';
 * const client = await ThinClient.connect({ dial: { ws: { address: 'ws://127.0.0.1:64332' } } });
 * client.state$.subscribe(({ daemon, mixnet }) => (badge.textContent = `${daemon}, ${mixnet ? 'online' : 'offline'}`));
 *
 * @packageDocumentation
 */

// Everything that runs anywhere (one list, shared with the Node entry).
export * from './universal.js';

// No TCP or Unix sockets in browsers: a WebSocket-only socket factory.
export { connectByteStream } from './transport/connect-byte-stream-browser.js';
