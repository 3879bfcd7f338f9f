import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { ThinClient, type OutboxResult } from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { startSpecSimulator } from '../support/spec-simulator.js';

describe('preparing writes offline and transmitting them when the daemon is back (issue 4, offline mode)', () => {
  let sim: SimulatorHandle;
  let client: ThinClient;
  beforeEach(async () => {
    sim = await startSpecSimulator({ realTime: 'offline and online are switched explicitly; only results are asserted', seed: 'outbox' });
    client = await ThinClient.connect(sim.config);
  });
  afterEach(async () => {
    await client.close();
    await sim.close();
  });

  it('prepares while offline, sends nothing until online, then writes in order', async () => {
    const keys = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(1)));
    const offline = firstValueFrom(client.state$.pipe(filter((s) => !s.mixnet)));
    sim.setOnline(false);
    await offline;
    const outbox = client.createOutbox();
    const results = firstValueFrom(outbox.results$.pipe(take(3), toArray()));
    let index = keys.firstMessageIndex;
    for (const text of ['one', 'two', 'three']) {
      const prepared = await firstValueFrom(client.prepareWrite(keys.writeCap, index, new TextEncoder().encode(text)));
      outbox.add(prepared);
      index = prepared.nextMessageBoxIndex;
    }
    // Nothing reaches the daemon while it is offline: the writes wait in the client.
    expect(sim.stats().pendingMixnetRequests).toBe(0);
    expect(outbox.pending).toHaveLength(3);
    sim.setOnline(true);
    const done: OutboxResult[] = await results;
    expect(done.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);
    expect(outbox.pending).toHaveLength(0);
    let read = keys.firstMessageIndex;
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      texts.push(new TextDecoder().decode(await firstValueFrom(client.read(keys.readCap, read))));
      read = await firstValueFrom(client.nextMessageBoxIndex(read));
    }
    expect(texts).toEqual(['one', 'two', 'three']);
    outbox.close();
  });

  it('a prepared write can be transmitted again (after a crash) without harm: same box, same content', async () => {
    const keys = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(2)));
    const prepared = await firstValueFrom(client.prepareWrite(keys.writeCap, keys.firstMessageIndex, new TextEncoder().encode('once')));
    await firstValueFrom(client.transmit(prepared));
    await firstValueFrom(client.transmit(prepared));
    expect(new TextDecoder().decode(await firstValueFrom(client.read(keys.readCap, keys.firstMessageIndex)))).toBe('once');
  });
});
