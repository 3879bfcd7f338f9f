/**
 * katzenpost-rx: an RxJS thin client for the Katzenpost client daemon.
 *
 * @example
 * import { ThinClient, loadConfig } from 'katzenpost-rx';
 * const client = await ThinClient.connect(await loadConfig('thinclient.toml'));
 *
 * @packageDocumentation
 * @module katzenpost-rx
 */

// Everything that runs anywhere (one list, shared with the browser entry).
export * from './universal.js';

// Node only: the config file and the TCP/Unix sockets. The browser entry
// has a WebSocket-only connectByteStream instead (src/browser.ts).
export { loadConfig } from './config/load-config.js';
export { connectByteStream } from './transport/connect-byte-stream.js';
export { connectTcp } from './transport/tcp-transport.js';
export { connectUnix } from './transport/unix-transport.js';
export { FileChannelStore, SqliteChannelStore, writeFileAtomic } from './channels/node.js';
export type { SqliteBackend } from './channels/node.js';
