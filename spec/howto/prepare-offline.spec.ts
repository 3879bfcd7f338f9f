/**
 * How-to: prepare operations offline. Key generation and encryption are
 * local and work while the daemon has no mixnet link; a send made offline
 * waits at the daemon (this SDK does not fail it) and goes out once the
 * link is back. The guide's "flush a queue when the connection event turns
 * true" is a `state$` filter.
 */
import { concatMap, filter, firstValueFrom, from, lastValueFrom, take, toArray } from 'rxjs';
import type { EncryptResult, ThinClient } from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { daemonBarrier, first, isPending, seedOf, text, utf8, withSim } from './support/howto-env.js';

/** Resolves after the daemon has reported `n` more failed dials (each ≥ 15 simulated s apart after the first). */
function failedDials(client: ThinClient, n: number): Promise<unknown> {
  return firstValueFrom(client.events$.pipe(filter((e) => e.type === 'connection_status_event' && !e.isConnected), take(n), toArray()));
}

async function goOffline(sim: SimulatorHandle, client: ThinClient): Promise<void> {
  const offline = first(client.state$, (s) => !s.mixnet);
  sim.setOnline(false);
  await offline;
}

describe('how-to: prepare operations offline', () => {
  it('encryptWrite works offline; the send waits, unanswered, and completes once the daemon is back online', () =>
    withSim('howto-offline', async ({ sim, client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('offline')));
      await goOffline(sim, client);
      expect(client.isConnected()).toBe(false);

      // Local crypto: works regardless.
      const sealed = await firstValueFrom(client.encryptWrite(utf8('written while offline'), writeCap, firstMessageIndex));

      // The send is accepted and waits in the daemon's queue.
      const sending = firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...sealed }));
      // Two more failed dials are ≥ 17 simulated seconds: several times what a write takes online.
      await failedDials(client, 2);
      await daemonBarrier(client);
      expect(await isPending(sending)).toBe(true);
      expect(sim.stats().pendingMixnetRequests).toBe(1);
      expect(sim.readBox(writeCap, firstMessageIndex).code).not.toBe(0);

      sim.setOnline(true);
      await sending;
      expect(text(await firstValueFrom(client.read(readCap, firstMessageIndex)))).toBe('written while offline');
    }));

  it('queue envelopes while offline and flush them when the connection status turns true', () =>
    withSim('howto-offline-queue', async ({ sim, client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('offline-queue')));
      await goOffline(sim, client);

      const queue: EncryptResult[] = [];
      let index = firstMessageIndex;
      for (const message of ['one', 'two', 'three']) {
        const sealed = await firstValueFrom(client.encryptWrite(utf8(message), writeCap, index));
        queue.push(sealed); // an application persists these
        index = sealed.nextMessageBoxIndex;
      }

      // Flush once the daemon is connected to the mixnet, in order.
      const flushed = lastValueFrom(
        client.state$.pipe(
          filter((s) => s.mixnet),
          take(1),
          concatMap(() => from(queue)),
          concatMap((sealed) => client.startResendingEncryptedMessage({ writeCap, ...sealed })),
          toArray(),
        ),
      );
      await failedDials(client, 1);
      expect(await isPending(flushed)).toBe(true);
      await daemonBarrier(client);
      expect(sim.stats().pendingMixnetRequests).toBe(0); // nothing sent yet: we are waiting for the link

      sim.setOnline(true);
      expect((await flushed).length).toBe(3);
      const read = await firstValueFrom(client.tail$(readCap, firstMessageIndex, { initialDelayMs: 5 }).pipe(take(3), toArray()));
      expect(read.map((m) => text(m.plaintext))).toEqual(['one', 'two', 'three']);
    }));
});
