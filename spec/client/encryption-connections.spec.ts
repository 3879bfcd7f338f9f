/**
 * `encryptionConnections`: extra daemon connections that carry only
 * `encrypt_read` / `encrypt_write` (kpclientd computes them inline on the
 * reader of the connection they came on). In the TestScheduler's virtual
 * time on the virtual daemon: deterministic.
 */
import { throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ThinClient, TransportError, type ByteStream, type Logger } from 'katzenpost-rx';
import { createVirtualDaemon, keypairFromSeed } from 'katzenpost-rx/testing';

/** Virtual ms at which each scenario starts (the handshake is done by then). */
const START_MS = 1000;

const channel = keypairFromSeed(new Uint8Array(32).fill(3));

/** Runs `body` on a virtual daemon (CPU model on) with a client made by `options`; returns what `body` recorded. */
function world<T>(dials: (attempt: number) => boolean, helpers: number, body: (client: ThinClient, scheduler: TestScheduler, stats: () => { connections: number }) => () => T): { result: T; warnings: string[] } {
  const warnings: string[] = [];
  let outcome: (() => T) | null = null;
  const scheduler = new TestScheduler((a, e) => expect(a).toEqual(e));
  scheduler.run(({ flush }) => {
    const daemon = createVirtualDaemon({ scheduler, seed: 'encryption-connections', latency: { encryptReadMs: 3000, encryptWriteMs: 3000 }, horizonMs: 10 * 60_000 });
    const base = daemon.clientOptions();
    let attempt = 0;
    const logger: Logger = { debug: () => {}, info: () => {}, warn: (message) => void warnings.push(message), error: () => {} };
    const client = new ThinClient(daemon.config, {
      ...base,
      logger,
      encryptionConnections: helpers,
      socketFactory: (config) => (dials(attempt++) ? base.socketFactory!(config) : (throwError(() => new TransportError('connect ECONNREFUSED (virtual)')) as Observable<ByteStream>)),
    });
    void client.connect();
    outcome = body(client, scheduler, () => daemon.stats());
    flush();
  });
  return { result: outcome!(), warnings };
}

describe('encryption connections', () => {
  it('two encryptions on two encryption connections run at once on the daemon, and the main connection stays free', () => {
    const { result } = world(
      () => true,
      2,
      (client, scheduler, stats) => {
        const done: Array<[string, number]> = [];
        let connections = 0;
        scheduler.schedule(() => {
          for (const name of ['a', 'b']) client.encryptRead(channel.readCap, channel.firstIndex).subscribe(() => done.push([name, scheduler.now()]));
          // A cheap local request on the main connection is answered at once, not after an encryption.
          client.nextMessageBoxIndex(channel.firstIndex).subscribe(() => done.push(['index', scheduler.now()]));
        }, START_MS);
        scheduler.schedule(() => (connections = stats().connections), 1500);
        scheduler.schedule(() => void client.close(), 60_000);
        return () => ({ done, connections });
      },
    );
    expect(result.connections).toBe(3);
    const [index, ...encryptions] = result.done;
    expect(index).toEqual(['index', 1000]);
    // Both in parallel: each took one draw of ~3 s (0.7–1.3×), neither waited for the other.
    for (const [, at] of encryptions) expect(at - 1000).toBeLessThanOrEqual(3900);
    expect(encryptions).toHaveLength(2);
  });

  it('without encryption connections the same two encryptions run one after the other (the check above can fail)', () => {
    const { result } = world(
      () => true,
      0,
      (client, scheduler) => {
        const done: number[] = [];
        scheduler.schedule(() => {
          for (let i = 0; i < 2; i++) client.encryptRead(channel.readCap, channel.firstIndex).subscribe(() => done.push(scheduler.now()));
        }, START_MS);
        scheduler.schedule(() => void client.close(), 60_000);
        return () => done;
      },
    );
    expect(result[1]! - 1000).toBeGreaterThanOrEqual(2 * 2100);
  });

  it('disconnect() with an encryption in flight on an encryption connection: it completes after connect(); meanwhile new ones are refused', () => {
    const { result } = world(
      () => true,
      1,
      (client, scheduler) => {
        const log: string[] = [];
        const note = (what: string) => ({ next: () => log.push(`${what} ${scheduler.now()}`), error: (e: Error) => log.push(`${what} ${e.name}`) });
        scheduler.schedule(() => client.encryptRead(channel.readCap, channel.firstIndex).subscribe(note('in flight')), 1000);
        scheduler.schedule(() => void client.disconnect(), 1500);
        scheduler.schedule(() => client.encryptRead(channel.readCap, channel.firstIndex).subscribe(note('while disconnected')), 1600);
        scheduler.schedule(() => void client.connect(), 2000);
        scheduler.schedule(() => void client.close(), 60_000);
        return () => ({ log, pending: client.pendingRequestCount });
      },
    );
    expect(result.log[0]).toBe('while disconnected NotConnectedError');
    expect(result.log[1]).toMatch(/^in flight [\d.]+$/);
    expect(result.log).toHaveLength(2);
  });

  it('an encryption connection that cannot connect hands its encryptions to the main connection, with a warning', () => {
    const { result, warnings } = world(
      (attempt) => attempt === 0, // only the main connection gets through
      2,
      (client, scheduler, stats) => {
        let envelope: unknown = null;
        let connections = 0;
        scheduler.schedule(() => client.encryptWrite(new Uint8Array([1]), channel.writeCap, channel.firstIndex).subscribe((e) => (envelope = e)), 1000);
        scheduler.schedule(() => (connections = stats().connections), 30_000);
        scheduler.schedule(() => void client.close(), 60_000);
        return () => ({ envelope, connections, pending: client.pendingRequestCount });
      },
    );
    expect(result.envelope).toHaveProperty('envelopeHash');
    expect(result.connections).toBe(1);
    expect(result.pending).toBe(0);
    expect(warnings.filter((w) => w.includes('encryption connection')).length).toBeGreaterThanOrEqual(1);
  });
});
