/**
 * How-to: cancel in-flight operations. In this SDK every operation is a
 * cold Observable: unsubscribing cancels it at the daemon. The guide's
 * explicit cancel calls exist too, and fail the original with
 * StartResendingCancelledError.
 *
 * What a cancel can and cannot do (DAEMON.md §3.6, §4.2): it stops the
 * daemon's ARQ; a packet already sent may still land, and a request still
 * waiting in the daemon's send queue is not found by the cancel.
 */
import { firstValueFrom, lastValueFrom } from 'rxjs';
import {
  ClientClosedError,
  StartResendingCancelledError,
  ThinClient,
  blake2b256,
  writeCapHash,
} from 'katzenpost-rx';
import {
  daemonBarrier,
  fastReconnect,
  first,
  framed,
  gatedSocket,
  pattern,
  seedOf,
  startHowtoSim,
  text,
  utf8,
  waitForStats,
  withSim,
} from './support/howto-env.js';

describe('how-to: cancel in-flight operations', () => {
  it('unsubscribing cancels the operation at the daemon', () =>
    withSim('howto-cancel-unsubscribe', async ({ sim, client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('cancel')));
      // A read of a box nobody has written: the daemon retries it until it is.
      const subscription = client.read(readCap, firstMessageIndex).subscribe();
      await waitForStats(sim, (s) => s.arqInFlight === 1, client);

      subscription.unsubscribe();
      await daemonBarrier(client); // the cancel has been handled
      expect(sim.stats().arqInFlight).toBe(0);
      expect(client.pendingRequestCount).toBe(0);

      // The channel is unaffected: a write and a fresh read work.
      await firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('later')));
      expect(text(await firstValueFrom(client.read(readCap, firstMessageIndex)))).toBe('later');
    }));

  it('unsubscribing from readStream$ cancels every read of its window', () =>
    // Fixed latency: no send slots, so all the window's reads are dispatched at once
    // (with slots, retries of the first reads are served first and starve the last).
    withSim('howto-cancel-stream', async ({ sim, client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('cancel-stream')));
      const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength;
      // The first box promises 10 boxes; only it is written.
      await firstValueFrom(client.write(writeCap, firstMessageIndex, framed(pattern(10 * boxSize - 4)).subarray(0, boxSize)));
      let chunks = 0;
      const subscription = client.readStream$(readCap, firstMessageIndex, { window: 4 }).subscribe(() => chunks++);
      await waitForStats(sim, (s) => s.arqInFlight === 4, client);
      expect(chunks).toBe(1);
      subscription.unsubscribe();
      await daemonBarrier(client);
      expect(sim.stats().arqInFlight).toBe(0);
    }, { fixedLatencyMs: 2_000_000 })); // the window's reads stay in flight for seconds of real time

  it('cancelResendingEncryptedMessage(envelopeHash) fails the original with StartResendingCancelledError', () =>
    withSim('howto-cancel-explicit', async ({ sim, client }) => {
      const { readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('cancel-explicit')));
      const query = await firstValueFrom(client.encryptRead(readCap, firstMessageIndex));
      const reading = firstValueFrom(client.startResendingEncryptedMessage({ readCap, messageBoxIndex: firstMessageIndex, ...query }));
      // A cancel only finds an operation the daemon has dispatched.
      await waitForStats(sim, (s) => s.arqInFlight === 1, client);

      await firstValueFrom(client.cancelResendingEncryptedMessage(query.envelopeHash));
      await expect(reading).rejects.toBeInstanceOf(StartResendingCancelledError);
      expect(sim.stats().arqInFlight).toBe(0);
    }));

  it('cancelResendingCopyCommand(blake2b-256 of the temporary write cap) fails the copy with StartResendingCancelledError', () =>
    withSim('howto-cancel-copy', async ({ sim, client }) => {
      // A copy command over a temporary channel nobody wrote: the courier keeps looking for it (~2 simulated min).
      const temp = await firstValueFrom(client.newKeypair(seedOf('empty-temp')));
      const copying = firstValueFrom(client.startResendingCopyCommand(temp.writeCap));
      await waitForStats(sim, (s) => s.arqInFlight === 1, client);

      const hash = writeCapHash(temp.writeCap);
      expect(hash).toEqual(blake2b256(temp.writeCap.exposeBytes()));
      await firstValueFrom(client.cancelResendingCopyCommand(hash));
      await expect(copying).rejects.toBeInstanceOf(StartResendingCancelledError);
      expect(sim.stats().arqInFlight).toBe(0);
    }));

  it('close() stops everything: pending operations fail with ClientClosedError and the daemon drops their ARQs', async () => {
    const sim = await startHowtoSim('howto-cancel-close');
    try {
      const client = await ThinClient.connect(sim.config, fastReconnect);
      const { readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('close')));
      const second = await firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex));
      const reads = [firstValueFrom(client.read(readCap, firstMessageIndex)), firstValueFrom(client.read(readCap, second))];
      await waitForStats(sim, (s) => s.arqInFlight === 2, client);
      await client.close();
      for (const read of reads) await expect(read).rejects.toBeInstanceOf(ClientClosedError);
      await waitForStats(sim, (s) => s.arqInFlight === 0 && s.sessions === 0);
    } finally {
      await sim.close();
    }
  });

  it('cancelling while disconnected only drops the operation: it is never sent, and another write to that box is what is read', async () => {
    const sim = await startHowtoSim('howto-cancel-disconnected');
    const gate = gatedSocket();
    const client = await ThinClient.connect(sim.config, { ...fastReconnect, socketFactory: gate.socketFactory });
    try {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('away')));
      const sealed = await firstValueFrom(client.encryptWrite(utf8('never sent'), writeCap, firstMessageIndex));

      // The daemon becomes unreachable.
      gate.close();
      const lost = first(client.events$, (e) => e.type === 'daemon_disconnected');
      sim.dropConnections();
      await lost;
      expect(client.state.daemon).toBe('reconnecting');

      // Started and cancelled while disconnected: it waits in the client, and is removed from it.
      const subscription = client.startResendingEncryptedMessage({ writeCap, ...sealed }).subscribe();
      subscription.unsubscribe();

      const back = first(client.state$, (s) => s.daemon === 'connected');
      gate.open();
      expect((await back).resumed).toBe(true);
      await daemonBarrier(client);
      expect(sim.stats().pendingMixnetRequests + sim.stats().arqInFlight).toBe(0);

      // Someone else now writes that box (failing if anything were there): that is what is read.
      const other = await ThinClient.connect(sim.config, fastReconnect);
      try {
        await firstValueFrom(other.write(writeCap, firstMessageIndex, utf8('written by someone else'), { failIfBoxExists: true }));
        expect(text(await firstValueFrom(client.read(readCap, firstMessageIndex)))).toBe('written by someone else');
      } finally {
        await other.close();
      }
    } finally {
      await client.close();
      await sim.close();
    }
  });

  it('an operation cancelled while disconnected is not replayed to a restarted daemon', async () => {
    const sim = await startHowtoSim('howto-cancel-no-replay');
    const gate = gatedSocket();
    const client = await ThinClient.connect(sim.config, { ...fastReconnect, socketFactory: gate.socketFactory });
    try {
      const { readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('no-replay')));
      const subscription = client.read(readCap, firstMessageIndex).subscribe();
      await waitForStats(sim, (s) => s.arqInFlight === 1, client);
      const oldToken = client.state.instanceToken;

      gate.close();
      const lost = first(client.events$, (e) => e.type === 'daemon_disconnected');
      sim.restart();
      await lost;
      subscription.unsubscribe(); // while disconnected

      const back = first(client.state$, (s) => s.daemon === 'connected');
      gate.open();
      const state = await back;
      expect(state.instanceToken).not.toEqual(oldToken);
      await daemonBarrier(client);
      expect(sim.stats().arqInFlight + sim.stats().pendingMixnetRequests).toBe(0);
    } finally {
      await client.close();
      await sim.close();
    }
  });

  it('a cancelled write that had already left may still land: the cancel stops retransmission, not the packet', () =>
    withSim(
      'howto-cancel-write-left',
      async ({ sim, client }) => {
        const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('left')));
        const sealed = await firstValueFrom(client.encryptWrite(utf8('already sent'), writeCap, firstMessageIndex));
        const subscription = client.startResendingEncryptedMessage({ writeCap, ...sealed }).subscribe();
        await waitForStats(sim, (s) => s.arqInFlight === 1, client); // dispatched: the packet is in the mixnet
        subscription.unsubscribe();
        await daemonBarrier(client);
        expect(sim.stats().arqInFlight).toBe(0);
        expect(text(await lastValueFrom(client.read(readCap, firstMessageIndex)))).toBe('already sent');
      },
      { fixedLatencyMs: 50_000 },
    ));

  it('limit: a send still queued at an offline daemon is not found by the cancel and goes out later (DAEMON.md §3.6 race 1)', () =>
    withSim('howto-cancel-queued', async ({ sim, client }) => {
      const { writeCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('queued')));
      const sealed = await firstValueFrom(client.encryptWrite(utf8('queued'), writeCap, firstMessageIndex));
      const offline = first(client.state$, (s) => !s.mixnet);
      sim.setOnline(false);
      await offline;
      const subscription = client.startResendingEncryptedMessage({ writeCap, ...sealed }).subscribe();
      await waitForStats(sim, (s) => s.pendingMixnetRequests === 1, client);
      subscription.unsubscribe(); // the SDK sends the cancel; the daemon finds nothing dispatched
      await daemonBarrier(client);
      expect(sim.stats().pendingMixnetRequests).toBe(1);
      sim.setOnline(true);
      await waitForStats(sim, (s) => s.boxes === 1);
      expect(sim.readBox(writeCap, firstMessageIndex).code).toBe(0);
    }));
});
