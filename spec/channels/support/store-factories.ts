import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChannelStore } from '../../../src/channels/channel-store.js';
import { FileChannelStore } from '../../../src/channels/file-channel-store.js';
import { MemoryChannelStore } from '../../../src/channels/memory-channel-store.js';
import { SqliteChannelStore } from '../../../src/channels/sqlite-channel-store.js';
import type { SqliteBackend } from '../../../src/channels/sqlite-driver.js';

/** One kind of store under test: a fresh one, and (for durable kinds) a way to close and open it again. */
export interface StoreKind {
  /** `memory`, `file`, or `sqlite:<driver>`. */
  readonly name: string;
  readonly durable: boolean;
  /** A new empty store in a fresh location; `reopen` closes it and opens the same location. */
  create(): Promise<{ store: ChannelStore; reopen: () => Promise<ChannelStore>; cleanup: () => Promise<void> }>;
}

/** The SQLite drivers that work in this runtime: the suites run on each. */
export const SQLITE_BACKENDS_HERE = await SqliteChannelStore.backends();

/** Why the SQLite suite is skipped, or null when it runs. */
export const sqliteSkipReason =
  SQLITE_BACKENDS_HERE.length > 0 ? null : 'no SQLite driver in this runtime (better-sqlite3 is not installed and there is no built-in one): SQLite store tests skipped';

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

const sqlite = (backend: SqliteBackend): StoreKind => ({
  name: `sqlite:${backend}`,
  durable: true,
  async create() {
    const dir = tempDir();
    const path = join(dir, 'channels.db');
    let store: ChannelStore = await SqliteChannelStore.open(path, { backend });
    return {
      store,
      reopen: async () => {
        await store.close();
        store = await SqliteChannelStore.open(path, { backend });
        return store;
      },
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
});

/** The kinds to run: SQLite on every driver that works here. */
export const STORE_KINDS: readonly StoreKind[] = [memory, file, ...SQLITE_BACKENDS_HERE.map(sqlite)];

/**
 * A fresh store of `kind` for each test of the calling `describe` block,
 * handed to `use` before the test and cleaned up after it. Returns the
 * block's `reopen` (close the current store, open its location again).
 *
 * @example
 * let store: ChannelStore;
 * const reopen = storePerTest(kind, (fresh) => (store = fresh));
 */
export function storePerTest(kind: StoreKind, use: (store: ChannelStore) => void): () => Promise<ChannelStore> {
  let current: Awaited<ReturnType<StoreKind['create']>> | undefined;
  beforeEach(async () => {
    current = await kind.create();
    use(current.store);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  return () => current!.reopen();
}
