import { firstValueFrom } from 'rxjs';

import { ThinClient } from '../../src/client/thin-client.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

// The SDK's own client against the simulator, end to end (the lead's integration specs go further).

describe('ThinClient against the simulator', () => {
  let sim: SimulatorHandle;
  let client: ThinClient;
  beforeAll(async () => {
    sim = await startSpecSimulator({ realTime: 'a smoke test of the whole path; only results are asserted', seed: 'smoke' });
    client = await ThinClient.connect(sim.config);
  });
  afterAll(async () => {
    await client.close();
    await sim.close();
  });

  it('echoes through the echo service', async () => {
    const reply = await firstValueFrom(client.send(new TextEncoder().encode('hi'), client.getService('echo').toDestination()));
    expect(reply.subarray(0, 2)).toEqual(new TextEncoder().encode('hi'));
  });

  it('writes and reads a box', async () => {
    const keypair = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(1)));
    await firstValueFrom(client.write(keypair.writeCap, keypair.firstMessageIndex, new TextEncoder().encode('box')));
    const plaintext = await firstValueFrom(client.read(keypair.readCap, keypair.firstMessageIndex));
    expect(new TextDecoder().decode(plaintext)).toBe('box');
  });
});
