/**
 * Fault injection 7c: a stalled and a slow `events$` subscriber. One
 * subscriber is blocked outright (its pipeline waits on a gate the test
 * opens at the end), another takes a timer turn per event; neither may
 * hold back the others or the requests. Fast subscribers must have seen
 * each reply by the time its request completes; the slow ones must
 * eventually see every event, in the same order, none lost.
 *
 * The event stream includes replies, connection-status broadcasts, a
 * socket loss with its `daemon_disconnected`, and the reconnect greeting.
 */
import { Subject, concatMap, filter, firstValueFrom, map, take, timer, type Observable } from 'rxjs';
import { ThinClient, toHex, type ClientEvent } from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { fastReconnect, nextReconnect, printFigures, seedOf, startFaultSim, watchdog } from './support/fault-env.js';
import { faultSettings } from './support/fault-settings.js';

/** Replies are recognised by query id: `q:<hex>`. */
const replyKey = (e: ClientEvent): string | null => ('queryId' in e && e.queryId instanceof Uint8Array ? `q:${toHex(e.queryId)}` : null);

/** Collects what a subscriber has processed, and lets a test wait for a count. */
class Recorder {
  readonly seen: ClientEvent[] = [];
  readonly keys = new Set<string>();
  private readonly progress = new Subject<number>();

  constructor(events$: Observable<ClientEvent>) {
    events$.subscribe((e) => {
      this.seen.push(e);
      const key = replyKey(e);
      if (key) this.keys.add(key);
      this.progress.next(this.seen.length);
    });
  }

  until(count: number): Promise<unknown> {
    if (this.seen.length >= count) return Promise.resolve();
    return firstValueFrom(this.progress.pipe(filter((n) => n >= count)));
  }
}

describe('fault injection: a stalled events$ subscriber', () => {
  let sim: SimulatorHandle;
  let client: ThinClient;
  beforeAll(async () => {
    sim = await startFaultSim('fault-stall');
    client = await ThinClient.connect(sim.config, fastReconnect);
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  const { events } = faultSettings.stall;

  it(
    `events=${events}: fast subscribers see every event as it happens; the stalled and slow ones later, all, in order`,
    async () => {
      const gate = new Subject<void>();
      const stalled = new Recorder(client.events$.pipe(concatMap((e) => gate.pipe(take(1), map(() => e)))));
      const slow = new Recorder(client.events$.pipe(concatMap((e) => timer(0).pipe(map(() => e)))));
      const fastA = new Recorder(client.events$);
      const fastB = new Recorder(client.events$);
      const { firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('stall')));

      let lateReplies = 0;
      let requests = 0;
      const half = Math.floor(events / 2);
      const request = async (): Promise<void> => {
        requests += 1;
        // Requests go one at a time, so the next reply on events$ is this request's own:
        // by the time the request completes, both fast subscribers must have it.
        const key = firstValueFrom(client.events$.pipe(map(replyKey), filter((k): k is string => k !== null), take(1)));
        await firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex));
        const k = await key;
        if (!fastA.keys.has(k) || !fastB.keys.has(k)) lateReplies += 1;
      };
      for (let i = 0; i < half; i++) await request();
      // Broadcasts and a reconnect in the middle: the greeting and disconnect events go past the stall too.
      sim.setOnline(false);
      sim.setOnline(true);
      const back = nextReconnect(client);
      sim.dropConnections();
      await back;
      while (fastA.seen.length < events) await request();

      const total = fastA.seen.length;
      expect(fastB.seen).toEqual(fastA.seen);
      expect(stalled.seen.length).toBe(0); // it really was stalled all along
      expect(lateReplies).toBe(0);
      expect(fastA.seen.some((e) => e.type === 'daemon_disconnected')).toBe(true);
      expect(fastA.seen.some((e) => e.type === 'connection_status_event' && !e.isConnected)).toBe(true);

      const dog = watchdog(faultSettings.watchdogMs, () => `stalled saw ${stalled.seen.length}, slow ${slow.seen.length} of ${total}`);
      const slowDone = Promise.race([slow.until(total), dog.promise]);
      for (let i = 0; i < total; i++) gate.next();
      await Promise.race([stalled.until(total), dog.promise]);
      await slowDone;
      dog.cancel();
      // Same events, same objects, same order: nothing lost, nothing reordered.
      expect(stalled.seen.length).toBe(total);
      expect(stalled.seen.every((e, i) => e === fastA.seen[i])).toBe(true);
      expect(slow.seen.slice(0, total).every((e, i) => e === fastA.seen[i])).toBe(true);
      printFigures(`stall events=${total} requests=${requests} lost=0 reordered=0 late-for-fast-subscribers=${lateReplies}`);
    },
    faultSettings.testTimeoutMs,
  );
});
