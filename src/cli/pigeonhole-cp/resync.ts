import { firstValueFrom } from 'rxjs';
import type { ThinClient } from '../../client/thin-client.js';
import { parseStreamHeader, streamBoxCount } from '../../client/streams/stream-framing.js';
import { InvalidArgumentError } from '../../errors/local-errors.js';
import { BoxIDNotFoundError, TombstoneError } from '../../errors/replica-errors.js';
import { printResult, type CommandContext } from './cli-io.js';
import { loadKeyFile, saveKeyFile } from './key-file.js';

/**
 * `resync --key FILE`: moves a key file's index past what the channel
 * already holds — the way out of a `StaleKeyFileError` (a key file behind
 * its channel: a stale copy or backup). From the key file's index it reads
 * one box per stream (no-retry reads, so an empty box answers at once):
 * a stream's first box says how many boxes it has, so it skips whole
 * streams, a deleted box one box, and stops at the first empty box, which
 * becomes the index of the next send.
 */
export async function resync(ctx: CommandContext, client: ThinClient, keyPath: string): Promise<void> {
  const key = await loadKeyFile(keyPath);
  if (key.pending !== null) {
    throw new InvalidArgumentError('key', `a send of ${JSON.stringify(key.pending.name)} is in progress with this key file: send that file again to finish it`);
  }
  let index = key.nextIndex;
  let streams = 0;
  let boxes = 0;
  for (;;) {
    let skip: number;
    try {
      const first = await firstValueFrom(client.read(key.readCap, index, { noRetry: true }));
      skip = streamBoxCount(parseStreamHeader(first).length, Math.max(first.length, 5));
      streams++;
    } catch (error) {
      if (error instanceof BoxIDNotFoundError) break;
      if (!(error instanceof TombstoneError)) throw error;
      skip = 1;
    }
    for (let i = 0; i < skip; i++) index = await firstValueFrom(client.nextMessageBoxIndex(index));
    boxes += skip;
  }
  await saveKeyFile(keyPath, { ...key, nextIndex: index });
  printResult(
    ctx,
    boxes === 0 ? `${keyPath} is in step with its channel: nothing to skip` : `${keyPath} moved past ${streams} streams (${boxes} boxes) already in the channel: the next send goes after them`,
    { event: 'resync', keyFile: keyPath, streams, boxes },
  );
}
