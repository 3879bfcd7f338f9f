/**
 * Two people become contacts without pasting raw capabilities, then chat.
 * Alice invites: she gets a short `kprxinvite1:` string to send Bob out of
 * band (a link, a QR code). Bob accepts it; Alice's wait for the answer
 * completes. Each side's ChannelManager now holds the contact and its two
 * channels — `<name>/out` to write, `<name>/in` to read — and keeps them,
 * with any exchange still in progress, in its store (use a
 * `SqliteChannelStore` or `FileChannelStore` to survive restarts: an app
 * that closes while waiting calls `awaitContact` again when it reopens).
 *
 * In real life each runs their own app and daemon; here both managers share
 * one connection.
 *
 *   npx tsx examples/contact-exchange.ts [--config thinclient.toml]
 */
import { firstValueFrom, take } from 'rxjs';
import { ChannelManager, MemoryChannelStore, type ThinClientConfig } from 'katzenpost-rx';
import { runIfMain, say, withClient } from './support/example-runtime.js';

/** How often to look for an answer that is not there yet (a real mixnet wants seconds). */
const POLL = { initialDelayMs: 200, maxDelayMs: 5_000 };

/** Returns the contacts each side ended with and the first message each read. */
export async function main(config?: ThinClientConfig): Promise<{ alice: string; bob: string; aliceRead: string; bobRead: string }> {
  return withClient(config, async (client) => {
    const alice = new ChannelManager(client, new MemoryChannelStore());
    const bob = new ChannelManager(client, new MemoryChannelStore());

    // Alice: one call gives the invite to hand over; a second one waits for the answer.
    const invite = await alice.invite('bob', 'Alice');
    say(`Alice sends Bob (out of band): ${invite}`);
    const answered = firstValueFrom(alice.awaitContact('bob', POLL));

    // Bob: one call answers it — and he has Alice as a contact.
    const aliceForBob = await firstValueFrom(bob.acceptInvite('alice', invite, 'Bob', POLL));
    const bobForAlice = await answered;
    say(`Bob has a new contact: ${aliceForBob.displayName}; Alice has: ${bobForAlice.displayName}`);

    // They chat: each writes on the contact's send channel and reads the receive channel.
    const send = async (manager: ChannelManager, channel: string, words: string) =>
      firstValueFrom((await manager.get(channel)).send(new TextEncoder().encode(words)));
    const firstFrom = async (manager: ChannelManager, channel: string) =>
      new TextDecoder().decode((await firstValueFrom((await manager.get(channel)).messages$(POLL).pipe(take(1)))).plaintext);
    await send(alice, bobForAlice.sendChannel, 'Hi Bob, it worked!');
    await send(bob, aliceForBob.sendChannel, 'Hi Alice, loud and clear.');
    const bobRead = await firstFrom(bob, aliceForBob.receiveChannel);
    const aliceRead = await firstFrom(alice, bobForAlice.receiveChannel);
    say(`Bob read: ${bobRead}`);
    say(`Alice read: ${aliceRead}`);
    return { alice: bobForAlice.displayName, bob: aliceForBob.displayName, aliceRead, bobRead };
  });
}

runIfMain(import.meta.url, main);
