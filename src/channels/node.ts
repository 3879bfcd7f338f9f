/**
 * The durable channel stores for Node.js (they use `node:fs`; the SQLite
 * one loads the optional better-sqlite3 driver on open).
 *
 * @packageDocumentation
 */
export { FileChannelStore } from './file-channel-store.js';
export { SqliteChannelStore } from './sqlite-channel-store.js';
export { writeFileAtomic } from './atomic-write-file.js';
