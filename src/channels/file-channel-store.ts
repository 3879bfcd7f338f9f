import { open, readFile, unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic, removeStaleTempFiles, syncDirectory } from './atomic-write-file.js';
import { ChannelStoreError } from './channel-errors.js';
import type { ChannelStore, StoreTransaction } from './channel-store.js';
import { runStateTransaction } from './memory-channel-store.js';
import { stateFromJson, stateToJson } from './state-json.js';
import { EMPTY_STORE_STATE, type StoreState } from './store-state.js';

/**
 * A dependency-free durable {@link ChannelStore}: the whole store is one
 * JSON file, replaced atomically on every committed transaction (new file
 * beside it, fsync, rename, fsync of the directory — see
 * `writeFileAtomic`). A crash leaves the previous or the next state, never
 * a torn one. A lock file (`<file>.lock`, holding the pid) keeps a second
 * process from interleaving its writes; a lock left by a dead process is
 * taken over.
 *
 * Every commit rewrites the file, so it suits stores of up to some
 * megabytes (channels, outbox, histories of thousands of messages); use
 * the SQLite store for more. For environments without native modules
 * (e.g. Electron without a rebuild).
 *
 * @example
 * const store = await FileChannelStore.open('./channels.json');
 * const manager = new ChannelManager(client, store);
 */
export class FileChannelStore implements ChannelStore {
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    /** The store file. */
    readonly path: string,
    private state: StoreState,
    private readonly lockPath: string,
  ) {}

  /**
   * Opens (or creates on the first commit) the store file at `path`, taking
   * its lock. Rejects with `ChannelStoreError` if another live process holds
   * the lock or the file is not a channel store.
   */
  static async open(path: string): Promise<FileChannelStore> {
    const file = resolve(path);
    const lockPath = `${file}.lock`;
    await takeLock(lockPath);
    try {
      await removeStaleTempFiles(file);
      let state = EMPTY_STORE_STATE;
      let text: string | null = null;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ENOENT') throw new ChannelStoreError(`${file}: cannot read (${String((error as { code?: unknown }).code)})`, { cause: error });
      }
      if (text !== null) state = stateFromJson(text, file);
      return new FileChannelStore(file, state, lockPath);
    } catch (error) {
      await unlink(lockPath).catch(() => undefined);
      throw error;
    }
  }

  transaction<T>(fn: (tx: StoreTransaction) => T): Promise<T> {
    const run = this.queue.then(async () => {
      if (this.closed) throw new ChannelStoreError('the store is closed');
      const { value, next, dirty } = runStateTransaction(this.state, fn);
      if (dirty) {
        // The in-memory state moves on only once the file is durably
        // replaced: a failed write leaves both at the previous commit.
        await writeFileAtomic(this.path, stateToJson(next));
        this.state = next;
      }
      return value;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.closed) return;
    this.closed = true;
    await unlink(this.lockPath).catch(() => undefined);
  }
}

/** Creates the lock file exclusively; replaces it if its process is gone. */
async function takeLock(lockPath: string): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(`${process.pid}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      await syncDirectory(resolve(lockPath, '..'));
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw new ChannelStoreError(`${lockPath}: cannot create the lock file`, { cause: error });
    }
    const holder = Number.parseInt(await readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (holder === process.pid) throw new ChannelStoreError(`${lockPath}: the store is already open in this process`);
    if (Number.isSafeInteger(holder) && holder > 0 && isAlive(holder)) {
      throw new ChannelStoreError(`${lockPath}: the store is in use by process ${holder}`);
    }
    // Stale: its process died (e.g. killed) without removing it.
    await unlink(lockPath).catch(() => undefined);
  }
  throw new ChannelStoreError(`${lockPath}: could not take the lock`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM';
  }
}
