/**
 * Streams at the daemon's floor (issue 17), in virtual time: a ThinClient
 * on the virtual daemon with kpclientd's CPU model on (the calibrated
 * medians: encrypt_write 2.7 s, encrypt_read 3.7 s, reply decryption 1 s,
 * on two cores). The floor of a transfer is the daemon's CPU work divided
 * by its cores. With encryption connections a stream must stay within
 * 1.3× of it; on one connection the daemon encrypts on one core only.
 * Everything runs in the TestScheduler's virtual time: deterministic for
 * its seed, no wall clock.
 */
import { defer, toArray, type Observable, type Subscription } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ThinClient, type ThinClientOptions } from 'katzenpost-rx';
import { createVirtualDaemon, keypairFromSeed, type VirtualDaemon } from 'katzenpost-rx/testing';

/** Virtual ms at which the measured part starts: the handshake is done, the geometry known. */
const AFTER_HANDSHAKE_MS = 1000;
/** Virtual ms after a client's close before what is left is counted (the thin_close has reached the daemon). */
const SETTLE_MS = 60_000;

const CPU = { encryptWriteMs: 2700, encryptReadMs: 3700, replyDecryptMs: 1000, daemonCores: 2 } as const;
const BOXES = 32;
const channel = keypairFromSeed(new Uint8Array(32).fill(17));

interface Measured {
  /** Virtual ms from subscribe to completion. */
  readonly wallMs: number;
  /** The daemon's CPU work during it, divided by its cores. */
  readonly floorMs: number;
  /** What the client still had pending, and the daemon's ARQs in flight, after the client closed. */
  readonly leftover: { readonly pending: number; readonly arqs: number };
  /** Every request the daemon received, in order. */
  readonly requests: readonly string[];
}

interface Scenario {
  readonly seed: string;
  readonly client: ThinClientOptions;
  /** Runs before the measured part (e.g. writes what is read). */
  readonly setup?: (client: ThinClient) => Observable<unknown>;
  readonly measured: (client: ThinClient) => Observable<unknown>;
  /** Unsubscribe the measured part at this virtual ms after it started, instead of waiting for it. */
  readonly abandonAfterMs?: number;
}

/** Runs a scenario on a fresh virtual daemon; throws if the measured part neither completes nor is abandoned. */
function run(scenario: Scenario): Measured {
  let measured: Measured | null = null;
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  scheduler.run(({ flush }) => {
    const daemon: VirtualDaemon = createVirtualDaemon({ scheduler, seed: scenario.seed, latency: CPU, horizonMs: 4 * 60 * 60_000 });
    const client = new ThinClient(daemon.config, daemon.clientOptions(scenario.client));
    void client.connect();
    const fail = (error: unknown) => {
      throw error;
    };
    const measure = (): void => {
      const cpuBefore = daemon.stats().cpuMs;
      const started = scheduler.now();
      const end = (): void => {
        const wallMs = scheduler.now() - started;
        const floorMs = (daemon.stats().cpuMs - cpuBefore) / CPU.daemonCores;
        void client.close();
        // After the close has reached the daemon: what is left on either side.
        scheduler.schedule(() => {
          measured = { wallMs, floorMs, leftover: { pending: client.pendingRequestCount, arqs: daemon.stats().arqInFlight }, requests: daemon.requests.map((r) => r.request.type) };
          daemon.dispose();
        }, SETTLE_MS);
      };
      const subscription: Subscription = defer(() => scenario.measured(client)).subscribe({ error: fail, complete: end });
      if (scenario.abandonAfterMs !== undefined) {
        scheduler.schedule(() => {
          if (subscription.closed) return;
          subscription.unsubscribe();
          end();
        }, scenario.abandonAfterMs);
      }
    };
    // After the handshake (virtual ms), when the geometry is known.
    scheduler.schedule(() => {
      if (scenario.setup) defer(() => scenario.setup!(client)).subscribe({ complete: measure, error: fail });
      else measure();
    }, AFTER_HANDSHAKE_MS);
    flush();
  });
  if (measured === null) throw new Error('the measured part did not end within the virtual horizon');
  return measured;
}

const payload = (client: ThinClient, boxes: number): Uint8Array => new Uint8Array(boxes * client.pigeonholeGeometry().maxPlaintextPayloadLength - 4).fill(7);
const write = (boxes: number) => (client: ThinClient) => client.writeStream(channel.writeCap, channel.firstIndex, payload(client, boxes)).pipe(toArray());
const read = (client: ThinClient) => client.readStream$(channel.readCap, channel.firstIndex).pipe(toArray());
const ratio = (m: Measured): number => m.wallMs / m.floorMs;
const report = (what: string, m: Measured): void =>
  void process.stdout.write(`${what}: wall ${(m.wallMs / 1000).toFixed(1)} s, floor ${(m.floorMs / 1000).toFixed(1)} s, wall / floor ${ratio(m).toFixed(2)}\n`);

describe('streams against the daemon CPU floor (virtual time, calibrated CPU model)', () => {
  it('writeStream of 32 boxes with two encryption connections stays within 1.3× of the floor; on one connection the daemon encrypts on one core', () => {
    const spread = run({ seed: 'floor-write', client: { encryptionConnections: 2 }, measured: write(BOXES) });
    const single = run({ seed: 'floor-write', client: {}, measured: write(BOXES) });
    report('writeStream, 2 encryption connections', spread);
    report('writeStream, one connection', single);
    expect(ratio(spread)).toBeLessThanOrEqual(1.3);
    // One connection: the encryptions run one after another, so the wall time is at least their sum.
    expect(single.wallMs).toBeGreaterThanOrEqual(single.floorMs * CPU.daemonCores);
    expect(spread.leftover).toEqual({ pending: 0, arqs: 0 });
  });

  it('readStream$ of 32 boxes with two encryption connections stays within 1.3× of the floor', () => {
    const spread = run({ seed: 'floor-read', client: { encryptionConnections: 2 }, setup: write(BOXES), measured: read });
    const single = run({ seed: 'floor-read', client: {}, setup: write(BOXES), measured: read });
    report('readStream$, 2 encryption connections', spread);
    report('readStream$, one connection', single);
    expect(ratio(spread)).toBeLessThanOrEqual(1.3);
    expect(ratio(single)).toBeGreaterThan(ratio(spread));
    expect(spread.leftover).toEqual({ pending: 0, arqs: 0 });
  });

  it('a one-box stream read with encryption connections: envelopes prepared ahead for boxes it does not have are never sent', () => {
    const m = run({ seed: 'floor-short', client: { encryptionConnections: 2 }, setup: write(1), measured: read });
    const sends = m.requests.filter((type) => type === 'start_resending_encrypted_message');
    // One write, one read: the two envelopes made ahead (boxes 1 and 2) stayed local.
    expect(sends).toHaveLength(2);
    expect(m.requests.filter((type) => type === 'encrypt_read')).toHaveLength(3);
    expect(m.leftover).toEqual({ pending: 0, arqs: 0 });
  });

  it('closing the client in the middle of a read (many reads in flight, the first to fail tears the others down) fails the stream with ClientClosedError, nothing thrown', () => {
    let outcome = 'none';
    const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
    scheduler.run(({ flush }) => {
      const daemon = createVirtualDaemon({ scheduler, seed: 'floor-close', latency: CPU, horizonMs: 30 * 60_000 });
      const client = new ThinClient(daemon.config, daemon.clientOptions({ encryptionConnections: 2 }));
      void client.connect();
      scheduler.schedule(() => {
        defer(() => write(8)(client)).subscribe({
          complete: () => {
            read(client).subscribe({ next: () => (outcome = 'value'), error: (e: Error) => (outcome = e.name), complete: () => (outcome = 'complete') });
            scheduler.schedule(() => void client.close(), 20_000);
          },
        });
      }, AFTER_HANDSHAKE_MS);
      scheduler.schedule(() => daemon.dispose(), 25 * 60_000);
      flush();
    });
    expect(outcome).toBe('ClientClosedError');
  });

  it('unsubscribing a read while its first box is in flight leaves nothing behind, prepared encryptions included', () => {
    const m = run({ seed: 'floor-cancel', client: { encryptionConnections: 2 }, setup: write(8), measured: read, abandonAfterMs: 2000 });
    expect(m.leftover).toEqual({ pending: 0, arqs: 0 });
  });
});
