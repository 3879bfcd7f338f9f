import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { concatMap, firstValueFrom, lastValueFrom, takeWhile } from 'rxjs';
import { blake2b } from '@noble/hashes/blake2.js';
import type { ThinClient } from '../../client/thin-client.js';
import { STREAM_HEADER_LENGTH, streamBoxCount } from '../../client/streams/stream-framing.js';
import { parseReadCapability } from '../../channels/read-capability.js';
import { bytesEqual, toHex } from '../../core/hex.js';
import { KatzenpostError } from '../../errors/katzenpost-error.js';
import { ProtocolError } from '../../errors/local-errors.js';
import { printResult, progressTarget, type CommandContext } from './cli-io.js';
import { parseFileHeader, type FileHeader } from './file-header.js';
import { createProgressReporter, formatBytes } from './progress.js';
import { defaultStatePath, loadReceiveState, saveReceiveState, type ReceiveState } from './receive-state.js';
import { SafeFileWriter } from './safe-file-writer.js';
import { alternativeFileName, sanitizeFileName } from './sanitize-file-name.js';

/** Options of {@link receiveFiles}. */
export interface ReceiveOptions {
  /** The `kprx1:` read capability string. */
  readonly cap: string;
  /** The state file (default: in `dir`, named after the channel). */
  readonly statePath?: string;
  /** Files to receive before exiting. */
  readonly count: number;
  /** Boxes read concurrently. */
  readonly window: number;
}

/** The digest did not match: nothing was saved and the read position did not move. */
export class DigestMismatchError extends KatzenpostError {
  override readonly name = 'DigestMismatchError';
  constructor() {
    super('ERR_DIGEST_MISMATCH', 'BLAKE2b-256 mismatch: the received content differs from what the sender hashed; nothing was saved');
  }
}

/**
 * `receive DIR`: reads files (streams written by `send`) from the channel,
 * starting where the last run stopped (the state file holds the index of
 * the next stream), and saves each under its sanitised name without ever
 * overwriting (see `SafeFileWriter`). The read position advances only after
 * the file is verified (size and BLAKE2b-256) and durably in place; a file
 * already present with the same size and digest is not saved twice.
 */
export async function receiveFiles(ctx: CommandContext, client: ThinClient, dir: string, options: ReceiveOptions): Promise<void> {
  const shared = parseReadCapability(options.cap);
  const statePath = options.statePath ?? defaultStatePath(dir, shared.readCap);
  let state: ReceiveState = (await loadReceiveState(statePath, shared.readCap)) ?? { nextIndex: shared.startIndex, received: [] };
  for (let n = 0; n < options.count; n++) {
    const began = performance.now();
    const result = await receiveOne(ctx, client, shared.readCap, state.nextIndex, dir, options.window);
    state = {
      nextIndex: result.nextIndex,
      received: [...state.received, { name: result.header.name, path: result.path, size: result.header.size, digest: toHex(result.header.digest), receivedAt: new Date().toISOString() }],
    };
    await saveReceiveState(statePath, shared.readCap, state);
    const seconds = (performance.now() - began) / 1000;
    printResult(
      ctx,
      `received ${result.path} (${result.header.size} bytes, ${result.boxes} boxes${result.duplicate ? ', already here: not saved again' : ''}) in ${seconds.toFixed(2)} s, ` +
        `${formatBytes(Math.round(result.header.size / Math.max(seconds, 0.001)))}/s, blake2b-256 verified ${toHex(result.header.digest)}`,
      { event: 'received', path: result.path, name: result.header.name, size: result.header.size, boxes: result.boxes, seconds, digest: toHex(result.header.digest), verified: true, duplicate: result.duplicate },
    );
  }
}

interface ReceivedOne {
  readonly header: FileHeader;
  readonly path: string;
  readonly boxes: number;
  readonly nextIndex: Uint8Array;
  readonly duplicate: boolean;
}

async function receiveOne(ctx: CommandContext, client: ThinClient, readCap: Uint8Array, start: Uint8Array, dir: string, window: number): Promise<ReceivedOne> {
  const { mode, output } = progressTarget(ctx);
  const progress = createProgressReporter(mode, 'receive', output);
  const hash = blake2b.create({ dkLen: 32 });
  let pendingHeader = new Uint8Array(0);
  let header: FileHeader | null = null;
  let payloadLength = 0;
  let totalBoxes = 1;
  let boxes = 0;
  let bytes = 0;
  let contentBytes = 0;
  let writer: SafeFileWriter | null = null;
  let duplicatePath: string | null = null;

  const handle = async (chunk: Uint8Array): Promise<boolean> => {
    boxes++;
    bytes += chunk.length;
    let content = chunk;
    if (header === null) {
      const joined = new Uint8Array(pendingHeader.length + chunk.length);
      joined.set(pendingHeader, 0);
      joined.set(chunk, pendingHeader.length);
      const parsed = parseFileHeader(joined);
      if (parsed === null) {
        pendingHeader = joined;
        return true;
      }
      header = parsed.header;
      payloadLength = parsed.length + header.size;
      // The first chunk is a whole box minus the 4-byte stream header, unless the stream fits in one box.
      totalBoxes = boxes === 1 && chunk.length < payloadLength ? streamBoxCount(payloadLength, chunk.length + STREAM_HEADER_LENGTH) : Math.max(boxes, 1);
      content = joined.subarray(parsed.length);
      duplicatePath = await findSameFile(dir, header);
      if (duplicatePath !== null) return false; // stop reading: already received (an earlier run died before saving its state)
      writer = await SafeFileWriter.create(dir);
    }
    if (contentBytes + content.length > header.size) throw new ProtocolError('the stream holds more bytes than its header says');
    contentBytes += content.length;
    hash.update(content);
    await writer!.write(content);
    progress.update({ boxes, totalBoxes, bytes, totalBytes: payloadLength });
    return true;
  };

  try {
    await lastValueFrom(
      client.readStream$(readCap, start, { window }).pipe(
        concatMap((chunk) => handle(chunk)),
        takeWhile((more) => more),
      ),
      { defaultValue: false },
    );
    if (header === null) throw new ProtocolError('the stream ended inside the pigeonhole-cp header');
    const got: FileHeader = header;
    let path: string;
    if (duplicatePath !== null) {
      path = duplicatePath;
    } else {
      if (contentBytes !== got.size) throw new ProtocolError(`the stream ended after ${contentBytes} of ${got.size} bytes`);
      if (!bytesEqual(hash.digest(), got.digest)) {
        throw new DigestMismatchError();
      }
      path = await writer!.commit(got.name);
      writer = null;
      progress.done({ boxes, totalBoxes, bytes, totalBytes: payloadLength });
    }
    return { header: got, path, boxes: totalBoxes, nextIndex: await advance(client, start, totalBoxes), duplicate: duplicatePath !== null };
  } finally {
    await (writer as SafeFileWriter | null)?.discard();
  }
}

/** The index `count` boxes after `index` (local requests to the daemon). */
async function advance(client: ThinClient, index: Uint8Array, count: number): Promise<Uint8Array> {
  let next = index;
  for (let i = 0; i < count; i++) next = await firstValueFrom(client.nextMessageBoxIndex(next));
  return next;
}

/** A file in `dir` under the name (or an alternative) this header would get, with the same size and digest. */
async function findSameFile(dir: string, header: FileHeader): Promise<string | null> {
  const wanted = sanitizeFileName(header.name);
  for (let n = 0; n < 10_000; n++) {
    const path = join(dir, n === 0 ? wanted : alternativeFileName(wanted, n));
    const info = await stat(path).catch(() => null);
    if (info === null) return null;
    if (info.isFile() && info.size === header.size && bytesEqual(await hashFile(path), header.digest)) return path;
  }
  return null;
}

async function hashFile(path: string): Promise<Uint8Array> {
  const hash = blake2b.create({ dkLen: 32 });
  for await (const chunk of createReadStream(path)) hash.update(chunk as Uint8Array);
  return hash.digest();
}
