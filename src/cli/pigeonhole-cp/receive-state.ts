import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromBase64Url, toBase64Url } from '../../core/base64url.js';
import { writeFileAtomic } from '../../channels/atomic-write-file.js';
import { toHex } from '../../core/hex.js';
import { ConfigError } from '../../errors/local-errors.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { WireSizes } from '../../wire/constants.js';
import type { StreamReadPosition } from '../../client/streams/read-stream.js';
import type { FileHeader } from './file-header.js';

/** One file received, as the state file lists it. */
export interface ReceivedFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly digest: string;
  readonly receivedAt: string;
}

/** A stream stepped past with `--skip-bad`. */
export interface SkippedStream {
  /** Base64url of the stream's first index. */
  readonly at: string;
  readonly boxes: number;
  readonly reason: string;
  readonly skippedAt: string;
}

/**
 * A file being received: where its stream stands, box by box, and the
 * temporary file in the destination directory that holds the content so
 * far (fsynced before this is saved, so it holds at least `contentBytes`).
 */
export interface PartialFile {
  /** The stream's first index. */
  readonly startIndex: Uint8Array;
  readonly header: FileHeader;
  /** The next box to read (every box before it is in the temporary file). */
  readonly resumeFrom: StreamReadPosition;
  /** The temporary file's name in the destination directory. */
  readonly tempName: string;
  /** File content bytes in the temporary file. */
  readonly contentBytes: number;
}

/** Where `receive` continues: the index of the next stream (file) of the channel, or the file in progress. */
export interface ReceiveState {
  readonly nextIndex: Uint8Array;
  readonly received: readonly ReceivedFile[];
  readonly partial: PartialFile | null;
  readonly skipped: readonly SkippedStream[];
}

const FORMAT = 'pigeonhole-cp-receive-state';

/** A short public tag of a read capability, to name and check state files (not a secret: a hash). */
export function capabilityTag(readCap: Uint8Array): string {
  return toHex(blake2b256(readCap)).slice(0, 16);
}

/** The default state file: in the destination directory, named after the channel. */
export function defaultStatePath(dir: string, readCap: Uint8Array): string {
  return join(dir, `.pigeonhole-cp-${capabilityTag(readCap)}.state.json`);
}

/**
 * Reads the receive state of this channel, or null if there is none yet.
 * Refuses a state file of another channel.
 */
export async function loadReceiveState(path: string, readCap: Uint8Array): Promise<ReceiveState | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return null;
    throw new ConfigError('cannot read the receive state', { file: path, cause: error });
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError('the receive state is not JSON', { file: path, cause: error });
  }
  if (doc['format'] !== FORMAT || doc['version'] !== 1) throw new ConfigError('not a pigeonhole-cp receive state file', { file: path });
  if (doc['channel'] !== capabilityTag(readCap)) throw new ConfigError('this receive state belongs to another channel', { file: path, key: 'channel' });
  return {
    nextIndex: indexField(doc, 'nextIndex', path),
    received: Array.isArray(doc['received']) ? (doc['received'] as ReceivedFile[]) : [],
    partial: doc['partial'] === null || doc['partial'] === undefined ? null : partialFrom(doc['partial'] as Record<string, unknown>, path),
    skipped: Array.isArray(doc['skipped']) ? (doc['skipped'] as SkippedStream[]) : [],
  };
}

function indexField(doc: Record<string, unknown>, key: string, path: string): Uint8Array {
  const value = typeof doc[key] === 'string' ? fromBase64Url(doc[key]) : null;
  if (value === null || value.length !== WireSizes.messageBoxIndex) throw new ConfigError(`bad ${key}`, { file: path, key });
  return value;
}

function partialFrom(doc: Record<string, unknown>, path: string): PartialFile {
  const bad = (key: string): never => {
    throw new ConfigError('malformed file in progress', { file: path, key: `partial.${key}` });
  };
  const header = doc['header'] as Record<string, unknown> | undefined;
  const resume = doc['resumeFrom'] as Record<string, unknown> | undefined;
  const count = (value: unknown, key: string): number => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : bad(key));
  if (header === undefined || typeof header['name'] !== 'string' || typeof header['digest'] !== 'string') return bad('header');
  const digest = fromBase64Url(header['digest']);
  if (digest === null || digest.length !== 32) return bad('header.digest');
  if (resume === undefined) return bad('resumeFrom');
  const tempName = doc['tempName'];
  // Only a name of our own temporary files, inside the destination directory.
  if (typeof tempName !== 'string' || !/^\.pigeonhole-cp-[0-9a-f]{16}\.part$/.test(tempName)) return bad('tempName');
  return {
    startIndex: indexField(doc, 'startIndex', path),
    header: { name: header['name'], size: count(header['size'], 'header.size'), digest },
    resumeFrom: { box: count(resume['box'], 'resumeFrom.box'), index: indexField(resume, 'index', path), length: count(resume['length'], 'resumeFrom.length'), boxSize: count(resume['boxSize'], 'resumeFrom.boxSize') },
    tempName,
    contentBytes: count(doc['contentBytes'], 'contentBytes'),
  };
}

/** Saves the state atomically (temp file, fsync, rename, directory fsync). */
export async function saveReceiveState(path: string, readCap: Uint8Array, state: ReceiveState): Promise<void> {
  const { partial } = state;
  const doc = {
    format: FORMAT,
    version: 1,
    channel: capabilityTag(readCap),
    nextIndex: toBase64Url(state.nextIndex),
    received: state.received,
    partial:
      partial === null
        ? null
        : {
            startIndex: toBase64Url(partial.startIndex),
            header: { name: partial.header.name, size: partial.header.size, digest: toBase64Url(partial.header.digest) },
            resumeFrom: { ...partial.resumeFrom, index: toBase64Url(partial.resumeFrom.index) },
            tempName: partial.tempName,
            contentBytes: partial.contentBytes,
          },
    skipped: state.skipped,
  };
  await writeFileAtomic(path, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
}
