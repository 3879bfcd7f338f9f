/**
 * How-to: connect to the daemon and handle events.
 * The guide's event loop (`EventSink` / callbacks) is `client.events$` here.
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { ThinClient, decodePKIDocument, type ClientEvent } from 'katzenpost-rx';
import { EPOCH_GENESIS_MS } from 'katzenpost-rx/sim';
import { fastReconnect, first, startHowtoSim } from './support/howto-env.js';

describe('how-to: connect to the daemon and handle events', () => {
  // The second case starts the simulated clock 50 simulated ms (50 µs real) before an epoch
  // boundary, so the boundary passes during the test: the epoch the spec sees must not move.
  const period = 20 * 60_000;
  const justBeforeBoundary = EPOCH_GENESIS_MS + Math.ceil((Date.now() - EPOCH_GENESIS_MS) / period) * period - 50; // real-time: picks a boundary, decides nothing
  it.each([
    ['now', {}],
    ['just before an epoch boundary', { startTimeMs: justBeforeBoundary }],
  ])('connects and sees the connection status, the PKI document and the session reply as events (clock starting %s)', async (_when, clockStart) => {
    const sim = await startHowtoSim('howto-connect', clockStart);
    const startEpoch = sim.epoch;
    // Subscribe before connecting to see the handshake events too.
    const client = new ThinClient(sim.config, fastReconnect);
    const seen: ClientEvent[] = [];
    client.events$.subscribe((event) => seen.push(event));
    try {
      await client.connect();
      const types = seen.map((e) => e.type);
      expect(types).toEqual(['connection_status_event', 'new_pki_document_event', 'session_token_reply']);

      const status = seen[0]!;
      if (status.type !== 'connection_status_event') throw new Error('unreachable');
      expect(status.isConnected).toBe(true);
      expect(client.isConnected()).toBe(true);
      expect(client.state.daemon).toBe('connected');
      expect(client.state.instanceToken).toEqual(sim.instanceToken);

      const docEvent = seen[1]!;
      if (docEvent.type !== 'new_pki_document_event') throw new Error('unreachable');
      expect(decodePKIDocument(docEvent.payload!).epoch).toBe(sim.epoch);
      expect(client.pkiDocument()?.epoch).toBe(sim.epoch);
      expect(sim.epoch).toBe(startEpoch); // frozen: only publishNewDocument() moves it
    } finally {
      await client.close();
      await sim.close();
    }
  });

  it('reports link changes (is_connected) and new PKI documents as they happen', async () => {
    const sim = await startHowtoSim('howto-connect-events');
    const client = await ThinClient.connect(sim.config, fastReconnect);
    try {
      const offline = first(client.events$, (e) => e.type === 'connection_status_event' && !e.isConnected);
      sim.setOnline(false);
      await offline;
      expect(client.isConnected()).toBe(false);
      // The SDK's state$ is the same information, for UIs to bind to.
      expect(client.state.mixnet).toBe(false);

      const online = first(client.state$, (s) => s.mixnet);
      sim.setOnline(true);
      await online;

      const nextDocs = firstValueFrom(client.pkiDocument$.pipe(take(2), toArray()));
      const epoch = sim.publishNewDocument();
      const [, latest] = await nextDocs;
      expect(latest!.epoch).toBe(epoch);
    } finally {
      await client.close();
      await sim.close();
    }
  });

  it('close() ends the event stream and fails later requests', async () => {
    const sim = await startHowtoSim('howto-connect-close');
    const client = await ThinClient.connect(sim.config, fastReconnect);
    const done = firstValueFrom(client.events$.pipe(toArray()));
    await client.close();
    await expect(done).resolves.toEqual(expect.any(Array));
    expect(client.state.daemon).toBe('closed');
    await sim.close();
  });
});
