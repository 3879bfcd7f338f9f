/**
 * The how-to guide's complete end-to-end example: Alice creates a channel
 * and writes one message; Bob reads it back. Written with the Pigeonhole
 * primitives exactly as the guide does (`client.write` / `client.read` do
 * the same in one call each).
 *
 *   npx tsx examples/alice-and-bob.ts [--config thinclient.toml]
 */
import { firstValueFrom } from 'rxjs';
import type { ThinClientConfig } from 'katzenpost-rx';
import { runIfMain, say, withClient } from './support/example-runtime.js';

/** Returns what Bob read. */
export async function main(config?: ThinClientConfig): Promise<string> {
  return withClient(config, async (client) => {
    // Alice creates a channel from a random 32-byte seed (local crypto, no traffic).
    const seed = crypto.getRandomValues(new Uint8Array(32));
    const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seed));

    // Alice writes one message: encrypt it, then hand it to the daemon's ARQ,
    // which resolves once a courier has acknowledged it.
    const sealed = await firstValueFrom(client.encryptWrite(new TextEncoder().encode('hello from Alice'), writeCap, firstMessageIndex));
    await firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...sealed }));

    // Bob reads it. He would get readCap and firstMessageIndex from Alice out of band.
    // A read must name the box's index: the daemon needs it to decrypt the reply.
    const query = await firstValueFrom(client.encryptRead(readCap, firstMessageIndex));
    const { plaintext } = await firstValueFrom(
      client.startResendingEncryptedMessage({ readCap, messageBoxIndex: firstMessageIndex, ...query }),
    );
    const text = new TextDecoder().decode(plaintext!);
    say(`Bob read: ${text}`);
    return text;
  });
}

runIfMain(import.meta.url, main);
