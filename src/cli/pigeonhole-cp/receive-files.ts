import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { concatMap, firstValueFrom, lastValueFrom, takeWhile } from 'rxjs';
import { blake2b } from '@noble/hashes/blake2.js';
import type { ThinClient } from '../../client/thin-client.js';
import type { StreamBox, StreamReadPosition } from '../../client/streams/read-stream.js';
import { streamBoxCount, streamBytesBefore } from '../../client/streams/stream-framing.js';
import { parseReadCapability } from '../../channels/read-capability.js';
import { toBase64Url } from '../../core/base64url.js';
import { bytesEqual, toHex } from '../../core/hex.js';
import { KatzenpostError } from '../../errors/katzenpost-error.js';
import { ProtocolError } from '../../errors/local-errors.js';
import { TombstoneError } from '../../errors/replica-errors.js';
import { printResult, progressTarget, type CommandContext } from './cli-io.js';
import { watchDaemon } from './daemon-watch.js';
import { parseFileHeader, type FileHeader } from './file-header.js';
import { LatestSaver } from './latest-saver.js';
import { createProgressReporter, formatBytes, type ProgressReporter } from './progress.js';
import { defaultStatePath, loadReceiveState, saveReceiveState, type PartialFile, type ReceiveState } from './receive-state.js';
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
  /** Step past streams that are not pigeonhole-cp files (or are damaged) instead of stopping. */
  readonly skipBad: boolean;
  /** Give up (resumably) after this long without the daemon. */
  readonly daemonTimeoutMs: number;
}

const SKIP_HINT = 'Files after it are not lost: run receive again with --skip-bad to step past it';

/** The digest did not match: nothing was saved and the read position did not move. */
export class DigestMismatchError extends KatzenpostError {
  override readonly name = 'DigestMismatchError';
  constructor() {
    super('ERR_DIGEST_MISMATCH', `BLAKE2b-256 mismatch: the received content differs from what the sender hashed; nothing was saved. ${SKIP_HINT}`);
  }
}

/** The channel's next stream is not a pigeonhole-cp file (written by something else, or damaged). */
export class ForeignStreamError extends KatzenpostError {
  override readonly name = 'ForeignStreamError';
  constructor(readonly reason: string, options?: { cause?: unknown }) {
    super('ERR_FOREIGN_STREAM', `${reason}: the channel's next stream is not a file from pigeonhole-cp send (written by something else, or damaged). ${SKIP_HINT}`, options);
  }
}

/** What became of one stream. */
type Outcome =
  | { readonly kind: 'file'; readonly header: FileHeader; readonly path: string; readonly boxes: number; readonly nextIndex: Uint8Array; readonly duplicate: boolean; readonly resumedAtBox: number }
  | { readonly kind: 'skipped'; readonly reason: string; readonly boxes: number; readonly nextIndex: Uint8Array };

/**
 * `receive DIR`: reads files (streams written by `send`) from the channel
 * and saves each under its sanitised name without ever overwriting (see
 * `SafeFileWriter`). Received files are created mode 0600 (owner only);
 * `chmod` them to share.
 *
 * Resumable box by box: while a file arrives, its content goes to a
 * temporary file in `dir` and the state file (atomically replaced) records
 * how far the stream is read — after the temporary file is fsynced — so an
 * interrupted receive continues at that box, not at the file's first.
 * The position of the next file advances only after a file is verified
 * (size and BLAKE2b-256) and durably in place; a file already present with
 * the same size and digest is not saved twice.
 *
 * A stream that is not a pigeonhole-cp file, or is damaged, stops the
 * receive with an error saying so — or, with `skipBad`, is stepped past
 * (and listed in the state file) so that later files still arrive.
 */
export async function receiveFiles(ctx: CommandContext, client: ThinClient, dir: string, options: ReceiveOptions): Promise<void> {
  const shared = parseReadCapability(options.cap);
  const statePath = options.statePath ?? defaultStatePath(dir, shared.readCap);
  let state: ReceiveState = (await loadReceiveState(statePath, shared.readCap)) ?? { nextIndex: shared.startIndex, received: [], partial: null, skipped: [] };
  for (let n = 0; n < options.count; ) {
    const began = performance.now();
    const { mode, output } = progressTarget(ctx);
    const progress = createProgressReporter(mode, 'receive', output);
    const watch = watchDaemon(client, (note) => progress.connection(note), options.daemonTimeoutMs);
    let outcome: Outcome;
    try {
      outcome = await Promise.race([receiveOne(client, shared.readCap, dir, state, statePath, options, progress), watch.failure]);
    } finally {
      watch.stop();
    }
    const seconds = (performance.now() - began) / 1000;
    if (outcome.kind === 'skipped') {
      state = {
        ...state,
        nextIndex: outcome.nextIndex,
        partial: null,
        skipped: [...state.skipped, { at: toBase64Url(state.nextIndex), boxes: outcome.boxes, reason: outcome.reason, skippedAt: new Date().toISOString() }],
      };
      await saveReceiveState(statePath, shared.readCap, state);
      printResult(ctx, `skipped a stream of ${outcome.boxes} boxes that is not a pigeonhole-cp file: ${outcome.reason}`, { event: 'skipped', boxes: outcome.boxes, reason: outcome.reason });
      continue;
    }
    const { header, path } = outcome;
    state = {
      ...state,
      nextIndex: outcome.nextIndex,
      partial: null,
      received: [...state.received, { name: header.name, path, size: header.size, digest: toHex(header.digest), receivedAt: new Date().toISOString() }],
    };
    await saveReceiveState(statePath, shared.readCap, state);
    n++;
    const resumed = outcome.resumedAtBox > 0 ? `, resumed at box ${outcome.resumedAtBox}` : '';
    printResult(
      ctx,
      `received ${path} (${header.size} bytes, ${outcome.boxes} boxes${resumed}${outcome.duplicate ? ', already here: not saved again' : ''}) in ${seconds.toFixed(2)} s, ` +
        `${formatBytes(Math.round(header.size / Math.max(seconds, 0.001)))}/s, blake2b-256 verified ${toHex(header.digest)}`,
      {
        event: 'received',
        path,
        name: header.name,
        size: header.size,
        boxes: outcome.boxes,
        seconds,
        digest: toHex(header.digest),
        verified: true,
        duplicate: outcome.duplicate,
        resumedAtBox: outcome.resumedAtBox,
      },
    );
  }
}

/** Receives the stream at `state.nextIndex` — or continues the file in progress — into `dir`. */
async function receiveOne(
  client: ThinClient,
  readCap: Uint8Array,
  dir: string,
  state: ReceiveState,
  statePath: string,
  options: ReceiveOptions,
  progress: ProgressReporter,
): Promise<Outcome> {
  const startIndex = state.nextIndex;
  const resumed = state.partial === null ? null : await reopen(dir, state.partial);
  let writer: SafeFileWriter | null = resumed?.writer ?? null;
  let header: FileHeader | null = resumed === null ? null : state.partial!.header;
  let contentBytes = resumed === null ? 0 : state.partial!.contentBytes;
  const hash = resumed?.hash ?? blake2b.create({ dkLen: 32 });
  /** The last box handled: where reading continues, and how long the stream is. */
  let position: StreamReadPosition | null = resumed === null ? null : state.partial!.resumeFrom;
  let pendingHeader = new Uint8Array(0);
  let duplicatePath: string | null = null;
  /** The state file names the temporary file (so an interrupted run leaves it for the next). */
  let recorded = resumed !== null;
  /** This stream is dealt with (received, or stepped past): else the receive stopped early. */
  let settled = false;
  const saver = new LatestSaver(async (partial: PartialFile | null) => {
    await writer?.sync(); // the content first: the saved position vouches for it
    await saveReceiveState(statePath, readCap, { ...state, partial });
  });

  const handle = async (box: StreamBox): Promise<boolean> => {
    position = box.resumeFrom;
    let content = box.data;
    if (header === null) {
      const joined = new Uint8Array(pendingHeader.length + box.data.length);
      joined.set(pendingHeader, 0);
      joined.set(box.data, pendingHeader.length);
      const parsed = parseFileHeader(joined);
      if (parsed === null) {
        pendingHeader = joined;
        return true;
      }
      if (parsed.length + parsed.header.size !== box.resumeFrom.length) throw new ProtocolError('the stream length does not match the pigeonhole-cp header');
      header = parsed.header;
      content = joined.subarray(parsed.length);
      duplicatePath = await findSameFile(dir, header);
      if (duplicatePath !== null) return false; // stop reading: already received (an earlier run died before saving its state)
      writer = await SafeFileWriter.create(dir);
    }
    if (contentBytes + content.length > header.size) throw new ProtocolError('the stream holds more bytes than its header says');
    contentBytes += content.length;
    hash.update(content);
    await writer!.write(content);
    progress.update(snapshot(box.resumeFrom));
    saver.save({ startIndex, header, resumeFrom: box.resumeFrom, tempName: writer!.tempName, contentBytes });
    recorded = true;
    return true;
  };

  try {
    try {
      await lastValueFrom(
        client
          .readStreamBoxes$(readCap, startIndex, { window: options.window, ...(position === null ? {} : { resumeFrom: position }) })
          .pipe(
            concatMap((box) => handle(box)),
            takeWhile((more) => more),
          ),
        { defaultValue: false },
      );
      if (header === null) throw new ProtocolError('the stream ended inside the pigeonhole-cp header');
      const got: FileHeader = header;
      const end: StreamReadPosition = position!;
      const boxes = totalBoxes(end);
      if (duplicatePath !== null) {
        const nextIndex = await advance(client, end.index, boxes - end.box);
        settled = true;
        return { kind: 'file', header: got, path: duplicatePath, boxes, nextIndex, duplicate: true, resumedAtBox: 0 };
      }
      if (contentBytes !== got.size) throw new ProtocolError(`the stream ended after ${contentBytes} of ${got.size} bytes`);
      if (!bytesEqual(hash.digest(), got.digest)) throw new DigestMismatchError();
      await saver.flush();
      const path = await writer!.commit(got.name);
      writer = null;
      progress.done(snapshot(end));
      settled = true;
      return { kind: 'file', header: got, path, boxes, nextIndex: end.index, duplicate: false, resumedAtBox: resumed === null ? 0 : state.partial!.resumeFrom.box };
    } catch (error) {
      const reason = badStreamReason(error);
      if (reason === null) throw error;
      await writer?.discard();
      writer = null;
      if (!options.skipBad) {
        // The position stays at this stream's start; the file in progress is gone.
        if (recorded) saver.save(null);
        throw error instanceof DigestMismatchError ? error : new ForeignStreamError(reason, { cause: error });
      }
      // Past the whole stream when its length is known, else past its first box.
      const end: StreamReadPosition | null = position;
      const skipped: Outcome =
        end === null
          ? { kind: 'skipped', reason, boxes: 1, nextIndex: await advance(client, startIndex, 1) }
          : { kind: 'skipped', reason, boxes: totalBoxes(end), nextIndex: await advance(client, end.index, totalBoxes(end) - end.box) };
      settled = true;
      return skipped;
    }
  } finally {
    await saver.flush();
    // Interrupted: kept if the state names it (the next run continues there), else gone.
    if (writer !== null) await (recorded ? (writer as SafeFileWriter).release() : (writer as SafeFileWriter).discard());
    if (!settled) progress.stopped(saver.latest?.resumeFrom.box ?? (resumed === null ? 0 : state.partial!.resumeFrom.box));
  }
}

/** Why an error means the stream itself is bad (null: it is not the stream's fault). */
function badStreamReason(error: unknown): string | null {
  if (error instanceof DigestMismatchError) return 'BLAKE2b-256 mismatch';
  if (error instanceof ProtocolError) return error.message;
  if (error instanceof TombstoneError) return 'a box of it was deleted (tombstone)';
  return null;
}

function totalBoxes(position: StreamReadPosition): number {
  return streamBoxCount(position.length, position.boxSize);
}

function snapshot(position: StreamReadPosition) {
  return {
    boxes: position.box,
    totalBoxes: totalBoxes(position),
    bytes: streamBytesBefore(position.box, position.boxSize, position.length),
    totalBytes: position.length,
  };
}

/**
 * The temporary file of an interrupted receive, reopened at the saved
 * length, and its content hashed again; null (start the file over) if it
 * is gone.
 */
async function reopen(dir: string, partial: PartialFile): Promise<{ writer: SafeFileWriter; hash: ReturnType<typeof blake2b.create> } | null> {
  const writer = await SafeFileWriter.resume(dir, partial.tempName, partial.contentBytes);
  if (writer === null) return null;
  const hash = blake2b.create({ dkLen: 32 });
  if (partial.contentBytes > 0) {
    for await (const chunk of createReadStream(writer.tempFile, { start: 0, end: partial.contentBytes - 1 })) hash.update(chunk as Uint8Array);
  }
  return { writer, hash };
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
