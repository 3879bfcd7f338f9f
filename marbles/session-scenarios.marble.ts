/**
 * The six defects of issue 12, each as a marble test written only with
 * the public testing kit: a ThinClient on a virtual daemon
 * (`createVirtualDaemon`), everything in the TestScheduler's virtual time.
 * Each failed before the session core (see the issue for what happened).
 */
import { filter, map, throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ClientClosedError, ConnectionLostError, ThinClient, TransportError, exponentialBackoff, type ThinClientOptions } from 'katzenpost-rx';
import { createVirtualDaemon, keypairFromSeed, nextIndex, type VirtualDaemon } from 'katzenpost-rx/testing';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const text = (bytes: Uint8Array): string => decoder.decode(bytes);
const channel = keypairFromSeed(new Uint8Array(32).fill(12));
/** Box `i` of the channel. */
const box = (i: number): Uint8Array => {
  let index = channel.firstIndex;
  for (let k = 0; k < i; k++) index = nextIndex(index)!;
  return index;
};

/** A client on `daemon` whose dials fail while `reachable()` is false. */
function clientOf(daemon: VirtualDaemon, options: ThinClientOptions = {}, reachable = () => true): ThinClient {
  const base = daemon.clientOptions({ randomFraction: () => 0.5, reconnect: exponentialBackoff({ initialMs: 10, maxMs: 10, jitter: 0 }), ...options });
  const dial = base.socketFactory!;
  return new ThinClient(daemon.config, {
    ...base,
    socketFactory: (config) => (reachable() ? dial(config) : throwError(() => new TransportError('connect ECONNREFUSED'))),
  });
}

/** Subscribes and records every notification with its virtual time. */
function record<T>(scheduler: TestScheduler, source: Observable<T>): string[] {
  const log: string[] = [];
  source.subscribe({
    next: (value) => log.push(`${Math.round(scheduler.now())} next ${String(value)}`),
    error: (error: Error) => log.push(`${Math.round(scheduler.now())} error ${error.name}`),
    complete: () => log.push(`${Math.round(scheduler.now())} complete`),
  });
  return log;
}

/**
 * The daemon's counters at virtual time `ms` — measure before the virtual
 * world's horizon (1 h), when the daemon stops and forgets everything.
 */
function statsAt(scheduler: TestScheduler, daemon: VirtualDaemon, ms: number): { value: ReturnType<VirtualDaemon['stats']> | null } {
  const at = { value: null as ReturnType<VirtualDaemon['stats']> | null };
  scheduler.schedule(() => (at.value = daemon.stats()), ms);
  return at;
}

/** The daemon's requests of one kind, as `kind@time` (times rounded to ms). */
const requestsOf = (daemon: VirtualDaemon, ...kinds: string[]): string[] =>
  daemon.requests.filter((r) => kinds.includes(r.request.type)).map((r) => `${r.request.type}@${Math.round(r.at)}`);

describe('issue 12, in virtual time with the public testing kit', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('1. a second connect() — during the handshake, or on a healthy client — changes nothing', async () => {
    const outcomes: string[] = [];
    scheduler.run(({ flush }) => {
      const daemon = createVirtualDaemon({ scheduler });
      const client = clientOf(daemon);
      const states: string[] = [];
      client.state$.subscribe((s) => states.push(s.daemon));
      const connect = (label: string) => () => void client.connect().then(() => outcomes.push(label), (e: Error) => outcomes.push(`${label}: ${e.name}`));
      connect('first')();
      connect('during the handshake')();
      scheduler.schedule(connect('when connected'), 1000);
      const index = record(scheduler, client.nextMessageBoxIndex(box(0)).pipe(map((i) => i.length)));
      const later = { log: [] as string[] };
      scheduler.schedule(() => (later.log = record(scheduler, client.nextMessageBoxIndex(box(0)).pipe(map((i) => i.length)))), 1001);
      scheduler.schedule(() => {
        expect(states.slice(states.indexOf('connected'))).toEqual(['connected']);
        expect(daemon.stats()).toMatchObject({ connections: 1, sessions: 1 });
        void client.close();
      }, 5000);
      // thin_close went out on the one connection: the daemon dropped our session.
      scheduler.schedule(() => expect(daemon.stats()).toMatchObject({ connections: 0, sessions: 0 }), 5001);
      flush();
      expect(index).toEqual(['0 next 104', '0 complete']);
      expect(later.log).toEqual(['1001 next 104', '1001 complete']);
    });
    await Promise.resolve();
    expect(outcomes.sort()).toEqual(['during the handshake', 'first', 'when connected']);
  });

  it('2. the daemon stays down past the reconnect policy: pending and new requests fail with ConnectionLostError, none hangs', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const daemon = createVirtualDaemon({ scheduler, online: false });
      let up = true;
      const client = clientOf(daemon, { reconnect: exponentialBackoff({ initialMs: 10, maxMs: 10, jitter: 0, maxAttempts: 3 }) }, () => up);
      void client.connect();
      const lost = (kind: string) => new ConnectionLostError(kind, { cause: new TransportError('x') });
      // A write waits at the offline daemon; the daemon dies at 1 s and refuses dials; attempts at +10, +20, +30 ms.
      expectObservable(client.write(channel.writeCap, box(0), encoder.encode('never'))).toBe('1030ms #', undefined, lost('start_resending_encrypted_message'));
      expectObservable(client.nextMessageBoxIndex(box(0)), '1005ms ^').toBe('1030ms #', undefined, lost('next_message_box_index'));
      expectObservable(client.nextMessageBoxIndex(box(0)), '1040ms ^').toBe('1040ms #', undefined, new ClientClosedError('next_message_box_index'));
      expectObservable(client.events$.pipe(filter((e) => e.type === 'daemon_disconnected'), map((e) => (e.type === 'daemon_disconnected' ? e.willReconnect : null)))).toBe(
        '1000ms a 29ms b',
        { a: true, b: false },
      );
      scheduler.schedule(() => {
        daemon.kill();
        up = false;
      }, 1000);
      flush();
      expect(client.state.daemon).toBe('closed');
      expect(client.pendingRequestCount).toBe(0);
    });
  });

  it('3. a resume with ARQs in flight: the old ARQ is cancelled first, the start re-issued once — never two ARQs of one envelope', () => {
    scheduler.run(({ flush }) => {
      const daemon = createVirtualDaemon({ scheduler, fixedLatencyMs: 2000 });
      const client = clientOf(daemon);
      void client.connect();
      // A read waits for its box; the daemon drops us at 1 s (we are back at 1.01 s); the box is written at 10 s.
      const read = record(scheduler, client.read(channel.readCap, box(0)).pipe(map(text)));
      scheduler.schedule(() => daemon.dropConnections(), 1000);
      scheduler.schedule(() => client.write(channel.writeCap, box(0), encoder.encode('written at 10 s')).subscribe(), 10_000);
      let duplicates = 0;
      for (let t = 0; t < 20_000; t += 100) scheduler.schedule(() => (duplicates = Math.max(duplicates, daemon.stats().duplicateArqs)), t);
      const end = statsAt(scheduler, daemon, 20 * 60_000);
      flush();
      expect(requestsOf(daemon, 'start_resending_encrypted_message', 'cancel_resending_encrypted_message').slice(0, 3)).toEqual([
        'start_resending_encrypted_message@0',
        'cancel_resending_encrypted_message@1010',
        'start_resending_encrypted_message@1010',
      ]);
      expect(read.map((line) => line.replace(/^\d+ /, ''))).toEqual(['next written at 10 s', 'complete']);
      expect(duplicates).toBe(0);
      expect(end.value).toMatchObject({ arqInFlight: 0, orphanedArqs: 0 });
    });
  });

  it('4. reads abandoned while still queued at the offline daemon keep their FIFO place: the daemon never stops reading us, and none survives', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const daemon = createVirtualDaemon({ scheduler, online: false });
      const client = clientOf(daemon);
      void client.connect();
      // 16 reads of boxes nobody writes, abandoned at 1 s; 16 writes then; the daemon online at 5 s.
      const abandoned = Array.from({ length: 16 }, (_, i) => client.read(channel.readCap, box(100 + i)).subscribe());
      scheduler.schedule(() => abandoned.forEach((s) => s.unsubscribe()), 1000);
      const writes: Array<Observable<unknown>> = [];
      scheduler.schedule(() => {
        for (let i = 0; i < 16; i++) writes.push(client.write(channel.writeCap, box(i), encoder.encode(`box ${i}`)));
        writes.forEach((w) => w.subscribe());
      }, 1000);
      // Local requests stay instant: the daemon never blocks on a full FIFO.
      expectObservable(client.newKeypair(new Uint8Array(32).fill(1)).pipe(map(() => 'k')), '2s ^').toBe('2s (k|)', { k: 'k' });
      let blocked = 0;
      for (let t = 0; t < 600_000; t += 500) scheduler.schedule(() => (blocked = Math.max(blocked, daemon.stats().blockedConnections)), t);
      scheduler.schedule(() => daemon.setOnline(true), 5000);
      const end = statsAt(scheduler, daemon, 20 * 60_000);
      let pending = -1;
      scheduler.schedule(() => (pending = client.pendingRequestCount), 20 * 60_000);
      flush();
      expect(blocked).toBe(0);
      for (let i = 0; i < 16; i++) {
        const stored = daemon.readBox(channel.writeCap, box(i));
        expect(stored.code === 0 ? text(stored.plaintext) : stored.code).toBe(`box ${i}`);
      }
      expect(end.value).toMatchObject({ arqInFlight: 0, orphanedArqs: 0 });
      expect(pending).toBe(0);
    });
  });

  it('5. disconnect() with an ARQ in flight: kept, resumed by connect(), completed once — nothing left at the daemon', () => {
    scheduler.run(({ flush }) => {
      const daemon = createVirtualDaemon({ scheduler, fixedLatencyMs: 2000 });
      const client = clientOf(daemon);
      void client.connect();
      // A read in flight; disconnect at 1 s; its reply (due at 2 s) is dropped by the daemon; connect at 30 s; box written at 40 s.
      const read = record(scheduler, client.read(channel.readCap, box(0)).pipe(map(text)));
      scheduler.schedule(() => void client.disconnect(), 1000);
      scheduler.schedule(() => void client.connect(), 30_000);
      scheduler.schedule(() => client.write(channel.writeCap, box(0), encoder.encode('after the pause')).subscribe(), 40_000);
      const paused = statsAt(scheduler, daemon, 29_000);
      const end = statsAt(scheduler, daemon, 20 * 60_000);
      flush();
      expect(paused.value).toMatchObject({ orphanedArqs: 1 }); // what the pause left behind …
      expect(read.map((line) => line.replace(/^\d+ /, ''))).toEqual(['next after the pause', 'complete']);
      expect(end.value).toMatchObject({ arqInFlight: 0, orphanedArqs: 0 }); // … cancelled on resume
      expect(requestsOf(daemon, 'cancel_resending_encrypted_message')).toEqual(['cancel_resending_encrypted_message@30000']);
    });
  });

  it('6. a legacy send still queued at the daemon when the connection drops is sent again and answered once', () => {
    scheduler.run(({ flush }) => {
      const daemon = createVirtualDaemon({ scheduler, fixedLatencyMs: 2000 });
      const client = clientOf(daemon);
      void client.connect();
      let ping: string[] = [];
      scheduler.schedule(() => {
        // The daemon goes offline as we send: the ping waits in its queue (we learn of it only afterwards).
        daemon.setOnline(false);
        ping = record(scheduler, client.send(encoder.encode('ping'), client.getService('echo').toDestination()).pipe(map((reply) => text(reply.subarray(0, 4)))));
      }, 100);
      scheduler.schedule(() => daemon.dropConnections(), 200); // the queued ping is lost with the connection (DAEMON.md §1.3)
      scheduler.schedule(() => daemon.setOnline(true), 1000);
      flush();
      expect(requestsOf(daemon, 'send_message')).toEqual(['send_message@100', 'send_message@210']);
      expect(ping).toEqual(['3000 next ping', '3000 complete']);
    });
  });
});
