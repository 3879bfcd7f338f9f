/**
 * A small, fixed channel database for the cross-driver specs: the same
 * content written through any SQLite driver, and read back as one JSON
 * text (bytes as base64url) — equal texts mean equal databases as the
 * store sees them. Also used by the child process (sqlite-peer.ts) that
 * does the same on another runtime.
 */
import { stringifyWithBytes } from '../../../src/channels/bytes-json.js';
import { SqliteChannelStore } from '../../../src/channels/sqlite-channel-store.js';
import { openSqlite, type SqliteBackend } from '../../../src/channels/sqlite-driver.js';

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

/** Writes the sample into a new database at `path`; the driver used. */
export async function writeSample(path: string, backend?: SqliteBackend): Promise<SqliteBackend> {
  const store = await SqliteChannelStore.open(path, backend === undefined ? {} : { backend });
  const index = (n: number) => bytes(104, n);
  await store.transaction((tx) => {
    tx.insertChannel({ name: 'owned', owned: true, writeCap: bytes(168, 1), readCap: bytes(136, 2), firstIndex: index(3), firstPosition: 0, writeIndex: index(4), writePosition: 2, readIndex: index(3), readPosition: 0, createdAt: 1_700_000_000_000 });
    tx.insertChannel({ name: 'imported', owned: false, writeCap: null, readCap: bytes(136, 5), firstIndex: index(6), firstPosition: 7, writeIndex: null, writePosition: 0, readIndex: index(8), readPosition: 9, createdAt: 1_700_000_000_001 });
    const seq = tx.insertOutbox({
      slots: [{ channel: 'owned', position: 2, count: 1, boxIndex: index(4), nextIndex: index(10), plaintext: new TextEncoder().encode('queued') }],
      operation: { kind: 'box', tombstone: false, messageCiphertext: bytes(1500, 11), envelopeDescriptor: bytes(50, 12), envelopeHash: bytes(32, 13) },
      createdAt: 1_700_000_000_002,
      attempts: 1,
      lastError: 'OfflineError: offline',
    }).seq;
    tx.insertSent({ channel: 'owned', position: 0, count: 2, boxIndex: index(3), nextIndex: index(4), plaintext: bytes(3000, 14), tombstone: false, via: 'copy', outboxSeq: seq - 1, sentAt: 1_700_000_000_003 });
    tx.insertReceived({ channel: 'imported', position: 7, boxIndex: index(6), plaintext: new Uint8Array(0), tombstone: true, receivedAt: 1_700_000_000_004, read: false });
    tx.insertReceived({ channel: 'imported', position: 8, boxIndex: index(15), plaintext: bytes(2, 16), tombstone: false, receivedAt: 1_700_000_000_005, read: true });
  });
  const used = store.backend;
  await store.close();
  return used;
}

/** Everything in the channel database at `path`, opened through the store (and so checked: schema version) — as JSON. */
export async function readSample(path: string, backend?: SqliteBackend): Promise<string> {
  const store = await SqliteChannelStore.open(path, backend === undefined ? {} : { backend });
  try {
    return stringifyWithBytes(
      await store.transaction((tx) => ({
        channels: tx.channels(),
        outbox: tx.outbox(),
        sent: tx.sent('owned'),
        received: tx.received('imported'),
      })),
    );
  } finally {
    await store.close();
  }
}

/** The database's schema as SQLite records it. */
export async function schemaOf(path: string, backend?: SqliteBackend): Promise<unknown[]> {
  const db = await openSqlite(path, backend);
  try {
    return db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();
  } finally {
    db.close();
  }
}
