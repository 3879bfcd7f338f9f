import { constants } from 'node:fs';
import { copyFile, link, open, realpath, stat, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { syncDirectory } from '../../channels/atomic-write-file.js';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { alternativeFileName, sanitizeFileName } from './sanitize-file-name.js';

/**
 * Writes a received file into a directory without ever following a
 * symlink or overwriting anything: the data goes to a temporary file
 * created exclusively (`O_CREAT | O_EXCL | O_NOFOLLOW`, mode 0600) inside
 * the directory, is fsynced, and is then hard-linked to its final name —
 * `link()` fails if the name exists (even as a dangling symlink), so the
 * no-clobber check and the publish are one atomic step — and the temporary
 * name removed; finally the directory is fsynced. Taken names get
 * `name (1).ext`, `name (2).ext`, …
 *
 * @example
 * const out = await SafeFileWriter.create(dir);
 * await out.write(chunk);
 * const path = await out.commit('report.pdf');
 */
export class SafeFileWriter {
  private constructor(
    private readonly dir: string,
    private readonly tempPath: string,
    private handle: FileHandle | null,
    /** Where the next write goes (appends after a resume's truncation). */
    private position = 0,
  ) {}

  /** Opens a new temporary file in `dir` (resolved through symlinks once, up front). */
  static async create(dir: string): Promise<SafeFileWriter> {
    const real = await destinationDirectory(dir);
    const tempPath = join(real, `.pigeonhole-cp-${randomBytes(8).toString('hex')}.part`);
    const handle = await open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
    return new SafeFileWriter(real, tempPath, handle);
  }

  /**
   * Reopens the temporary file `tempName` of an interrupted receive in
   * `dir`, cut back to its first `length` bytes (what the saved position
   * vouches for), to append to; null if it is gone or shorter.
   */
  static async resume(dir: string, tempName: string, length: number): Promise<SafeFileWriter | null> {
    const real = await destinationDirectory(dir);
    const tempPath = join(real, tempName);
    if (dirname(tempPath) !== real) return null;
    let handle: FileHandle;
    try {
      handle = await open(tempPath, constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0));
    } catch {
      return null;
    }
    if ((await handle.stat()).size < length) {
      await handle.close();
      return null;
    }
    await handle.truncate(length);
    return new SafeFileWriter(real, tempPath, handle, length);
  }

  /** The temporary file's name (in the destination directory). */
  get tempName(): string {
    return basename(this.tempPath);
  }

  /** The temporary file's path, to read back what is there. */
  get tempFile(): string {
    return this.tempPath;
  }

  /** fsyncs what was written so far (before a saved position claims it). */
  async sync(): Promise<void> {
    await this.handle?.sync();
  }

  /** Appends bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    if (this.handle === null) throw new Error('the file is already committed or discarded');
    let offset = 0;
    while (offset < bytes.length) {
      const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset, this.position);
      offset += bytesWritten;
      this.position += bytesWritten;
    }
  }

  /**
   * fsyncs the data and publishes it under the sanitised `name` (or the
   * first free alternative); returns the final path.
   */
  async commit(name: string): Promise<string> {
    if (this.handle === null) throw new Error('the file is already committed or discarded');
    await this.handle.sync();
    await this.handle.close();
    this.handle = null;
    const wanted = sanitizeFileName(name);
    for (let n = 0; n < 10_000; n++) {
      const candidate = join(this.dir, n === 0 ? wanted : alternativeFileName(wanted, n));
      // The name cannot contain a separator, so this always holds; checked anyway.
      if (dirname(candidate) !== this.dir || basename(candidate) === '') throw new Error('refusing a name outside the destination directory');
      try {
        await publish(this.tempPath, candidate);
      } catch (error) {
        if ((error as { code?: unknown }).code === 'EEXIST') continue;
        throw error;
      }
      await unlink(this.tempPath);
      await syncDirectory(this.dir);
      return candidate;
    }
    throw new Error(`no free name for ${wanted} in ${this.dir}`);
  }

  /** Closes the temporary file and keeps it, for a later `resume` (an interrupted receive). */
  async release(): Promise<void> {
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }

  /** Closes and deletes the temporary file (e.g. after a digest mismatch). */
  async discard(): Promise<void> {
    if (this.handle !== null) {
      await this.handle.close().catch(() => undefined);
      this.handle = null;
    }
    await unlink(this.tempPath).catch(() => undefined);
  }
}

/**
 * The destination directory, resolved through symlinks, with errors that
 * say what is wrong (not a bare `ENOENT … realpath`).
 */
export async function destinationDirectory(dir: string): Promise<string> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') throw new InvalidArgumentError('dir', `the destination directory ${dir} does not exist (create it first: mkdir ${dir})`);
    throw error;
  }
  if (!(await stat(real)).isDirectory()) throw new InvalidArgumentError('dir', `${dir} is not a directory`);
  return real;
}

/**
 * Hard-links `from` to `to`, failing with EEXIST if `to` exists. File
 * systems without hard links (FAT, some network mounts) get an exclusive
 * copy instead (`COPYFILE_EXCL` also refuses an existing name), fsynced.
 */
async function publish(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
    return;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  }
  await copyFile(from, to, constants.COPYFILE_EXCL);
  const copy = await open(to, 'r+');
  try {
    await copy.sync();
  } finally {
    await copy.close();
  }
}
