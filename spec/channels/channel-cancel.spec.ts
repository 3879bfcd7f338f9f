/**
 * Unsubscribing from a channel send, copy or tombstone cancels it at the
 * daemon, and the journal keeps the entry queued — same ciphertext, same
 * reserved boxes — so `recover()` later delivers it exactly once and no
 * other message is ever given its box.
 *
 * Time is a ManualSimClock with a fixed mixnet latency: an operation stays
 * in flight until the spec advances the clock, so "while the write is in
 * flight" is a state the spec holds, not a moment it hopes to hit.
 */
import { firstValueFrom, type Observable, type Subscription } from 'rxjs';
import { ChannelManager } from '../../src/channels/channel-manager.js';
import type { Channel } from '../../src/channels/channel.js';
import type { ChannelStore } from '../../src/channels/channel-store.js';
import type { DurabilityStep, DurabilityStepEvent } from '../../src/channels/durability-step.js';
import { parseReadCapability } from '../../src/channels/read-capability.js';
import { ThinClient } from '../../src/client/thin-client.js';
import { ManualSimClock, type SimulatorHandle } from '../../src/sim/index.js';
import { hangDeadline } from '../support/hang-deadline.js';
import { startSpecSimulator } from '../support/spec-simulator.js';
import { waitFor } from '../sim/support/wait-for.js';
import { boxTexts } from './support/sim-boxes.js';
import { STORE_KINDS, type StoreKind, storePerTest } from './support/store-factories.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
/** The simulator's fixed mixnet latency: a write is confirmed this long after it is dispatched. */
const LATENCY_MS = 1000;
/** Small enough to stop between a copy's steps (each takes LATENCY_MS). */
const STEP_MS = 100;

let clock: ManualSimClock;
let sim: SimulatorHandle;
let client: ThinClient;
/** How many copy commands the client has started (counted on the way to the daemon). */
let copyCommands: number;

beforeEach(async () => {
  clock = new ManualSimClock();
  sim = await startSpecSimulator({ clock, seed: 'channel-cancel', fixedLatencyMs: LATENCY_MS });
  client = await ThinClient.connect(sim.config);
  copyCommands = 0;
  const startCopy = client.startResendingCopyCommand.bind(client);
  client.startResendingCopyCommand = (...args) => {
    copyCommands++;
    return startCopy(...args);
  };
});
afterEach(async () => {
  await client.close();
  await sim.close();
});

/** Waits until the daemon has handled everything this client sent so far (a local request answered in order). */
async function daemonBarrier(): Promise<void> {
  await firstValueFrom(client.newKeypair(new Uint8Array(32)));
}

/** Advances simulated time a little at a time until `condition` holds (nothing at the daemon moves otherwise). */
async function advanceUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = hangDeadline();
  while (!condition()) {
    if (deadline.expired()) throw new Error(`timed out waiting for ${what}`);
    clock.advance(STEP_MS);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Drives simulated time until `promise` settles; its outcome does not depend on how far the clock went. */
async function driven<T>(promise: Promise<T>): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await advanceUntil(() => settled, 'the operation to finish');
  return promise;
}

/** What the replicas hold for `channel`, box after box. */
async function boxesOf(channel: Channel): Promise<string[]> {
  const { readCap, startIndex } = parseReadCapability(await channel.shareReadCapability());
  return boxTexts(sim, readCap, startIndex);
}

/** Subscribes and records what arrives: a cancelled operation reports nothing. */
function observe(operation: Observable<unknown>): { subscription: Subscription; notifications: string[] } {
  const notifications: string[] = [];
  const subscription = operation.subscribe({
    next: () => notifications.push('next'),
    error: (error: unknown) => notifications.push(`error ${String(error)}`),
    complete: () => notifications.push('complete'),
  });
  return { subscription, notifications };
}

interface CancelCase {
  readonly what: string;
  readonly operation: (channel: Channel) => Observable<unknown>;
  /** Gets the operation to the state it is cancelled in. */
  readonly reach: (channel: Channel) => Promise<void>;
  readonly kind: 'message' | 'tombstone' | 'copy';
  /** What the channel holds once the entry is delivered. */
  readonly delivered: string[];
  /** Whether the replicas already hold it when it is cancelled (the request had done its work, only the reply was outstanding). */
  readonly writtenBeforeCancel: boolean;
}

const writeInFlight = (): Promise<void> => waitFor(() => sim.stats().arqInFlight === 1, 'the write to be in flight at the daemon');

const CASES: readonly CancelCase[] = [
  {
    what: 'a send, while its write is in flight',
    operation: (channel) => channel.send(text('cancelled send')),
    reach: writeInFlight,
    kind: 'message',
    delivered: ['cancelled send'],
    writtenBeforeCancel: false,
  },
  {
    what: 'a tombstone, while its write is in flight',
    operation: (channel) => channel.tombstoneCurrent(),
    reach: writeInFlight,
    kind: 'tombstone',
    delivered: ['<tombstone>'],
    writtenBeforeCancel: false,
  },
  {
    what: 'a copy, while its temporary channel is written',
    operation: (channel) => channel.copySend(text('cancelled copy')),
    reach: writeInFlight,
    kind: 'copy',
    delivered: ['cancelled copy'],
    writtenBeforeCancel: false,
  },
  {
    what: 'a copy, while the courier is asked to run its copy command',
    operation: (channel) => channel.copySend(text('cancelled copy')),
    reach: () => advanceUntil(() => copyCommands === 1 && sim.stats().arqInFlight === 1, 'the copy command to be in flight'),
    kind: 'copy',
    delivered: ['cancelled copy'],
    writtenBeforeCancel: false,
  },
  {
    what: 'a copy, after the courier wrote the destination but before its reply',
    operation: (channel) => channel.copySend(text('cancelled copy')),
    reach: async (channel) => {
      const { readCap, startIndex } = parseReadCapability(await channel.shareReadCapability());
      await advanceUntil(() => sim.readBox(readCap, startIndex).code === 0, 'the copy to reach its destination');
      expect(sim.stats().arqInFlight).toBe(1);
    },
    kind: 'copy',
    delivered: ['cancelled copy'],
    writtenBeforeCancel: true,
  },
];

describe.each(STORE_KINDS.map((kind) => [kind.name, kind] as const))('with the %s store', (_name, kind: StoreKind) => {
  let store: ChannelStore;
  const reopen = storePerTest(kind, (fresh) => (store = fresh));

  /** A manager as after a restart: on the store reopened (durable kinds), with nothing in memory. */
  async function restarted(): Promise<ChannelManager> {
    if (kind.durable) store = await reopen();
    return new ChannelManager(client, store);
  }

  describe('Unsubscribing a channel copy/send cancels it', () => {
    it.each(CASES.map((c) => [c.what, c] as const))('%s: no ARQ left at the daemon, the entry kept, recover() delivers it once', async (_what, c) => {
      const channel = await new ChannelManager(client, store).createChannel('c');
      const { subscription, notifications } = observe(c.operation(channel));
      await c.reach(channel);

      subscription.unsubscribe();
      await daemonBarrier();
      expect(sim.stats().arqInFlight).toBe(0);
      expect(client.pendingRequestCount).toBe(0);
      expect(notifications).toEqual([]);

      // The journal: the entry queued as it was (a cancel is not a failed attempt), its box reserved, the index not advanced.
      expect(await channel.pending()).toEqual([expect.objectContaining({ kind: c.kind, position: 0, count: 1, attempts: 0, lastError: null })]);
      expect((await channel.info()).writePosition).toBe(0);
      expect(await boxesOf(channel)).toEqual(c.writtenBeforeCancel ? c.delivered : []);
      // Nothing retries it at the daemon, however long we wait. (A packet the daemon had
      // already sent may still land, DAEMON.md §3.6: then the box holds the message, once.)
      clock.advance(10 * 60_000);
      await daemonBarrier();
      expect(sim.stats().arqInFlight).toBe(0);
      expect([[], c.delivered]).toContainEqual(await boxesOf(channel));
      expect(await channel.pending()).toHaveLength(1);

      const manager = await restarted();
      const report = await driven(manager.recover());
      expect(report.entries).toBe(1);
      expect(report.sent.map((s) => [s.channel, s.position, s.count])).toEqual([['c', 0, 1]]);
      const recovered = await manager.get('c');
      expect(await boxesOf(recovered)).toEqual(c.delivered);
      expect(await recovered.pending()).toEqual([]);
      expect((await recovered.sentHistory()).map((s) => s.position)).toEqual([0]);
      expect((await recovered.info()).writePosition).toBe(1);
    });

    it('manager.copySend to two channels: cancelled in flight, both entries kept, recovered atomically once', async () => {
      const manager = new ChannelManager(client, store);
      const a = await manager.createChannel('a');
      const b = await manager.createChannel('b');
      const { subscription } = observe(manager.copySend([
        { channel: 'a', payload: text('to a') },
        { channel: 'b', payload: text('to b') },
      ]));
      await writeInFlight();
      subscription.unsubscribe();
      await daemonBarrier();
      expect(sim.stats().arqInFlight).toBe(0);
      expect((await a.pending()).map((p) => [p.kind, p.position])).toEqual([['copy', 0]]);
      expect((await b.pending()).map((p) => [p.kind, p.position])).toEqual([['copy', 0]]);

      const recovering = await restarted();
      const report = await driven(recovering.recover());
      expect(report.sent.map((s) => [s.channel, s.position])).toEqual([
        ['a', 0],
        ['b', 0],
      ]);
      expect([await boxesOf(await recovering.get('a')), await boxesOf(await recovering.get('b'))]).toEqual([['to a'], ['to b']]);
    });

    it('a cancelled send keeps its box: the next send transmits it first and takes the box after it', async () => {
      const manager = new ChannelManager(client, store);
      const channel = await manager.createChannel('c');
      const { subscription } = observe(channel.send(text('first')));
      await writeInFlight();
      subscription.unsubscribe();
      await daemonBarrier();

      const second = await driven(firstValueFrom(channel.send(text('second'))));
      expect(second.position).toBe(1);
      expect(await boxesOf(channel)).toEqual(['first', 'second']);
      expect((await channel.sentHistory()).map((s) => [s.position, new TextDecoder().decode(s.plaintext)])).toEqual([
        [0, 'first'],
        [1, 'second'],
      ]);
      expect(await channel.pending()).toEqual([]);
    });

    it('a transmission shared by two subscribers goes on while one of them stays subscribed', async () => {
      const channel = await new ChannelManager(client, store).createChannel('c');
      await firstValueFrom(channel.prepare(text('queued')));
      const leaving = observe(channel.flush$());
      await writeInFlight();
      const staying = firstValueFrom(channel.flush$());
      // Transactions run in call order: once this one is done, the second flush has read the outbox and joined the transmission.
      await store.transaction(() => undefined);
      leaving.subscription.unsubscribe();
      await daemonBarrier();
      expect(sim.stats().arqInFlight).toBe(1);

      const sent = await driven(staying);
      expect(sent.position).toBe(0);
      expect(await boxesOf(channel)).toEqual(['queued']);
      expect(sim.stats().arqInFlight).toBe(0);
    });
  });

  describe('the journal after a cancel at each durability step', () => {
    /** Where a send is cancelled, and what the journal holds then. */
    const STEPS: ReadonlyArray<{ step: DurabilityStep; queued: boolean; written: boolean; meaning: string }> = [
      { step: 'send:prepared', queued: false, written: false, meaning: 'encrypted, not queued: nothing stored, no box reserved' },
      { step: 'send:queued', queued: true, written: false, meaning: 'queued, never transmitted' },
      { step: 'send:acked', queued: true, written: true, meaning: 'written and confirmed, not committed: the re-send is an identical re-write' },
    ];

    it.each(STEPS.map((s) => [s.step, s] as const))('cancelled at %s', async (_step, s) => {
      let reached!: (event: DurabilityStepEvent) => void;
      const atStep = new Promise<DurabilityStepEvent>((resolve) => (reached = resolve));
      // The hook holds the send at the step until the spec unsubscribes.
      const gated = new ChannelManager(client, store, { onStep: (event) => (event.step === s.step ? (reached(event), new Promise<void>(() => undefined)) : undefined) });
      const channel = await gated.createChannel('c');
      const { subscription, notifications } = observe(channel.send(text('message')));
      await driven(atStep);
      subscription.unsubscribe();
      await daemonBarrier();

      expect(notifications).toEqual([]);
      expect(sim.stats().arqInFlight).toBe(0);
      expect((await channel.pending()).map((p) => [p.kind, p.position, p.attempts])).toEqual(s.queued ? [['message', 0, 0]] : []);
      expect((await channel.info()).writePosition).toBe(0);
      expect(await boxesOf(channel)).toEqual(s.written ? ['message'] : []);

      const manager = await restarted();
      const report = await driven(manager.recover());
      expect(report.entries).toBe(s.queued ? 1 : 0);
      const recovered = await manager.get('c');
      const after = await driven(firstValueFrom(recovered.send(text('after'))));
      // A queued entry keeps box 0 and is delivered once; an unqueued message left no trace.
      expect(await boxesOf(recovered)).toEqual(s.queued ? ['message', 'after'] : ['after']);
      expect(after.position).toBe(s.queued ? 1 : 0);
    });
  });
});
