/**
 * Streams at the daemon's floor (issue 17), in virtual time: a ThinClient
 * on the virtual daemon with kpclientd's CPU model on (the calibrated
 * medians: encrypt_write 2.7 s, encrypt_read 3.7 s, reply decryption 1 s,
 * two cores). The floor of a transfer is the daemon's CPU work divided by
 * the cores it can use; each stream must stay within 1.3× of it. All in
 * the TestScheduler's virtual time: deterministic, no wall clock.
 */
import { defer, toArray, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ThinClient, type ThinClientOptions } from 'katzenpost-rx';
import { createVirtualDaemon, keypairFromSeed, type VirtualDaemon } from 'katzenpost-rx/testing';

const CALIBRATED = { encryptWriteMs: 2700, encryptReadMs: 3700, replyDecryptMs: 1000, daemonCores: 2 } as const;
const BOXES = 32;

interface Measured {
  /** Virtual ms from subscribe to completion. */
  readonly wallMs: number;
  /** The daemon's CPU work during it, divided by its cores. */
  readonly floorMs: number;
}

/** Runs `body`'s Observable to completion on a fresh virtual daemon; its virtual wall time against the floor. */
function measure<T>(seed: string, options: ThinClientOptions, body: (client: ThinClient, daemon: VirtualDaemon) => Observable<T>, before?: (client: ThinClient) => Observable<unknown>): Measured {
  let measured: Measured | null = null;
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  scheduler.run(({ flush }) => {
    const daemon = createVirtualDaemon({ scheduler, seed, latency: CALIBRATED, horizonMs: 4 * 60 * 60_000 });
    const client = new ThinClient(daemon.config, daemon.clientOptions(options));
    void client.connect();
    const run = (): void => {
      const cpuBefore = daemon.stats().cpuMs;
      const started = scheduler.now();
      defer(() => body(client, daemon)).subscribe({
        error: (error: unknown) => {
          throw error;
        },
        complete: () => {
          measured = { wallMs: scheduler.now() - started, floorMs: (daemon.stats().cpuMs - cpuBefore) / CALIBRATED.daemonCores };
          void client.close();
          daemon.dispose();
        },
      });
    };
    // After the handshake (virtual ms): the geometry is known then.
    scheduler.schedule(() => {
      if (before) defer(() => before(client)).subscribe({ complete: run, error: (e: unknown) => { throw e; } });
      else run();
    }, 1000);
    flush();
  });
  if (measured === null) throw new Error('the stream did not complete within the virtual horizon');
  return measured;
}

const channel = keypairFromSeed(new Uint8Array(32).fill(17));
const payloadFor = (client: ThinClient): Uint8Array => new Uint8Array(BOXES * client.pigeonholeGeometry().maxPlaintextPayloadLength - 4).fill(7);

function ratio(m: Measured): number {
  return m.wallMs / m.floorMs;
}

describe('streams against the daemon CPU floor (virtual time, calibrated CPU model)', () => {
  it.each([
    ['one connection', {}],
    ['two encryption connections', { encryptionConnections: 2 }],
  ])('writeStream of 32 boxes, %s', (_label, options: ThinClientOptions) => {
    const m = measure('floor-write', options, (client) => client.writeStream(channel.writeCap, channel.firstIndex, payloadFor(client), { window: Number(process.env['W'] ?? 8) }).pipe(toArray()));
    process.stdout.write(`writeStream ${_label}: wall ${(m.wallMs / 1000).toFixed(1)} s, floor ${(m.floorMs / 1000).toFixed(1)} s, ratio ${ratio(m).toFixed(2)}\n`);
  });

  it.each([
    ['one connection', {}],
    ['two encryption connections', { encryptionConnections: 2 }],
  ])('readStream$ of 32 boxes, %s', (_label, options: ThinClientOptions) => {
    const m = measure(
      'floor-read',
      options,
      (client) => client.readStream$(channel.readCap, channel.firstIndex, { window: Number(process.env['W'] ?? 8) }),
      (client) => client.writeStream(channel.writeCap, channel.firstIndex, payloadFor(client)),
    );
    process.stdout.write(`readStream$ ${_label}: wall ${(m.wallMs / 1000).toFixed(1)} s, floor ${(m.floorMs / 1000).toFixed(1)} s, ratio ${ratio(m).toFixed(2)}\n`);
  });
});
