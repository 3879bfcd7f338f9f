import { open, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { syncDirectory, writeFileAtomic } from '../../channels/atomic-write-file.js';
import { fromBase64Url, toBase64Url } from '../../core/base64url.js';
import { ConfigError } from '../../errors/local-errors.js';
import { WireSizes } from '../../wire/constants.js';

/** A send that started but has not been confirmed complete (see `send`). */
export interface PendingTransfer {
  readonly name: string;
  readonly size: number;
  /** Hex BLAKE2b-256 of the content. */
  readonly digest: string;
  /** Where its stream starts. */
  readonly startIndex: Uint8Array;
  /** Every box before this one is confirmed written (null: none yet): a resumed send continues here. */
  readonly resumeFrom: { readonly box: number; readonly index: Uint8Array } | null;
}

/**
 * A channel's key file, as `genkey` writes it (JSON, mode 0600): the write
 * capability (secret: whoever has this file can write the channel), the
 * read capability, the first index, where the next file goes, and a send
 * in progress.
 */
export interface KeyFile {
  readonly writeCap: Uint8Array;
  readonly readCap: Uint8Array;
  readonly firstIndex: Uint8Array;
  readonly nextIndex: Uint8Array;
  readonly pending: PendingTransfer | null;
}

const FORMAT = 'pigeonhole-cp-key';

function bytesField(doc: Record<string, unknown>, key: string, length: number, file: string): Uint8Array {
  const value = doc[key];
  const bytes = typeof value === 'string' ? fromBase64Url(value) : null;
  if (bytes === null || bytes.length !== length) throw new ConfigError(`expected ${length} bytes of base64url`, { file, key });
  return bytes;
}

function serialize(key: KeyFile): string {
  return `${JSON.stringify(
    {
      format: FORMAT,
      version: 1,
      warning: 'SECRET: this file holds the channel write capability',
      writeCap: toBase64Url(key.writeCap),
      readCap: toBase64Url(key.readCap),
      firstIndex: toBase64Url(key.firstIndex),
      nextIndex: toBase64Url(key.nextIndex),
      pending:
        key.pending === null
          ? null
          : {
              ...key.pending,
              startIndex: toBase64Url(key.pending.startIndex),
              resumeFrom: key.pending.resumeFrom === null ? null : { box: key.pending.resumeFrom.box, index: toBase64Url(key.pending.resumeFrom.index) },
            },
    },
    null,
    2,
  )}\n`;
}

/**
 * Creates a new key file; refuses to replace an existing one (a lost write
 * capability cannot be recovered, and an overwritten index reuses boxes).
 *
 * @example
 * await createKeyFile('alice.key', { writeCap, readCap, firstIndex, nextIndex: firstIndex, pending: null });
 */
export async function createKeyFile(path: string, key: KeyFile): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'EEXIST') throw new ConfigError('the key file already exists; not overwriting it', { file: path });
    throw error;
  }
  try {
    await handle.writeFile(serialize(key));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDirectory(dirname(resolve(path)));
}

/** Replaces a key file atomically (index advanced, pending transfer recorded or cleared). */
export async function saveKeyFile(path: string, key: KeyFile): Promise<void> {
  await writeFileAtomic(path, serialize(key), 0o600);
}

/**
 * Reads and validates a key file; `ConfigError` names the file and field.
 *
 * @example
 * const key = await loadKeyFile('alice.key');
 */
export async function loadKeyFile(path: string): Promise<KeyFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new ConfigError(`no such key file (make one with: pigeonhole-cp genkey --key ${path})`, { file: path, cause: error });
    throw new ConfigError(`cannot read the key file (${code ?? String(error)})`, { file: path, cause: error });
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError('not a pigeonhole-cp key file (not JSON)', { file: path, cause: error });
  }
  if (doc === null || typeof doc !== 'object' || doc['format'] !== FORMAT || doc['version'] !== 1) throw new ConfigError('not a pigeonhole-cp key file', { file: path });
  const pendingDoc = doc['pending'] as Record<string, unknown> | null | undefined;
  let pending: PendingTransfer | null = null;
  if (pendingDoc !== null && pendingDoc !== undefined) {
    if (typeof pendingDoc['name'] !== 'string' || typeof pendingDoc['size'] !== 'number' || typeof pendingDoc['digest'] !== 'string') {
      throw new ConfigError('malformed pending transfer', { file: path, key: 'pending' });
    }
    // Key files of earlier versions have no resumeFrom: their sends resume from the first box.
    const resumeDoc = pendingDoc['resumeFrom'] as Record<string, unknown> | null | undefined;
    let resumeFrom: PendingTransfer['resumeFrom'] = null;
    if (resumeDoc !== null && resumeDoc !== undefined) {
      const box = resumeDoc['box'];
      if (typeof box !== 'number' || !Number.isSafeInteger(box) || box < 0) throw new ConfigError('malformed resume position', { file: path, key: 'pending.resumeFrom.box' });
      resumeFrom = { box, index: bytesField(resumeDoc, 'index', WireSizes.messageBoxIndex, path) };
    }
    pending = {
      name: pendingDoc['name'],
      size: pendingDoc['size'],
      digest: pendingDoc['digest'],
      startIndex: bytesField(pendingDoc, 'startIndex', WireSizes.messageBoxIndex, path),
      resumeFrom,
    };
  }
  return {
    writeCap: bytesField(doc, 'writeCap', WireSizes.writeCap, path),
    readCap: bytesField(doc, 'readCap', WireSizes.readCap, path),
    firstIndex: bytesField(doc, 'firstIndex', WireSizes.messageBoxIndex, path),
    nextIndex: bytesField(doc, 'nextIndex', WireSizes.messageBoxIndex, path),
    pending,
  };
}
