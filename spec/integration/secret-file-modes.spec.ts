import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileChannelStore } from '../../src/channels/file-channel-store.js';
import { SqliteChannelStore } from '../../src/channels/sqlite-channel-store.js';
import type { ChannelRecord } from '../../src/channels/channel-types.js';
import { createKeyFile, saveKeyFile, type KeyFile } from '../../src/cli/pigeonhole-cp/key-file.js';
import { saveReceiveState } from '../../src/cli/pigeonhole-cp/receive-state.js';
import { SafeFileWriter } from '../../src/cli/pigeonhole-cp/safe-file-writer.js';
import { sqliteSkipReason } from '../channels/support/store-factories.js';

/**
 * Every file that holds a secret (write capabilities, seeds, envelope
 * descriptors, plaintexts) is created with mode 0600 under the usual umask
 * 022, which would otherwise make it world-readable (issue 13, item 5).
 */
const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

const record: ChannelRecord = {
  name: 'c',
  owned: true,
  writeCap: new Uint8Array(168).fill(1),
  readCap: new Uint8Array(136).fill(2),
  firstIndex: new Uint8Array(104).fill(3),
  firstPosition: 0,
  writeIndex: new Uint8Array(104).fill(3),
  writePosition: 0,
  readIndex: new Uint8Array(104).fill(3),
  readPosition: 0,
  createdAt: 0,
};

describe('files holding secrets are created 0600 under umask 022', () => {
  let dir: string;
  let umask: number;
  beforeEach(() => {
    umask = process.umask(0o022);
    dir = mkdtempSync(join(tmpdir(), 'kprx-modes-'));
  });
  afterEach(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the umask really is 022 here (a new plain file is 0644)', () => {
    writeFileSync(join(dir, 'plain'), 'x');
    expect(mode(join(dir, 'plain'))).toBe('644');
  });

  (sqliteSkipReason ? it.skip : it)('SQLite channel store: the database and its -wal and -shm files', async () => {
    const path = join(dir, 'chat.db');
    const store = await SqliteChannelStore.open(path);
    await store.transaction((tx) => tx.insertChannel(record));
    expect(existsSync(`${path}-wal`)).toBe(true); // WAL mode: written while open
    expect([mode(path), mode(`${path}-wal`), mode(`${path}-shm`)]).toEqual(['600', '600', '600']);
    await store.close();
  });

  (sqliteSkipReason ? it.skip : it)('SQLite channel store: an existing world-readable database is narrowed to 0600', async () => {
    const path = join(dir, 'old.db');
    (await SqliteChannelStore.open(path)).close();
    const { chmodSync } = await import('node:fs');
    chmodSync(path, 0o644);
    const store = await SqliteChannelStore.open(path);
    await store.transaction((tx) => tx.insertChannel(record));
    expect([mode(path), mode(`${path}-wal`)]).toEqual(['600', '600']);
    await store.close();
  });

  it('file channel store: the store file and its lock', async () => {
    const path = join(dir, 'chat.json');
    const store = await FileChannelStore.open(path);
    await store.transaction((tx) => tx.insertChannel(record));
    expect([mode(path), mode(`${path}.lock`)]).toEqual(['600', '600']);
    await store.close();
  });

  it('pigeonhole-cp: key files (created and rewritten), receive state, received files', async () => {
    const key: KeyFile = { writeCap: record.writeCap!, readCap: record.readCap, firstIndex: record.firstIndex, nextIndex: record.firstIndex, pending: null };
    const keyPath = join(dir, 'alice.key');
    await createKeyFile(keyPath, key);
    expect(mode(keyPath)).toBe('600');
    await saveKeyFile(keyPath, { ...key, nextIndex: record.readIndex });
    expect(mode(keyPath)).toBe('600');
    const statePath = join(dir, 'state.json');
    await saveReceiveState(statePath, record.readCap, { nextIndex: record.readIndex, received: [], partial: null, skipped: [] });
    expect(mode(statePath)).toBe('600');
    const writer = await SafeFileWriter.create(dir);
    await writer.write(new TextEncoder().encode('secret content'));
    expect(mode(await writer.commit('report.txt'))).toBe('600');
  });
});
