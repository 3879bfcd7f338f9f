import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import type { ThinClient } from '../../client/thin-client.js';
import { MAX_STREAM_PAYLOAD } from '../../client/streams/stream-framing.js';
import { toHex } from '../../core/hex.js';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { printResult, progressTarget, type CommandContext } from './cli-io.js';
import { encodeFileHeader } from './file-header.js';
import { loadKeyFile, saveKeyFile } from './key-file.js';
import { createProgressReporter, formatBytes } from './progress.js';

/** Options of {@link sendFile}. */
export interface SendOptions {
  readonly keyPath: string;
  /** Boxes written concurrently. */
  readonly window: number;
}

/**
 * `send FILE`: writes a header (name, size, BLAKE2b-256) and the content
 * as one framed stream (`writeStream`)
 * at the key file's next index.
 *
 * Crash-safe like the channel outbox: the transfer (digest and start
 * index) is recorded in the key file *before* the first box is written,
 * and the index advanced only after the last box is confirmed. After an
 * interruption, sending the same file again rewrites the same boxes with
 * the same content (accepted as identical re-writes) and completes it; a
 * different file is refused until then, so boxes are never reused.
 */
export async function sendFile(ctx: CommandContext, client: ThinClient, file: string, options: SendOptions): Promise<void> {
  const key = await loadKeyFile(options.keyPath);
  const info = await stat(file);
  if (!info.isFile()) throw new InvalidArgumentError('file', `${file} is not a regular file`);
  const content = await readFile(file);
  const digest = blake2b256(content);
  const digestHex = toHex(digest);
  const name = basename(file);
  const header = encodeFileHeader({ name, size: content.length, digest });
  if (header.length + content.length > MAX_STREAM_PAYLOAD) throw new InvalidArgumentError('file', `at most ${formatBytes(MAX_STREAM_PAYLOAD - header.length)}`);

  let start = key.nextIndex;
  let resumed = false;
  if (key.pending !== null) {
    if (key.pending.digest !== digestHex || key.pending.size !== content.length) {
      throw new InvalidArgumentError(
        'file',
        `an earlier send of ${JSON.stringify(key.pending.name)} (${key.pending.size} bytes) did not complete; send that file again to finish it before sending another`,
      );
    }
    start = key.pending.startIndex;
    resumed = true;
  } else {
    await saveKeyFile(options.keyPath, { ...key, pending: { name, size: content.length, digest: digestHex, startIndex: start } });
  }

  const payload = new Uint8Array(header.length + content.length);
  payload.set(header, 0);
  payload.set(content, header.length);
  const { mode, output } = progressTarget(ctx);
  const progress = createProgressReporter(mode, 'send', output);
  const began = performance.now();
  const last = await lastValueFrom(
    client.writeStream(key.writeCap, start, payload, { window: options.window }).pipe(
      tap((p) => progress.update({ boxes: p.boxesDone, totalBoxes: p.totalBoxes, bytes: p.bytesDone, totalBytes: p.totalBytes })),
    ),
  );
  progress.done({ boxes: last.boxesDone, totalBoxes: last.totalBoxes, bytes: last.bytesDone, totalBytes: last.totalBytes });
  await saveKeyFile(options.keyPath, { ...key, nextIndex: last.nextIndex!, pending: null });
  const seconds = (performance.now() - began) / 1000;
  printResult(
    ctx,
    `sent ${name} (${content.length} bytes, ${last.totalBoxes} boxes${resumed ? ', resumed' : ''}) in ${seconds.toFixed(2)} s, ` +
      `${formatBytes(Math.round(payload.length / Math.max(seconds, 0.001)))}/s, blake2b-256 ${digestHex}`,
    { event: 'sent', name, size: content.length, boxes: last.totalBoxes, seconds, digest: digestHex, resumed },
  );
}
