/**
 * How-to: create a Pigeonhole channel, write a message, read a message —
 * first with the primitives exactly as the guide does, then with the
 * SDK's one-call `write` / `read`.
 */
import { firstValueFrom } from 'rxjs';
import { daemonBarrier, seedOf, text, utf8, withSim } from './support/howto-env.js';

describe('how-to: create a Pigeonhole channel', () => {
  it('makes caps and a first index from a 32-byte seed, locally (no network traffic), deterministically', () =>
    withSim('howto-channel', async ({ sim, client }) => {
      const seed = crypto.getRandomValues(new Uint8Array(32));
      // Offline on purpose: key generation is local crypto.
      sim.setOnline(false);
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seed));
      expect([writeCap.length, readCap.length, firstMessageIndex.length]).toEqual([168, 136, 104]);
      const again = await firstValueFrom(client.newKeypair(seed));
      expect(again.writeCap.equals(writeCap)).toBe(true);
      await daemonBarrier(client);
      expect(sim.stats().pendingMixnetRequests).toBe(0);
      expect(sim.stats().boxes).toBe(0);
      // The index holds a counter (starting at a random value) that writer and reader step through.
      const counter = await firstValueFrom(client.getMessageBoxIndexCounter(firstMessageIndex));
      const second = await firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex));
      expect(await firstValueFrom(client.getMessageBoxIndexCounter(second))).toBe(counter + 1n);
    }));
});

describe('how-to: write and read a message', () => {
  it('writes with encryptWrite + startResendingEncryptedMessage and reads with encryptRead + startResendingEncryptedMessage', () =>
    withSim('howto-write-read-primitives', async ({ client }) => {
      const alice = await firstValueFrom(client.newKeypair(seedOf('alice')));
      let writeIndex = alice.firstMessageIndex;

      // Write: encrypt, then send via the daemon's ARQ (resolves once acknowledged).
      const sealed = await firstValueFrom(client.encryptWrite(utf8('hello'), alice.writeCap, writeIndex));
      const written = await firstValueFrom(client.startResendingEncryptedMessage({ writeCap: alice.writeCap, ...sealed }));
      expect(written.plaintext).toBeNull();
      writeIndex = sealed.nextMessageBoxIndex; // advance (and persist) the index

      // Read: the box index MUST accompany a read, the daemon needs it to decrypt.
      let readIndex = alice.firstMessageIndex;
      const query = await firstValueFrom(client.encryptRead(alice.readCap, readIndex));
      const result = await firstValueFrom(
        client.startResendingEncryptedMessage({ readCap: alice.readCap, messageBoxIndex: readIndex, ...query }),
      );
      expect(text(result.plaintext!)).toBe('hello');
      readIndex = query.nextMessageBoxIndex;
      expect(readIndex).toEqual(writeIndex);
    }));

  it('write() and read() do the same in one call each, and emit the next index', () =>
    withSim('howto-write-read', async ({ client }) => {
      const alice = await firstValueFrom(client.newKeypair(seedOf('alice')));
      let index = alice.firstMessageIndex;
      for (const message of ['one', 'two', 'three']) {
        index = await firstValueFrom(client.write(alice.writeCap, index, utf8(message)));
      }
      let at = alice.firstMessageIndex;
      const got: string[] = [];
      for (let i = 0; i < 3; i++) {
        got.push(text(await firstValueFrom(client.read(alice.readCap, at))));
        at = await firstValueFrom(client.nextMessageBoxIndex(at));
      }
      expect(got).toEqual(['one', 'two', 'three']);
      expect(at).toEqual(index);
    }));

  it('a write is idempotent: re-sending the same envelope succeeds', () =>
    withSim('howto-write-idempotent', async ({ client }) => {
      const alice = await firstValueFrom(client.newKeypair(seedOf('alice')));
      const sealed = await firstValueFrom(client.encryptWrite(utf8('once'), alice.writeCap, alice.firstMessageIndex));
      await firstValueFrom(client.startResendingEncryptedMessage({ writeCap: alice.writeCap, ...sealed }));
      // A retransmit after an uncertain failure is safe.
      await firstValueFrom(client.startResendingEncryptedMessage({ writeCap: alice.writeCap, ...sealed }));
      expect(text(await firstValueFrom(client.read(alice.readCap, alice.firstMessageIndex)))).toBe('once');
    }));
});
