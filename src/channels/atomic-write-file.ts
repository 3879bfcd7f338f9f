import { randomBytes } from 'node:crypto';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `path` with `data` atomically and durably: write a new
 * temporary file beside it (created exclusively, so a symlink planted at
 * that name is never followed), fsync it, rename it over `path`, then fsync
 * the directory so the rename itself survives a power cut. A crash at any
 * point leaves either the old file or the new one, never a mix — the
 * property the file channel store and pigeonhole-cp's state files rest on.
 *
 * @example
 * await writeFileAtomic('state.json', new TextEncoder().encode('{}'), 0o600);
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `${tempPrefix(path)}${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

/**
 * fsyncs a directory (makes a rename or create in it durable). Platforms
 * that cannot open directories (Windows) skip it: their rename is already
 * durable when it returns.
 *
 * @example
 * await syncDirectory('/var/lib/app');
 */
export async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch (error) {
    if (isCode(error, 'EISDIR') || isCode(error, 'EPERM') || isCode(error, 'EACCES')) return;
    throw error;
  }
  try {
    await handle.sync();
  } catch (error) {
    if (!isCode(error, 'EINVAL') && !isCode(error, 'EBADF')) throw error;
  } finally {
    await handle.close();
  }
}

/**
 * Deletes temporary files a crash left behind by {@link writeFileAtomic}
 * for `path` (they are never read: the rename is the commit point).
 *
 * @example
 * await removeStaleTempFiles('state.json');
 */
export async function removeStaleTempFiles(path: string): Promise<void> {
  const prefix = tempPrefix(path);
  const dir = dirname(path);
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix) && name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined);
  }
}

function tempPrefix(path: string): string {
  return `.${basename(path)}.`;
}

function isCode(error: unknown, code: string): boolean {
  return (error as { code?: unknown } | null)?.code === code;
}
