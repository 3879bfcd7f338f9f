/**
 * Session resume while the daemon encrypts on the old connection — an
 * upstream race the client works around (ConnectionController, class
 * comment). kpclientd v0.0.99 runs encrypt_write inline on the connection's
 * worker; it sees our close only when the encryption is done, then closes
 * its socket and unregisters the connection BY APP ID. A session resumed on
 * a new connection in the meantime has that AppID: the late unregister takes
 * it, and the daemon holds the session as disconnected while the client
 * thinks it is connected. The simulator's CPU model reproduces it; the
 * client avoids it by waiting for the daemon's side of the old close.
 *
 * Driven by a ManualSimClock: the encryption lasts until the spec advances
 * simulated time, so "while the daemon encrypts" is a state the spec holds.
 */
import { firstValueFrom } from 'rxjs';
import { ThinClient } from '../../src/client/thin-client.js';
import { ManualSimClock, type SimulatorHandle } from '../../src/sim/index.js';
import { hangDeadline } from '../support/hang-deadline.js';
import { startSpecSimulator } from '../support/spec-simulator.js';
import { connectSession, id16, type RawClient } from './support/raw-client.js';
import { waitFor } from './support/wait-for.js';

/** Median CTIDH time of one encrypt_write; each draw is within ±30 %. */
const ENCRYPT_MS = 3000;

let clock: ManualSimClock;
let sim: SimulatorHandle;
const raw: RawClient[] = [];
let client: ThinClient | undefined;

beforeEach(async () => {
  clock = new ManualSimClock();
  sim = await startSpecSimulator({ clock, seed: 'resume-while-encrypting', latency: { encryptWriteMs: ENCRYPT_MS } });
});
afterEach(async () => {
  await client?.close();
  client = undefined;
  for (const c of raw.splice(0)) c.destroy();
  await sim.close();
});

/** Advances simulated time in small steps until `promise` settles. */
async function driven<T>(promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  const deadline = hangDeadline();
  while (!settled) {
    if (deadline.expired()) throw new Error('timed out driving the simulated clock');
    clock.advance(100);
    await new Promise((resolve) => setImmediate(resolve));
  }
  return promise;
}

describe('resuming the session while the daemon encrypts on the old connection', () => {
  it('the simulator reproduces the upstream race: a client that resumes without waiting loses its live session', async () => {
    const token = id16(42);
    const first = await connectSession(sim.address, token);
    raw.push(first.client);
    first.client.send({ type: 'new_keypair', queryId: id16(1), seed: new Uint8Array(32).fill(1) });
    const keys = await first.client.nextOf('new_keypair_reply');
    const timers = clock.pendingTimers;
    first.client.send({ type: 'encrypt_write', queryId: id16(2), plaintext: new Uint8Array(10), writeCap: keys.writeCap, messageBoxIndex: keys.firstMessageIndex });
    await waitFor(() => clock.pendingTimers === timers + 1, 'the daemon to start encrypting');
    // Our FIN, without waiting for the daemon's: then resume at once.
    first.client.end();
    const second = await connectSession(sim.address, token);
    raw.push(second.client);
    expect(second.appId).toEqual(first.appId);
    expect(sim.stats()).toMatchObject({ connections: 2, disconnectedSessions: 0 });
    // The old connection finishes encrypting, reads our FIN, closes and unregisters the AppID…
    clock.advance(ENCRYPT_MS * 1.3);
    await first.client.waitClosed();
    // …which is now the resumed connection's: the daemon holds the live session as disconnected.
    expect(second.client.isClosed).toBe(false);
    expect(sim.stats()).toMatchObject({ connections: 1, disconnectedSessions: 1 });
  });

  it.each([
    ['TCP', { tcp: '127.0.0.1:0' }],
    // The daemon's WebSocket library answers the close frame at once, while
    // the worker still encrypts: the client's barrier request is what waits.
    ['WebSocket', { ws: 'ws://127.0.0.1:0' }],
  ] as const)('disconnect() + connect() over %s: the client dials only after the daemon closed the old connection, and requests after the resume complete', async (_, listen) => {
    await sim.close();
    sim = await startSpecSimulator({ clock, seed: 'resume-while-encrypting', latency: { encryptWriteMs: ENCRYPT_MS }, listen });
    client = await ThinClient.connect(sim.config);
    const { writeCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(2)));
    const timers = clock.pendingTimers;
    let encryptOutcome = 'pending';
    client.encryptWrite(new Uint8Array(10), writeCap, firstMessageIndex).subscribe({
      next: () => (encryptOutcome = 'answered'),
      error: (error: Error) => (encryptOutcome = error.name),
    });
    await waitFor(() => clock.pendingTimers === timers + 1, 'the daemon to start encrypting');
    const started = clock.now();
    await client.disconnect();
    // disconnect() resolves at once; the resume waits for the daemon's FIN,
    // which comes when its worker is done encrypting (0.7–1.3 × ENCRYPT_MS).
    await driven(client.connect());
    expect(clock.now() - started).toBeGreaterThanOrEqual(ENCRYPT_MS * 0.7);
    expect(client.state).toMatchObject({ daemon: 'connected', resumed: true });
    expect(sim.stats()).toMatchObject({ connections: 1, disconnectedSessions: 0 });
    // The session is live: a request after the resume is answered (after the
    // encrypt_write that was in flight, re-issued on resume: it computes again)…
    const next = await driven(firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex)));
    expect(next.byteLength).toBe(firstMessageIndex.byteLength);
    // …and that encrypt_write was answered once.
    expect(encryptOutcome).toBe('answered');
    expect(sim.stats().disconnectedSessions).toBe(0);
  });
});
