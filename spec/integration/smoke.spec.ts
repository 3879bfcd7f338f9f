import { firstValueFrom, toArray, take, filter } from 'rxjs';
import { ThinClient } from '../../src/client/thin-client.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

describe('ThinClient against the simulator (smoke)', () => {
  it('connects, pings echo and does a Pigeonhole round trip', async () => {
    const sim = await startSpecSimulator({ realTime: 'a smoke test of the whole path; only results are asserted', seed: 'smoke' });
    try {
      const client = new ThinClient(sim.config);
      const events = firstValueFrom(client.events$.pipe(take(3), toArray()));
      await client.connect();
      expect((await events).map((e) => e.type)).toEqual(['connection_status_event', 'new_pki_document_event', 'session_token_reply']);
      expect(client.isConnected()).toBe(true);
      const echo = client.getService('echo');
      const reply = await firstValueFrom(client.send(new TextEncoder().encode('ping'), echo.toDestination()));
      expect(new TextDecoder().decode(reply.subarray(0, 4))).toBe('ping');
      const seed = new Uint8Array(32).fill(3);
      const alice = await firstValueFrom(client.newKeypair(seed));
      const next = await firstValueFrom(client.write(alice.writeCap, alice.firstMessageIndex, new TextEncoder().encode('hello bob')));
      expect(next.length).toBe(104);
      const text = await firstValueFrom(client.read(alice.readCap, alice.firstMessageIndex));
      expect(new TextDecoder().decode(text)).toBe('hello bob');
      const payload = Uint8Array.from({ length: 20_000 }, (_, i) => i & 0xff);
      const progress = await firstValueFrom(client.writeStream$(alice.writeCap, next, payload).pipe(filter((p) => p.boxesDone === p.totalBoxes)));
      expect(progress.totalBoxes).toBe(13);
      const chunks = await firstValueFrom(client.readStream$(alice.readCap, next).pipe(toArray()));
      expect(Buffer.concat(chunks)).toEqual(Buffer.from(payload));
      await client.close();
      expect(client.pendingRequestCount).toBe(0);
    } finally {
      await sim.close();
    }
  });
});
