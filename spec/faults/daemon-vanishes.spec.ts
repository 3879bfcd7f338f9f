/**
 * Fault injection 7e: the daemon goes away and never comes back. Nothing
 * may hang:
 * - reconnect disabled → every pending request fails with
 *   `ConnectionLostError`, and the client is closed;
 * - reconnect enabled → requests with a `timeoutMs` fail with
 *   `RequestTimeoutError` while the client keeps retrying, and `close()`
 *   fails everything else with `ClientClosedError`.
 *
 * A proxy swallows the daemon's replies first, so local requests are
 * pending too (not just mixnet ones), then stops: connections dropped, the
 * port refuses new ones. Each wait is on an outcome; a watchdog only
 * turns a hang into a readable failure.
 */
import { firstValueFrom, type Observable } from 'rxjs';
import {
  ClientClosedError,
  ConnectionLostError,
  RequestTimeoutError,
  ThinClient,
  type EncryptResult,
  TransportError,
  type KeypairResult,
  type ThinClientOptions,
} from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { fastReconnect, first, seedOf, startFaultSim, utf8, watchdog } from './support/fault-env.js';
import { FaultProxy } from './support/fault-proxy.js';
import { faultSettings } from './support/fault-settings.js';
import { OpLedger, describeProblems } from './support/op-ledger.js';

interface Env {
  readonly sim: SimulatorHandle;
  readonly proxy: FaultProxy;
  readonly client: ThinClient;
  readonly keys: KeypairResult;
  /** A write's sealed envelope, for a raw start_resending that stays pending. */
  readonly sealed: EncryptResult;
}

async function withVanishingDaemon(seed: string, options: ThinClientOptions, body: (env: Env) => Promise<void>): Promise<void> {
  // Offline gateway: mixnet operations wait at the daemon, unanswered, until it vanishes.
  const sim = await startFaultSim(seed, { online: false });
  const proxy = await FaultProxy.start(sim.address);
  const client = await ThinClient.connect(proxy.config, options);
  try {
    const keys = await firstValueFrom(client.newKeypair(seedOf(seed)));
    const sealed = await firstValueFrom(client.encryptWrite(utf8('never sent'), keys.writeCap, keys.firstMessageIndex));
    await body({ sim, proxy, client, keys, sealed });
  } finally {
    await client.close();
    await proxy.stop();
    await sim.close();
  }
}

/**
 * Starts one of each kind of pending request: local requests whose replies
 * the proxy swallows, a raw ARQ start, and the high-level write and read
 * (each a local step, then an ARQ step).
 */
function startPending(env: Env, ledger: OpLedger, timeoutMs?: number): void {
  const { client, keys, sealed } = env;
  const options = timeoutMs === undefined ? {} : { timeoutMs };
  const ops: Array<[string, Observable<unknown>]> = [
    ['newKeypair', client.newKeypair(seedOf('pending'), options)],
    ['nextMessageBoxIndex', client.nextMessageBoxIndex(keys.firstMessageIndex, options)],
    ['encryptRead', client.encryptRead(keys.readCap, keys.firstMessageIndex, options)],
    ['startResendingEncryptedMessage', client.startResendingEncryptedMessage({ writeCap: keys.writeCap, ...sealed }, options)],
  ];
  for (const [label, op] of ops) ledger.start(label, op);
}

/** From now on the proxy forwards nothing to the client: requests reach the daemon, replies never come back. */
function swallowReplies(proxy: FaultProxy): void {
  proxy.setHook('toClient', () => ({ send: [] }));
}

/** Waits until the daemon has received `count` more frames from the client (so they are really pending there). */
function daemonReceived(proxy: FaultProxy, count: number): Promise<void> {
  let seen = 0;
  return new Promise((resolve) => {
    proxy.setHook('toDaemon', () => {
      if (++seen === count) resolve();
      return undefined;
    });
  });
}

describe('fault injection: the daemon vanishes and never returns', () => {
  it('reconnect disabled: every pending request fails with ConnectionLostError and the client closes', () =>
    withVanishingDaemon('vanish-noreconnect', { reconnect: false }, async (env) => {
      const { proxy, client } = env;
      swallowReplies(proxy);
      const received = daemonReceived(proxy, 4);
      const ledger = new OpLedger((error) => error instanceof ConnectionLostError);
      startPending(env, ledger);
      await received;
      const closed = first(client.state$, (s) => s.daemon === 'closed');
      await proxy.stop();
      const report = await ledger.settle(faultSettings.watchdogMs);
      expect(describeProblems(report)).toBe('');
      expect(report.acceptableErrors).toBe(report.ops);
      await closed;
      expect(client.pendingRequestCount).toBe(0);
    }), faultSettings.testTimeoutMs);

  // Regression: once the client has given up, a new request used to queue on the dead
  // controller and hang; it must fail at once with ClientClosedError.
  it('reconnect disabled: a request made after the client gave up fails at once instead of hanging', () =>
    withVanishingDaemon('vanish-after', { reconnect: false }, async ({ proxy, client, keys }) => {
      const closed = first(client.state$, (s) => s.daemon === 'closed');
      await proxy.stop();
      await closed;
      const dog = watchdog(1000, () => 'nextMessageBoxIndex, made after the client closed itself, is still pending');
      const request = firstValueFrom(client.nextMessageBoxIndex(keys.firstMessageIndex));
      const outcome = await Promise.race([request, dog.promise]).catch((error: unknown) => error);
      dog.cancel();
      if (outcome instanceof Error && outcome.message.startsWith('watchdog')) throw outcome;
      expect(outcome).toBeInstanceOf(ClientClosedError);
      expect(client.pendingRequestCount).toBe(0);
    }), faultSettings.testTimeoutMs);

  it('reconnect disabled, graceful shutdown (sim.close): pending requests fail with ConnectionLostError', async () => {
    const sim = await startFaultSim('vanish-graceful', { online: false });
    const client = await ThinClient.connect(sim.config, { reconnect: false });
    try {
      const keys = await firstValueFrom(client.newKeypair(seedOf('graceful')));
      const ledger = new OpLedger((error) => error instanceof ConnectionLostError);
      ledger.start('write', client.write(keys.writeCap, keys.firstMessageIndex, utf8('never')));
      ledger.start('read', client.read(keys.readCap, keys.firstMessageIndex));
      await first(client.events$, (e) => e.type === 'start_resending_encrypted_message_reply' || e.type === 'encrypt_read_reply');
      const lost = first(client.events$, (e) => e.type === 'daemon_disconnected');
      await sim.close();
      expect(await lost).toEqual(expect.objectContaining({ isGraceful: true, willReconnect: false }));
      const report = await ledger.settle(faultSettings.watchdogMs);
      expect(describeProblems(report)).toBe('');
      expect(report.acceptableErrors).toBe(2);
    } finally {
      await client.close();
      await sim.close();
    }
  }, faultSettings.testTimeoutMs);

  it('reconnect enabled: requests with timeoutMs fail with RequestTimeoutError, close() fails the rest with ClientClosedError', () =>
    withVanishingDaemon('vanish-reconnect', fastReconnect, async (env) => {
      const { proxy, client, keys } = env;
      swallowReplies(proxy);
      const received = daemonReceived(proxy, 8);
      const timed = new OpLedger((error) => error instanceof RequestTimeoutError);
      const untimed = new OpLedger((error) => error instanceof ClientClosedError);
      startPending(env, timed, 300);
      startPending(env, untimed);
      await received;
      await proxy.stop();
      // The client keeps trying: reconnect attempts with the dial error in state.lastError.
      const retrying = await first(client.state$, (s) => s.daemon === 'reconnecting' && s.reconnectAttempt >= 3);
      expect(retrying.lastError).toBeInstanceOf(TransportError);
      // Made while nobody answers: waits in the outbox, then times out.
      timed.start('nextMessageBoxIndex while reconnecting', client.nextMessageBoxIndex(keys.firstMessageIndex, { timeoutMs: 100 }));
      untimed.start('newKeypair while reconnecting', client.newKeypair(seedOf('late')));

      const timedReport = await timed.settle(faultSettings.watchdogMs);
      expect(describeProblems(timedReport)).toBe('');
      expect(timedReport.acceptableErrors).toBe(timedReport.ops);
      expect(untimed.settledCount).toBe(0);

      await client.close();
      const untimedReport = await untimed.settle(faultSettings.watchdogMs);
      expect(describeProblems(untimedReport)).toBe('');
      expect(untimedReport.acceptableErrors).toBe(untimedReport.ops);
      expect(client.pendingRequestCount).toBe(0);
    }), faultSettings.testTimeoutMs);

  // Regression: the timeout of write()/read() used to cover only the send step, so a daemon
  // gone before the encryption step answered left them hanging.
  it('reconnect enabled: write() and read() with timeoutMs fail with RequestTimeoutError even if the daemon vanished before encrypting', () =>
    withVanishingDaemon('vanish-highlevel', fastReconnect, async ({ proxy, client, keys }) => {
      await proxy.stop();
      await first(client.state$, (s) => s.daemon === 'reconnecting');
      const ledger = new OpLedger((error) => error instanceof RequestTimeoutError);
      ledger.start('write', client.write(keys.writeCap, keys.firstMessageIndex, utf8('x'), { timeoutMs: 100 }));
      ledger.start('read', client.read(keys.readCap, keys.firstMessageIndex, { timeoutMs: 100 }));
      const report = await ledger.settle(faultSettings.watchdogMs);
      expect(describeProblems(report)).toBe('');
      expect(report.acceptableErrors).toBe(2);
    }), faultSettings.testTimeoutMs);
});
