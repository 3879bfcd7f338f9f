import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ChannelStoreError } from '../../src/channels/channel-errors.js';
import { openSqlite, SQLITE_BACKENDS, type SqliteBackend } from '../../src/channels/sqlite-driver.js';
import { otherRuntimes, type OtherRuntime } from '../support/other-runtimes.js';
import { SQLITE_BACKENDS_HERE, sqliteSkipReason } from './support/store-factories.js';
import { readSample, schemaOf, writeSample } from './support/sqlite-sample.js';

/*
 * The SQLite drivers behind SqliteChannelStore (src/channels/sqlite-driver.ts):
 * each one that works here behaves the same through the adapter, and a
 * database written through one driver opens unchanged through another —
 * here and in a child process on Node 24, Bun and Deno, each with its
 * built-in SQLite, in both directions.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kprx-sqlite-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(SQLITE_BACKENDS_HERE.map((backend) => [backend] as const))('the %s driver through the adapter', (backend: SqliteBackend) => {
  it('runs statements with numbers for counts and ids, undefined for no row, and byte views bound as exactly their bytes', async () => {
    const db = await openSqlite(':memory:', backend);
    try {
      expect(db.backend).toBe(backend);
      db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, b BLOB, n TEXT)');
      const insert = db.prepare('INSERT INTO t (b, n) VALUES (?, ?)');
      const view = new Uint8Array([9, 1, 2, 3, 9]).subarray(1, 4);
      expect(insert.run(view, 'a')).toEqual({ changes: 1, lastInsertRowid: 1 });
      expect(insert.run(null, 'b')).toEqual({ changes: 1, lastInsertRowid: 2 });
      const row = db.prepare('SELECT b FROM t WHERE id = ?').get(1) as { b: Uint8Array };
      expect([...row.b]).toEqual([1, 2, 3]);
      expect(db.prepare('SELECT b FROM t WHERE id = ?').get(99)).toBeUndefined();
      expect(db.prepare('SELECT n FROM t ORDER BY id').all().map((r) => (r as { n: string }).n)).toEqual(['a', 'b']);
      expect(db.prepare('UPDATE t SET n = ?').run('c').changes).toBe(2);
    } finally {
      db.close();
    }
  });

  it('commits an immediate transaction, and rolls it back when the body throws', async () => {
    const db = await openSqlite(':memory:', backend);
    try {
      db.exec('CREATE TABLE t (v INTEGER)');
      expect(db.immediate(() => db.prepare('INSERT INTO t VALUES (1)').run().changes)).toBe(1);
      expect(() =>
        db.immediate(() => {
          db.prepare('INSERT INTO t VALUES (2)').run();
          throw new Error('body failed');
        }),
      ).toThrow('body failed');
      expect(db.prepare('SELECT v FROM t').all()).toEqual([expect.objectContaining({ v: 1 })]);
      // The connection is usable after the rollback.
      db.immediate(() => db.prepare('INSERT INTO t VALUES (3)').run());
      expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual(expect.objectContaining({ n: 2 }));
    } finally {
      db.close();
    }
  });
});

describe('choosing a driver', () => {
  it('prefers the built-in drivers and names a driver that is not there', async () => {
    expect(SQLITE_BACKENDS).toEqual(['bun:sqlite', 'node:sqlite', 'better-sqlite3']);
    // No runtime has all three (Node has no bun:sqlite; Bun cannot load better-sqlite3).
    const missing = SQLITE_BACKENDS.find((backend) => !SQLITE_BACKENDS_HERE.includes(backend))!;
    // Either it does not load, or (better-sqlite3 on Bun, or built for another Node) it loads and cannot open.
    const failure = await openSqlite(':memory:', missing).then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(ChannelStoreError);
    expect((failure as Error).message).toContain(missing);
    if (SQLITE_BACKENDS_HERE.length > 0) expect((await openSqlite(':memory:')).backend).toBe(SQLITE_BACKENDS_HERE[0]);
  });

  it('refuses a driver or path that is not one, before loading anything', async () => {
    await expect(openSqlite(':memory:', 'sqlite3' as SqliteBackend)).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'backend' });
    await expect(openSqlite('')).rejects.toMatchObject({ name: 'InvalidArgumentError', argument: 'path' });
  });
});

/** Bundles sqlite-peer.ts once (its imports are the SDK's sources only, nothing external). */
function bundlePeer(): string {
  const root = resolve('.');
  const out = join(root, 'node_modules', '.cache', 'katzenpost-rx-sqlite-peer', 'sqlite-peer.mjs');
  mkdirSync(join(out, '..'), { recursive: true });
  execFileSync(
    join(root, 'node_modules', '.bin', 'esbuild'),
    [join(root, 'spec/channels/support/sqlite-peer.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${out}`, '--log-level=warning'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return out;
}

interface PeerOutput {
  readonly backend: SqliteBackend;
  readonly sample?: string;
  readonly schema: unknown[];
}

function peer(runtime: OtherRuntime, bundle: string, mode: 'write' | 'read', path: string): PeerOutput {
  const output = execFileSync(runtime.command, [...runtime.args, bundle, mode, path], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  return JSON.parse(output.trim().split('\n').pop()!) as PeerOutput;
}

if (sqliteSkipReason) {
  const reason = sqliteSkipReason;
  describe('one database, several SQLite drivers', () => {
    it.skip(reason, () => undefined);
  });
} else {
  describe('one database, several SQLite drivers', () => {
    let bundle: string;
    let reference: { sample: string; schema: unknown[] };
    beforeAll(async () => {
      bundle = bundlePeer();
      const path = join(dir, 'reference.db');
      await writeSample(path);
      reference = { sample: await readSample(path), schema: await schemaOf(path) };
    });

    it('reads the same database through every driver that works here', async () => {
      for (const backend of SQLITE_BACKENDS_HERE) {
        const path = join(dir, `here-${backend.replace(':', '-')}.db`);
        await writeSample(path, backend);
        for (const reader of SQLITE_BACKENDS_HERE) expect(await readSample(path, reader)).toBe(reference.sample);
      }
    });

    it.each(otherRuntimes().map((runtime) => [runtime.name, runtime] as const))(
      '%s: opens what this runtime wrote, and this runtime opens what it wrote, unchanged',
      async (_name, runtime: OtherRuntime) => {
        const slug = runtime.name.replace(/[^a-z0-9.]+/gi, '-');
        // Written here, read there.
        const ours = join(dir, `for-${slug}.db`);
        await writeSample(ours);
        const there = peer(runtime, bundle, 'read', ours);
        expect(there.backend).toBe(runtime.builtinSqlite);
        expect(there.sample).toBe(reference.sample);
        // Written there, read here.
        const theirs = join(dir, `from-${slug}.db`);
        const written = peer(runtime, bundle, 'write', theirs);
        expect(written.schema).toEqual(reference.schema);
        expect(await readSample(theirs)).toBe(reference.sample);
      },
      60_000,
    );
  });
}
