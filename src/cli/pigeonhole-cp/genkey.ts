import { firstValueFrom } from 'rxjs';
import type { ThinClient } from '../../client/thin-client.js';
import { encodeReadCapability } from '../../channels/read-capability.js';
import { cryptoRandom } from '../../core/random-source.js';
import { WireSizes } from '../../wire/constants.js';
import { printResult, type CommandContext } from './cli-io.js';
import { createKeyFile, loadKeyFile } from './key-file.js';

/**
 * `genkey`: a new channel. Writes the key file (exclusively, mode 0600 —
 * it holds the write capability) and prints the shareable read capability
 * string; the write capability is never printed.
 */
export async function genkey(ctx: CommandContext, client: ThinClient, keyPath: string): Promise<void> {
  const keys = await firstValueFrom(client.newKeypair(cryptoRandom(WireSizes.seed)));
  await createKeyFile(keyPath, { writeCap: keys.writeCap.exposeBytes(), readCap: keys.readCap, firstIndex: keys.firstMessageIndex, nextIndex: keys.firstMessageIndex, pending: null });
  const share = encodeReadCapability({ readCap: keys.readCap, startIndex: keys.firstMessageIndex });
  printResult(
    ctx,
    `wrote ${keyPath} (keep it secret: it can write the channel)\nread capability (give this to the receiver):\n${share}`,
    { event: 'genkey', keyFile: keyPath, readCapability: share },
  );
}

/** `share`: the read capability string of a key file again (from its first box, or from the next file on). */
export async function share(ctx: CommandContext, keyPath: string, from: 'first' | 'next'): Promise<void> {
  const key = await loadKeyFile(keyPath);
  const text = encodeReadCapability({ readCap: key.readCap, startIndex: from === 'next' ? key.nextIndex : key.firstIndex });
  printResult(ctx, text, { event: 'share', readCapability: text, from });
}
