import { InvalidArgumentError } from '../errors/local-errors.js';
import { ChannelStoreError } from './channel-errors.js';

/*
 * The SQLite drivers the channel store can run on, behind one small
 * synchronous interface. The runtime's own SQLite comes first — no native
 * addon to compile or to fetch: `bun:sqlite` on Bun, `node:sqlite`
 * (`DatabaseSync`) on Node ≥ 22.5 without a flag and on Deno.
 * better-sqlite3 (an optional peer dependency) is the fallback for older
 * Node. All three are the same SQLite file format, so a database written
 * through one opens unchanged through another.
 *
 * Module names are in variables so that bundlers and tsc leave these
 * optional imports alone (none of them exists in a browser, and each exists
 * in only some runtimes).
 */

/** A SQLite driver: the runtime's built-in one, or the better-sqlite3 package. */
export type SqliteBackend = 'bun:sqlite' | 'node:sqlite' | 'better-sqlite3';

/** The order `open` tries them in: built-in first. */
export const SQLITE_BACKENDS: readonly SqliteBackend[] = ['bun:sqlite', 'node:sqlite', 'better-sqlite3'];

/** What a write statement reports. */
export interface SqliteRunResult {
  readonly changes: number;
  readonly lastInsertRowid: number;
}

/** A prepared statement with positional `?` parameters. */
export interface SqliteStatement {
  run(...params: unknown[]): SqliteRunResult;
  /** The first row, or undefined when there is none. */
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** An open database on one of the drivers. */
export interface SqliteConnection {
  readonly backend: SqliteBackend;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /** Runs `fn` in `BEGIN IMMEDIATE … COMMIT` (rolled back if it throws) and returns its result. */
  immediate<T>(fn: () => T): T;
  close(): void;
}

/** The subset of the three drivers' statement objects used here (their shapes agree on it). */
interface DriverStatement {
  run(...params: unknown[]): { changes: number | bigint; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}
interface DriverDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): DriverStatement;
  close(): void;
}
type DriverConstructor = new (path: string, options: object) => DriverDatabase;

/** Where each driver keeps its database class, and the options that open-or-create a file read-write. */
const DRIVERS: Readonly<Record<SqliteBackend, { readonly exportName: string; readonly options: object }>> = {
  'bun:sqlite': { exportName: 'Database', options: { create: true, readwrite: true } },
  // An options argument, if given, must be an object (node:sqlite throws on undefined).
  'node:sqlite': { exportName: 'DatabaseSync', options: {} },
  'better-sqlite3': { exportName: 'default', options: {} },
};

const loaded = new Map<SqliteBackend, Promise<DriverConstructor | null>>();

/** The driver's database class, or null where it does not load (checked once per process). */
function loadDriver(backend: SqliteBackend): Promise<DriverConstructor | null> {
  let driver = loaded.get(backend);
  if (driver === undefined) {
    const moduleName: string = backend;
    driver = import(moduleName).then(
      (mod: Record<string, unknown>) => {
        const ctor = mod[DRIVERS[backend].exportName];
        return typeof ctor === 'function' ? (ctor as DriverConstructor) : null;
      },
      () => null,
    );
    loaded.set(backend, driver);
  }
  return driver;
}

/**
 * The drivers that work in this process, in `SQLITE_BACKENDS` order. A
 * driver counts only if it opens an in-memory database: better-sqlite3
 * built for another Node version imports fine and fails on first use.
 *
 * @example
 * await availableSqliteBackends(); // ['node:sqlite'] on Node 24 without better-sqlite3
 */
export async function availableSqliteBackends(): Promise<SqliteBackend[]> {
  const works = await Promise.all(
    SQLITE_BACKENDS.map(async (backend) => {
      try {
        (await openSqlite(':memory:', backend)).close();
        return true;
      } catch {
        return false;
      }
    }),
  );
  return SQLITE_BACKENDS.filter((_, i) => works[i]);
}

/**
 * Opens (or creates) the database at `path` through `backend`, or through
 * the first driver of `SQLITE_BACKENDS` that loads here.
 *
 * @example
 * const db = await openSqlite('./channels.db');
 * db.backend; // 'node:sqlite' on Node 24
 */
export async function openSqlite(path: string, backend?: SqliteBackend): Promise<SqliteConnection> {
  if (typeof path !== 'string' || path.length === 0) throw new InvalidArgumentError('path', 'expected a file path or ":memory:"');
  if (backend !== undefined && !SQLITE_BACKENDS.includes(backend)) throw new InvalidArgumentError('backend', `expected one of ${SQLITE_BACKENDS.join(', ')}`);
  const candidates = backend === undefined ? SQLITE_BACKENDS : [backend];
  for (const candidate of candidates) {
    const Database = await loadDriver(candidate);
    if (Database === null) continue;
    let db: DriverDatabase;
    try {
      db = new Database(path, DRIVERS[candidate].options);
    } catch (error) {
      throw new ChannelStoreError(`${path}: cannot open the SQLite database with ${candidate} (${error instanceof Error ? error.message : String(error)})`, { cause: error });
    }
    return connection(candidate, db);
  }
  throw new ChannelStoreError(
    backend !== undefined
      ? `the SQLite driver ${backend} is not available in this runtime`
      : 'no SQLite driver in this runtime: Node ≥ 22.5, Bun and Deno have one built in; on older Node run `npm install better-sqlite3`, ' +
          'or use FileChannelStore (no native modules)',
  );
}

function connection(backend: SqliteBackend, db: DriverDatabase): SqliteConnection {
  return {
    backend,
    exec: (sql) => void db.exec(sql),
    prepare: (sql) => statement(db.prepare(sql)),
    immediate<T>(fn: () => T): T {
      db.exec('BEGIN IMMEDIATE');
      let result: T;
      try {
        result = fn();
        db.exec('COMMIT');
      } catch (error) {
        rollback(db);
        throw error;
      }
      return result;
    },
    close: () => db.close(),
  };
}

/** After a failed body or COMMIT; SQLite may already have rolled back by itself (e.g. on a full disk). */
function rollback(db: DriverDatabase): void {
  try {
    db.exec('ROLLBACK');
  } catch {
    // no transaction left to roll back
  }
}

/** The drivers differ only in their return types: counts may be bigint, and bun:sqlite's `get` says null for no row. */
function statement(s: DriverStatement): SqliteStatement {
  return {
    run: (...params) => {
      const result = s.run(...params);
      return { changes: Number(result.changes), lastInsertRowid: Number(result.lastInsertRowid) };
    },
    get: (...params) => s.get(...params) ?? undefined,
    all: (...params) => s.all(...params),
  };
}
