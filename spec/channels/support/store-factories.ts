import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelStore } from '../../../src/channels/channel-store.js';
import { FileChannelStore } from '../../../src/channels/file-channel-store.js';
import { MemoryChannelStore } from '../../../src/channels/memory-channel-store.js';
import { SqliteChannelStore } from '../../../src/channels/sqlite-channel-store.js';

/** One kind of store under test: a fresh one, and (for durable kinds) a way to close and open it again. */
export interface StoreKind {
  readonly name: 'memory' | 'file' | 'sqlite';
  readonly durable: boolean;
  /** A new empty store in a fresh location; `reopen` closes it and opens the same location. */
  create(): Promise<{ store: ChannelStore; reopen: () => Promise<ChannelStore>; cleanup: () => Promise<void> }>;
}

const sqliteAvailable = await SqliteChannelStore.isAvailable();

/** Why the SQLite suite is skipped, or null when it runs. */
export const sqliteSkipReason = sqliteAvailable ? null : 'better-sqlite3 is not installed (optional dependency): SQLite store tests skipped';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'kprx-store-'));
}

const memory: StoreKind = {
  name: 'memory',
  durable: false,
  async create() {
    const store = new MemoryChannelStore();
    return { store, reopen: async () => store, cleanup: () => store.close() };
  },
};

const file: StoreKind = {
  name: 'file',
  durable: true,
  async create() {
    const dir = tempDir();
    const path = join(dir, 'channels.json');
    let store: ChannelStore = await FileChannelStore.open(path);
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await FileChannelStore.open(path);
        return store;
      },
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

const sqlite: StoreKind = {
  name: 'sqlite',
  durable: true,
  async create() {
    const dir = tempDir();
    const path = join(dir, 'channels.db');
    let store: ChannelStore = await SqliteChannelStore.open(path);
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await SqliteChannelStore.open(path);
        return store;
      },
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The kinds to run: SQLite only where its driver loads. */
export const STORE_KINDS: readonly StoreKind[] = sqliteAvailable ? [memory, file, sqlite] : [memory, file];
