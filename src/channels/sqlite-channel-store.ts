import { chmod, open } from 'node:fs/promises';
import { ChannelExistsError, ChannelNotFoundError, ChannelStoreError, ContactExistsError } from './channel-errors.js';
import type { ChannelStore, StoreTransaction } from './channel-store.js';
import type {
  ChannelPatch,
  ChannelRecord,
  ContactRecord,
  ExchangeRecord,
  HistoryQuery,
  NewOutboxEntry,
  OutboxEntry,
  ReceivedMessage,
  SentMessage,
} from './channel-types.js';
import { parseWithBytes, stringifyWithBytes } from './bytes-json.js';
import { availableSqliteBackends, openSqlite, type SqliteBackend, type SqliteConnection, type SqliteStatement } from './sqlite-driver.js';

const SCHEMA_VERSION = '1';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS kprx_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS channels (
  name TEXT PRIMARY KEY,
  owned INTEGER NOT NULL,
  write_cap BLOB,
  read_cap BLOB NOT NULL,
  first_index BLOB NOT NULL,
  first_position INTEGER NOT NULL,
  write_index BLOB,
  write_position INTEGER NOT NULL,
  read_index BLOB NOT NULL,
  read_position INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS received (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  position INTEGER NOT NULL,
  box_index BLOB NOT NULL,
  plaintext BLOB NOT NULL,
  tombstone INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  is_read INTEGER NOT NULL,
  UNIQUE (channel, position)
);
CREATE TABLE IF NOT EXISTS sent (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  channel TEXT NOT NULL,
  position INTEGER NOT NULL,
  count INTEGER NOT NULL,
  box_index BLOB NOT NULL,
  next_index BLOB NOT NULL,
  plaintext BLOB NOT NULL,
  tombstone INTEGER NOT NULL,
  via TEXT NOT NULL,
  outbox_seq INTEGER NOT NULL,
  sent_at INTEGER NOT NULL,
  UNIQUE (channel, position)
);
CREATE INDEX IF NOT EXISTS received_unread ON received (channel, is_read);
CREATE TABLE IF NOT EXISTS exchanges (
  name TEXT PRIMARY KEY,
  body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS contacts (
  name TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  send_channel TEXT NOT NULL,
  receive_channel TEXT NOT NULL,
  role TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;
// The exchanges and contacts tables came later; CREATE TABLE IF NOT EXISTS
// adds them to a version-1 database on open, so the version stays 1.

/**
 * A durable {@link ChannelStore} in an SQLite database, on the runtime's
 * built-in SQLite where there is one — `node:sqlite` on Node ≥ 22.5 and
 * Deno, `bun:sqlite` on Bun — and on better-sqlite3 (an optional peer
 * dependency) on older Node; see `sqlite-driver.ts`. The schema is the same
 * on every driver, so a database opens unchanged with any of them. WAL
 * journal with `synchronous = FULL`: a transaction is on disk when its
 * Promise resolves. Each store transaction is one `BEGIN IMMEDIATE …
 * COMMIT`, so several processes may share the file safely.
 *
 * Where no driver loads, `open()` rejects with a `ChannelStoreError` that
 * says what to install (or to use `FileChannelStore`), and the rest of the
 * package works.
 *
 * @example
 * const store = await SqliteChannelStore.open('./channels.db');
 * const manager = new ChannelManager(client, store);
 */
export class SqliteChannelStore implements ChannelStore {
  private closed = false;
  private readonly tx: SqliteTransaction;

  private constructor(private readonly db: SqliteConnection) {
    this.tx = new SqliteTransaction(db);
  }

  /** Whether a SQLite driver works here (e.g. to pick a store). */
  static async isAvailable(): Promise<boolean> {
    return (await availableSqliteBackends()).length > 0;
  }

  /** The SQLite drivers that work here, in the order `open()` prefers them. */
  static backends(): Promise<SqliteBackend[]> {
    return availableSqliteBackends();
  }

  /** The driver this store runs on. */
  get backend(): SqliteBackend {
    return this.db.backend;
  }

  /**
   * Opens or creates the database at `path` (`':memory:'` for a private
   * in-memory one), through `options.backend` or the first driver that
   * works here. The file holds write capabilities: it is created with mode
   * 0600 whatever the umask (and an existing one is restricted to 0600),
   * and SQLite gives its `-wal` and `-shm` files the database file's mode.
   */
  static async open(path: string, options: { readonly backend?: SqliteBackend } = {}): Promise<SqliteChannelStore> {
    if (isFilePath(path)) await restrictToOwner(path);
    const db = await openSqlite(path, options.backend);
    try {
      // busy_timeout: wait up to 5 s for another process's transaction instead of failing at once.
      db.exec('PRAGMA busy_timeout = 5000');
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      db.exec(SCHEMA);
      const version = db.prepare('SELECT value FROM kprx_meta WHERE key = ?').get('schema_version') as { value: string } | undefined;
      if (version === undefined) db.prepare('INSERT INTO kprx_meta (key, value) VALUES (?, ?)').run('schema_version', SCHEMA_VERSION);
      else if (version.value !== SCHEMA_VERSION) throw new ChannelStoreError(`${path}: schema version ${version.value} is not supported (expected ${SCHEMA_VERSION})`);
    } catch (error) {
      db.close();
      throw error instanceof ChannelStoreError ? error : new ChannelStoreError(`${path}: not a usable channel database`, { cause: error });
    }
    return new SqliteChannelStore(db);
  }

  /** {@inheritDoc ChannelStore.transaction} */
  transaction<T>(fn: (tx: StoreTransaction) => T): Promise<T> {
    if (this.closed) return Promise.reject(new ChannelStoreError('the store is closed'));
    try {
      const value = this.db.immediate(() => {
        const result = fn(this.tx);
        if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
          throw new ChannelStoreError('a transaction body must be synchronous (it returned a Promise); do the async work before or after the transaction');
        }
        return result;
      });
      return Promise.resolve(value);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }
}

/** A database path that names a file (not `:memory:`, a temporary `''`, or a `file:` URI). */
function isFilePath(path: string): boolean {
  return path !== '' && path !== ':memory:' && !path.startsWith('file:');
}

/**
 * Creates the database file empty with mode 0600 before SQLite opens it
 * (SQLite would create it 0644 under the usual umask 022, and makes its
 * journal files match the database file's mode), or narrows an existing
 * one — and journal files a crash left — to 0600 (stores made by earlier
 * versions were world-readable).
 */
async function restrictToOwner(path: string): Promise<void> {
  try {
    await (await open(path, 'wx', 0o600)).close();
    return;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'EEXIST') throw new ChannelStoreError(`${path}: cannot create the database file`, { cause: error });
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    // Absent journals are fine; so is a file owned by someone else (EPERM): not ours to change.
    await chmod(file, 0o600).catch((error: unknown) => {
      const code = (error as { code?: unknown }).code;
      if (code !== 'ENOENT' && code !== 'EPERM') throw new ChannelStoreError(`${file}: cannot restrict it to its owner (mode 0600)`, { cause: error });
    });
  }
}

/** Every driver binds Uint8Arrays as BLOBs; take copies out as plain Uint8Arrays. */
const out = (value: unknown): Uint8Array => new Uint8Array(value as Uint8Array);
const outOrNull = (value: unknown): Uint8Array | null => (value === null || value === undefined ? null : out(value));

interface ChannelRow {
  name: string;
  owned: number;
  write_cap: Uint8Array | null;
  read_cap: Uint8Array;
  first_index: Uint8Array;
  first_position: number;
  write_index: Uint8Array | null;
  write_position: number;
  read_index: Uint8Array;
  read_position: number;
  created_at: number;
}

function channelFromRow(row: ChannelRow): ChannelRecord {
  return {
    name: row.name,
    owned: row.owned === 1,
    writeCap: outOrNull(row.write_cap),
    readCap: out(row.read_cap),
    firstIndex: out(row.first_index),
    firstPosition: row.first_position,
    writeIndex: outOrNull(row.write_index),
    writePosition: row.write_position,
    readIndex: out(row.read_index),
    readPosition: row.read_position,
    createdAt: row.created_at,
  };
}

interface ReceivedRow {
  id: number;
  channel: string;
  position: number;
  box_index: Uint8Array;
  plaintext: Uint8Array;
  tombstone: number;
  received_at: number;
  is_read: number;
}

function receivedFromRow(row: ReceivedRow): ReceivedMessage {
  return {
    id: row.id,
    channel: row.channel,
    position: row.position,
    boxIndex: out(row.box_index),
    plaintext: out(row.plaintext),
    tombstone: row.tombstone === 1,
    receivedAt: row.received_at,
    read: row.is_read === 1,
  };
}

interface SentRow {
  id: number;
  channel: string;
  position: number;
  count: number;
  box_index: Uint8Array;
  next_index: Uint8Array;
  plaintext: Uint8Array;
  tombstone: number;
  via: string;
  outbox_seq: number;
  sent_at: number;
}

function sentFromRow(row: SentRow): SentMessage {
  return {
    id: row.id,
    channel: row.channel,
    position: row.position,
    count: row.count,
    boxIndex: out(row.box_index),
    nextIndex: out(row.next_index),
    plaintext: out(row.plaintext),
    tombstone: row.tombstone === 1,
    via: row.via === 'copy' ? 'copy' : 'box',
    outboxSeq: row.outbox_seq,
    sentAt: row.sent_at,
  };
}

/** Outbox entries and exchanges are small and read whole: stored as JSON with base64url bytes. */
function bodyToJson(entry: NewOutboxEntry | ExchangeRecord): string {
  return stringifyWithBytes(entry);
}

function parseBody<T>(what: string, body: string): T {
  try {
    return parseWithBytes(body) as T;
  } catch (error) {
    throw new ChannelStoreError(`${what} is corrupt`, { cause: error });
  }
}

function outboxFromJson(seq: number, body: string): OutboxEntry {
  return { ...parseBody<NewOutboxEntry>(`outbox entry ${seq}`, body), seq };
}

interface ContactRow {
  name: string;
  display_name: string;
  send_channel: string;
  receive_channel: string;
  role: string;
  created_at: number;
}

function contactFromRow(row: ContactRow): ContactRecord {
  return {
    name: row.name,
    displayName: row.display_name,
    sendChannel: row.send_channel,
    receiveChannel: row.receive_channel,
    role: row.role === 'joiner' ? 'joiner' : 'inductor',
    createdAt: row.created_at,
  };
}

/** History filters as SQL: the same semantics as `selectHistory` of the state-based stores. */
function historySql(table: string, query: HistoryQuery, withUnread: boolean): { sql: string; params: unknown[] } {
  const where = ['channel = ?'];
  const params: unknown[] = [];
  if (query.afterId !== undefined) {
    where.push('id > ?');
    params.push(query.afterId);
  }
  if (query.beforeId !== undefined) {
    where.push('id < ?');
    params.push(query.beforeId);
  }
  if (withUnread && query.unread !== undefined) {
    where.push('is_read = ?');
    params.push(query.unread ? 0 : 1);
  }
  let sql = `SELECT * FROM ${table} WHERE ${where.join(' AND ')} ORDER BY id ${query.order === 'desc' ? 'DESC' : 'ASC'}`;
  if (query.limit !== undefined) {
    sql += ' LIMIT ?';
    params.push(Math.max(0, query.limit));
  }
  return { sql, params };
}

/** The store operations as SQL; only ever called inside `db.transaction`. */
class SqliteTransaction implements StoreTransaction {
  private readonly statements = new Map<string, SqliteStatement>();

  constructor(private readonly db: SqliteConnection) {}

  private statement(sql: string): SqliteStatement {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  channel(name: string): ChannelRecord | undefined {
    const row = this.statement('SELECT * FROM channels WHERE name = ?').get(name) as ChannelRow | undefined;
    return row === undefined ? undefined : channelFromRow(row);
  }

  channels(): ChannelRecord[] {
    return (this.statement('SELECT * FROM channels ORDER BY name').all() as ChannelRow[]).map(channelFromRow);
  }

  insertChannel(r: ChannelRecord): void {
    if (this.channel(r.name) !== undefined) throw new ChannelExistsError(r.name);
    this.statement(
      `INSERT INTO channels (name, owned, write_cap, read_cap, first_index, first_position, write_index, write_position, read_index, read_position, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      r.name,
      r.owned ? 1 : 0,
      r.writeCap,
      r.readCap,
      r.firstIndex,
      r.firstPosition,
      r.writeIndex,
      r.writePosition,
      r.readIndex,
      r.readPosition,
      r.createdAt,
    );
  }

  updateChannel(name: string, patch: ChannelPatch): ChannelRecord {
    const current = this.channel(name);
    if (current === undefined) throw new ChannelNotFoundError(name);
    const next: ChannelRecord = { ...current, ...patch };
    this.statement('UPDATE channels SET write_index = ?, write_position = ?, read_index = ?, read_position = ? WHERE name = ?').run(
      next.writeIndex,
      next.writePosition,
      next.readIndex,
      next.readPosition,
      name,
    );
    return next;
  }

  deleteChannel(name: string): void {
    if (this.channel(name) === undefined) throw new ChannelNotFoundError(name);
    this.statement('DELETE FROM channels WHERE name = ?').run(name);
    this.statement('DELETE FROM received WHERE channel = ?').run(name);
    this.statement('DELETE FROM sent WHERE channel = ?').run(name);
    for (const entry of this.outbox()) {
      if (entry.slots.every((slot) => slot.channel === name)) this.deleteOutbox(entry.seq);
    }
  }

  outbox(): OutboxEntry[] {
    return (this.statement('SELECT seq, body FROM outbox ORDER BY seq').all() as { seq: number; body: string }[]).map((row) => outboxFromJson(row.seq, row.body));
  }

  insertOutbox(entry: NewOutboxEntry): OutboxEntry {
    const result = this.statement('INSERT INTO outbox (body) VALUES (?)').run(bodyToJson(entry));
    return outboxFromJson(Number(result.lastInsertRowid), bodyToJson(entry));
  }

  updateOutbox(seq: number, patch: Partial<Pick<OutboxEntry, 'attempts' | 'lastError' | 'operation'>>): void {
    const row = this.statement('SELECT body FROM outbox WHERE seq = ?').get(seq) as { body: string } | undefined;
    if (row === undefined) return;
    const { seq: _seq, ...entry } = { ...outboxFromJson(seq, row.body), ...patch };
    this.statement('UPDATE outbox SET body = ? WHERE seq = ?').run(bodyToJson(entry), seq);
  }

  deleteOutbox(seq: number): void {
    this.statement('DELETE FROM outbox WHERE seq = ?').run(seq);
  }

  insertReceived(m: Omit<ReceivedMessage, 'id'>): ReceivedMessage {
    const result = this.statement(
      'INSERT INTO received (channel, position, box_index, plaintext, tombstone, received_at, is_read) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(m.channel, m.position, m.boxIndex, m.plaintext, m.tombstone ? 1 : 0, m.receivedAt, m.read ? 1 : 0);
    return { ...m, boxIndex: m.boxIndex.slice(), plaintext: m.plaintext.slice(), id: Number(result.lastInsertRowid) };
  }

  received(channel: string, query: HistoryQuery = {}): ReceivedMessage[] {
    const { sql, params } = historySql('received', query, true);
    return (this.statement(sql).all(channel, ...params) as ReceivedRow[]).map(receivedFromRow);
  }

  setRead(channel: string, ids: readonly number[], read: boolean): number {
    let changed = 0;
    const update = this.statement('UPDATE received SET is_read = ? WHERE channel = ? AND id = ? AND is_read <> ?');
    for (const id of new Set(ids)) changed += update.run(read ? 1 : 0, channel, id, read ? 1 : 0).changes;
    return changed;
  }

  insertSent(m: Omit<SentMessage, 'id'>): SentMessage {
    const result = this.statement(
      `INSERT INTO sent (channel, position, count, box_index, next_index, plaintext, tombstone, via, outbox_seq, sent_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(m.channel, m.position, m.count, m.boxIndex, m.nextIndex, m.plaintext, m.tombstone ? 1 : 0, m.via, m.outboxSeq, m.sentAt);
    return { ...m, boxIndex: m.boxIndex.slice(), nextIndex: m.nextIndex.slice(), plaintext: m.plaintext.slice(), id: Number(result.lastInsertRowid) };
  }

  sent(channel: string, query: HistoryQuery = {}): SentMessage[] {
    const { sql, params } = historySql('sent', query, false);
    return (this.statement(sql).all(channel, ...params) as SentRow[]).map(sentFromRow);
  }

  exchanges(): ExchangeRecord[] {
    return (this.statement('SELECT name, body FROM exchanges ORDER BY name').all() as { name: string; body: string }[]).map((row) =>
      parseBody<ExchangeRecord>(`exchange ${JSON.stringify(row.name)}`, row.body),
    );
  }

  exchange(name: string): ExchangeRecord | undefined {
    const row = this.statement('SELECT body FROM exchanges WHERE name = ?').get(name) as { body: string } | undefined;
    return row === undefined ? undefined : parseBody<ExchangeRecord>(`exchange ${JSON.stringify(name)}`, row.body);
  }

  putExchange(record: ExchangeRecord): void {
    this.statement('INSERT OR REPLACE INTO exchanges (name, body) VALUES (?, ?)').run(record.name, bodyToJson(record));
  }

  deleteExchange(name: string): void {
    this.statement('DELETE FROM exchanges WHERE name = ?').run(name);
  }

  contacts(): ContactRecord[] {
    return (this.statement('SELECT * FROM contacts ORDER BY name').all() as ContactRow[]).map(contactFromRow);
  }

  contact(name: string): ContactRecord | undefined {
    const row = this.statement('SELECT * FROM contacts WHERE name = ?').get(name) as ContactRow | undefined;
    return row === undefined ? undefined : contactFromRow(row);
  }

  insertContact(c: ContactRecord): void {
    if (this.contact(c.name) !== undefined) throw new ContactExistsError(c.name);
    this.statement('INSERT INTO contacts (name, display_name, send_channel, receive_channel, role, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(
      c.name,
      c.displayName,
      c.sendChannel,
      c.receiveChannel,
      c.role,
      c.createdAt,
    );
  }

  deleteContact(name: string): void {
    this.statement('DELETE FROM contacts WHERE name = ?').run(name);
  }
}
