/**
 * How-to: handle daemon disconnects and restarts. The client reconnects
 * by itself; operations in flight are re-sent when it is back — to the
 * same daemon (session resumed) and to a restarted one (new instance
 * token, all daemon state lost) — and complete as if nothing happened.
 */
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import { ThinClient, type ClientEventOf } from 'katzenpost-rx';
import {
  fastReconnect,
  first,
  gatedSocket,
  seedOf,
  simulatedTimePasses,
  startHowtoSim,
  text,
  utf8,
  waitForStats,
  withSim,
} from './support/howto-env.js';

type Disconnected = ClientEventOf<'daemon_disconnected'>;
const disconnected = (client: ThinClient): Promise<Disconnected> =>
  first(client.events$, (e) => e.type === 'daemon_disconnected') as Promise<Disconnected>;

describe('how-to: handle daemon disconnects', () => {
  it('socket lost (sim.dropConnections): the client reconnects, resumes its session, and pending operations complete', () =>
    withSim('howto-disconnect-drop', async ({ sim, client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('drop')));
      // An operation in flight at the daemon: a read waiting for its box.
      const reading = firstValueFrom(client.read(readCap, firstMessageIndex));
      await waitForStats(sim, (s) => s.arqInFlight === 1, client);
      const token = client.state.instanceToken;

      const lost = disconnected(client);
      const back = firstValueFrom(client.state$.pipe(filter((s) => s.daemon === 'reconnecting'), take(1)));
      sim.dropConnections();
      const event = await lost;
      expect(event.isGraceful).toBe(false);
      expect(event.willReconnect).toBe(true);
      await back;
      const state = await first(client.state$, (s) => s.daemon === 'connected');
      expect(state.resumed).toBe(true);
      expect(state.instanceToken).toEqual(token);

      await firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('after the drop')));
      expect(text(await reading)).toBe('after the drop');
      // (The daemon may keep the original ARQ as an inert orphan — DAEMON.md §1.3 — so
      // arqInFlight is not asserted here; it is after a restart, where no state survives.)
    }));

  it('a reply the daemon dropped while we were away (DAEMON.md §1.3) is recovered: the client re-sends on resume', async () => {
    // Fixed latency: the write's reply is due 30 simulated s after it leaves; we are away then.
    const sim = await startHowtoSim('howto-disconnect-orphan', { fixedLatencyMs: 30_000 });
    const gate = gatedSocket();
    const client = await ThinClient.connect(sim.config, { ...fastReconnect, socketFactory: gate.socketFactory });
    try {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('orphan')));
      const sealed = await firstValueFrom(client.encryptWrite(utf8('survives'), writeCap, firstMessageIndex));
      const writing = firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...sealed }));
      await waitForStats(sim, (s) => s.arqInFlight === 1, client);

      gate.close();
      const lost = disconnected(client);
      sim.dropConnections();
      await lost;
      await simulatedTimePasses(sim, 60_000); // the reply came and was dropped: the daemon's entry is orphaned

      gate.open();
      await writing;
      expect(text(await firstValueFrom(client.read(readCap, firstMessageIndex)))).toBe('survives');
    } finally {
      await client.close();
      await sim.close();
    }
  });

  it('a write made while disconnected waits in the client and goes out after the reconnect', async () => {
    const sim = await startHowtoSim('howto-disconnect-queued');
    const gate = gatedSocket();
    const client = await ThinClient.connect(sim.config, { ...fastReconnect, socketFactory: gate.socketFactory });
    try {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('queued')));
      gate.close();
      const lost = disconnected(client);
      sim.dropConnections();
      await lost;
      const writing = firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('from the outbox')));
      expect(sim.stats().connections).toBe(0);
      gate.open();
      await writing;
      expect(text(await firstValueFrom(client.read(readCap, firstMessageIndex)))).toBe('from the outbox');
    } finally {
      await client.close();
      await sim.close();
    }
  });
});

describe('how-to: handle daemon restarts', () => {
  it('sim.restart(): a graceful shutdown event, a new instance token, and in-flight writes replayed to the new daemon', () =>
    withSim('howto-restart', async ({ sim, client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('restart')));
      const second = await firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex));
      // Keep the writes in flight: the daemon is offline, so they wait in its queue.
      const offline = first(client.state$, (s) => !s.mixnet);
      sim.setOnline(false);
      await offline;
      const writes = Promise.all([
        firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('one'))),
        firstValueFrom(client.write(writeCap, second, utf8('two'))),
      ]);
      await waitForStats(sim, (s) => s.pendingMixnetRequests === 2, client);
      const oldToken = client.state.instanceToken;

      const lost = disconnected(client);
      sim.restart(); // the old daemon's queue is gone with it
      const event = await lost;
      expect(event.isGraceful).toBe(true);
      const state = await first(client.state$, (s) => s.daemon === 'connected');
      expect(state.instanceToken).not.toEqual(oldToken);
      expect(state.instanceToken).toEqual(sim.instanceToken);
      expect(state.resumed).toBe(false);

      // The client replayed both to the new daemon, where they wait for the link.
      await waitForStats(sim, (s) => s.pendingMixnetRequests === 2, client);
      sim.setOnline(true);
      await writes;
      const read = await firstValueFrom(client.tail$(readCap, firstMessageIndex, { initialDelayMs: 5 }).pipe(take(2), toArray()));
      expect(read.map((m) => text(m.plaintext))).toEqual(['one', 'two']);
      await waitForStats(sim, (s) => s.arqInFlight === 0 && s.pendingMixnetRequests === 0, client);
    }));

  it('sim.kill() (a crash): no shutdown event, and a read in flight is replayed and completes', () =>
    withSim('howto-crash', async ({ sim, client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('crash')));
      const reading = firstValueFrom(client.read(readCap, firstMessageIndex));
      await waitForStats(sim, (s) => s.arqInFlight === 1, client);
      const lost = disconnected(client);
      sim.kill();
      expect((await lost).isGraceful).toBe(false);
      await first(client.state$, (s) => s.daemon === 'connected');
      await waitForStats(sim, (s) => s.arqInFlight === 1, client); // replayed to the new process
      await firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('after the crash')));
      expect(text(await reading)).toBe('after the crash');
      await waitForStats(sim, (s) => s.arqInFlight === 0, client);
    }));
});
