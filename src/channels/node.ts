/**
 * The durable channel stores for Node.js, Bun and Deno (they use `node:fs`;
 * the SQLite one loads the runtime's SQLite, or better-sqlite3, on open).
 *
 * @packageDocumentation
 */
export { FileChannelStore } from './file-channel-store.js';
export { SqliteChannelStore } from './sqlite-channel-store.js';
export type { SqliteBackend } from './sqlite-driver.js';
export { writeFileAtomic } from './atomic-write-file.js';
