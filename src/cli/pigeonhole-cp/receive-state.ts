import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromBase64Url, toBase64Url } from '../../channels/base64url.js';
import { writeFileAtomic } from '../../channels/atomic-write-file.js';
import { toHex } from '../../core/hex.js';
import { ConfigError } from '../../errors/local-errors.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { WireSizes } from '../../wire/constants.js';

/** One file received, as the state file lists it. */
export interface ReceivedFile {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly digest: string;
  readonly receivedAt: string;
}

/** Where `receive` continues: the index of the next stream (file) of the channel. */
export interface ReceiveState {
  readonly nextIndex: Uint8Array;
  readonly received: readonly ReceivedFile[];
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
  const next = typeof doc['nextIndex'] === 'string' ? fromBase64Url(doc['nextIndex']) : null;
  if (next === null || next.length !== WireSizes.messageBoxIndex) throw new ConfigError('bad nextIndex', { file: path, key: 'nextIndex' });
  return { nextIndex: next, received: Array.isArray(doc['received']) ? (doc['received'] as ReceivedFile[]) : [] };
}

/** Saves the state atomically (temp file, fsync, rename, directory fsync). */
export async function saveReceiveState(path: string, readCap: Uint8Array, state: ReceiveState): Promise<void> {
  const doc = { format: FORMAT, version: 1, channel: capabilityTag(readCap), nextIndex: toBase64Url(state.nextIndex), received: state.received };
  await writeFileAtomic(path, `${JSON.stringify(doc, null, 2)}\n`, 0o600);
}
