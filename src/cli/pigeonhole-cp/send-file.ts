import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { firstValueFrom, lastValueFrom, tap } from 'rxjs';
import type { ThinClient } from '../../client/thin-client.js';
import type { StreamPosition } from '../../client/streams/read-stream.js';
import { MAX_STREAM_PAYLOAD, streamBox, streamBoxCount, streamBytesBefore } from '../../client/streams/stream-framing.js';
import type { WriteStreamProgress } from '../../client/streams/write-stream.js';
import { bytesEqual, toHex } from '../../core/hex.js';
import { KatzenpostError } from '../../errors/katzenpost-error.js';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { BoxAlreadyExistsError } from '../../errors/replica-errors.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { printResult, progressTarget, type CommandContext } from './cli-io.js';
import { watchDaemon } from './daemon-watch.js';
import { encodeFileHeader } from './file-header.js';
import { loadKeyFile, saveKeyFile, type KeyFile, type PendingTransfer } from './key-file.js';
import { LatestSaver } from './latest-saver.js';
import { createProgressReporter, formatBytes, type ProgressReporter } from './progress.js';

/** Options of {@link sendFile}. */
export interface SendOptions {
  readonly keyPath: string;
  /** Boxes written concurrently. */
  readonly window: number;
  /** Give up (resumably) after this long without the daemon. */
  readonly daemonTimeoutMs: number;
}

/**
 * The channel's next box already holds other content: the key file's
 * index is behind the channel (a stale copy or backup of it, or the
 * channel was written with another copy). Nothing was sent.
 */
export class StaleKeyFileError extends KatzenpostError {
  override readonly name = 'StaleKeyFileError';
  constructor(keyPath: string) {
    super(
      'ERR_STALE_KEY_FILE',
      `the channel's next box already holds other content, so ${keyPath} is behind the channel: it is a stale copy or backup, ` +
        'or the channel was written with another copy of this key. Nothing was sent. Send with the key file that made the last send, ' +
        `or move this one past what the channel holds: pigeonhole-cp resync --key ${keyPath}`,
    );
  }
}

/**
 * `send FILE`: writes a header (name, size, BLAKE2b-256) and the content
 * as one framed stream (`writeStream$`) at the key file's next index.
 *
 * Crash-safe and resumable: the transfer (digest and start index) is
 * recorded in the key file *before* the first box is written; as boxes are
 * confirmed, the position up to which every box is written is saved there
 * too (`pending.resumeFrom`); the index is advanced only after the last box
 * is confirmed. Sending the same file again after an interruption continues
 * from that position (boxes in flight when it stopped are rewritten with
 * the same content, which the replicas accept); a different file is refused
 * until then, so boxes are never reused.
 *
 * The first box of every run is written strictly (`failIfBoxExists`): if it
 * already holds other content, the key file is behind the channel and the
 * send stops with {@link StaleKeyFileError} before writing anything — the
 * default, idempotent write would report success and the file would
 * silently never arrive.
 */
export async function sendFile(ctx: CommandContext, client: ThinClient, file: string, options: SendOptions): Promise<void> {
  const key = await loadKeyFile(options.keyPath);
  const content = await readInputFile(file);
  const digest = blake2b256(content);
  const digestHex = toHex(digest);
  const name = basename(file);
  const header = encodeFileHeader({ name, size: content.length, digest });
  if (header.length + content.length > MAX_STREAM_PAYLOAD) throw new InvalidArgumentError('file', `at most ${formatBytes(MAX_STREAM_PAYLOAD - header.length)}`);

  let pending: PendingTransfer;
  if (key.pending !== null) {
    if (key.pending.digest !== digestHex || key.pending.size !== content.length) {
      throw new InvalidArgumentError(
        'file',
        `an earlier send of ${JSON.stringify(key.pending.name)} (${key.pending.size} bytes) did not complete; send that file again to finish it before sending another`,
      );
    }
    pending = key.pending;
  } else {
    pending = { name, size: content.length, digest: digestHex, startIndex: key.nextIndex, resumeFrom: null };
    await saveKeyFile(options.keyPath, { ...key, pending });
  }
  const from: StreamPosition = pending.resumeFrom ?? { box: 0, index: pending.startIndex };

  const payload = new Uint8Array(header.length + content.length);
  payload.set(header, 0);
  payload.set(content, header.length);
  const { mode, output } = progressTarget(ctx);
  const progress = createProgressReporter(mode, 'send', output);
  const saver = new LatestSaver((resumeFrom: StreamPosition) => saveKeyFile(options.keyPath, { ...key, pending: { ...pending, resumeFrom } }));
  const watch = watchDaemon(client, (note) => progress.connection(note), options.daemonTimeoutMs);
  const began = performance.now();
  let last: WriteStreamProgress;
  try {
    last = await Promise.race([writeFrom(client, key, options, payload, pending.startIndex, from, progress, saver), watch.failure]);
  } catch (error) {
    watch.stop();
    // What was confirmed is kept even when the send stops here.
    await saver.flush();
    // Refused before its first box: no trace of this send, so that `resync` can bring the key file in step.
    if (error instanceof StaleKeyFileError && key.pending === null) await saveKeyFile(options.keyPath, key);
    else progress.stopped((saver.latest ?? from).box);
    throw error;
  }
  watch.stop();
  await saver.flush();
  progress.done({ boxes: last.boxesDone, totalBoxes: last.totalBoxes, bytes: last.bytesDone, totalBytes: last.totalBytes });
  await saveKeyFile(options.keyPath, { ...key, nextIndex: last.nextIndex!, pending: null });
  const seconds = (performance.now() - began) / 1000;
  const resumed = from.box > 0 ? `, resumed at box ${from.box}` : key.pending !== null ? ', resumed' : '';
  printResult(
    ctx,
    `sent ${name} (${content.length} bytes, ${last.totalBoxes} boxes${resumed}) in ${seconds.toFixed(2)} s, ` +
      `${formatBytes(Math.round(payload.length / Math.max(seconds, 0.001)))}/s, blake2b-256 ${digestHex}`,
    {
      event: 'sent',
      name,
      size: content.length,
      boxes: last.totalBoxes,
      boxesWritten: last.totalBoxes - from.box,
      seconds,
      digest: digestHex,
      resumed: key.pending !== null,
      resumedAtBox: from.box,
    },
  );
}

/**
 * Writes boxes `from.box` … the last: the first of them alone and strictly
 * (see {@link sendFile}), the rest with `writeStream$`, saving the resume
 * position as boxes are confirmed.
 */
async function writeFrom(
  client: ThinClient,
  key: KeyFile,
  options: SendOptions,
  payload: Uint8Array,
  startIndex: Uint8Array,
  from: StreamPosition,
  progress: ProgressReporter,
  saver: LatestSaver<StreamPosition>,
): Promise<WriteStreamProgress> {
  const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength;
  const totalBoxes = streamBoxCount(payload.length, boxSize);
  let position = from;
  if (position.box < totalBoxes) {
    const next = await writeBoxStrictly(client, key, options.keyPath, position.index, streamBox(payload, boxSize, position.box));
    position = { box: position.box + 1, index: next };
    saver.save(position);
    progress.update({ boxes: position.box, totalBoxes, bytes: streamBytesBefore(position.box, boxSize, payload.length), totalBytes: payload.length });
  }
  return lastValueFrom(
    client.writeStream$(key.writeCap, startIndex, payload, { window: options.window, resumeFrom: position }).pipe(
      tap((p) => {
        saver.save(p.resumeFrom);
        progress.update({ boxes: p.boxesDone, totalBoxes: p.totalBoxes, bytes: p.bytesDone, totalBytes: p.totalBytes });
      }),
    ),
  );
}

/**
 * Writes one box failing if it holds other content; emits the next index.
 * Content of our own from before an interruption is no conflict: BACAP
 * encryption is deterministic (AES-GCM-SIV with the box id as nonce,
 * Ed25519), so such a rewrite is byte-identical and succeeds — and should
 * a daemon encrypt differently, the box read back says whether it is ours.
 */
async function writeBoxStrictly(client: ThinClient, key: KeyFile, keyPath: string, index: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
  try {
    return await firstValueFrom(client.write(key.writeCap, index, plaintext, { failIfBoxExists: true }));
  } catch (error) {
    if (!(error instanceof BoxAlreadyExistsError)) throw error;
  }
  const there = await firstValueFrom(client.read(key.readCap, index, { noRetry: true })).catch(() => null);
  if (there === null || !bytesEqual(there, plaintext)) throw new StaleKeyFileError(keyPath);
  return firstValueFrom(client.nextMessageBoxIndex(index));
}

/**
 * Checks, before the daemon is dialled, that the key file and the file to
 * send are there: a typo fails at once, with what is wrong.
 */
export async function checkSendable(file: string, keyPath: string): Promise<void> {
  await loadKeyFile(keyPath);
  await inputFile(file, async () => undefined);
}

/** The file to send, with errors that say what is wrong with the path (not a bare `ENOENT … stat`). */
function readInputFile(file: string): Promise<Uint8Array> {
  return inputFile(file, () => readFile(file));
}

async function inputFile<T>(file: string, read: () => Promise<T>): Promise<T> {
  try {
    if (!(await stat(file)).isFile()) throw new InvalidArgumentError('file', `${file} is not a regular file`);
    return await read();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT') throw new InvalidArgumentError('file', `no such file: ${file}`);
    if (code === 'EACCES') throw new InvalidArgumentError('file', `${file} is not readable (permission denied)`);
    if (code === 'EISDIR') throw new InvalidArgumentError('file', `${file} is a directory`);
    throw error;
  }
}
