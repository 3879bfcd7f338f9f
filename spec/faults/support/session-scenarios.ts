/**
 * The session-core fault scenarios of issue 12, each a function of a seed
 * run in virtual time (see `virtual-world.ts`). The fault suite runs each
 * many times and prints the figures; the marble suite
 * (`marbles/session-scenarios.marble.ts`) runs a few seeds of each and
 * checks them in detail. "Lost" counts writes missing from the replicas
 * and reads or sends that came back with other data than was written.
 */
import { ClientClosedError, ConnectionLostError, NotConnectedError, exponentialBackoff } from 'katzenpost-rx';
import { keypairFromSeed, nextIndex } from 'katzenpost-rx/testing';
import { runWorld, type World, type WorldOutcome } from './virtual-world.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const noop = (): void => undefined;

/** A channel of this run: caps from a label, box `i` at `box(i)` (the fake BACAP needs no round trip). */
export function channel(label: string) {
  const seed = new Uint8Array(32);
  seed.set(encoder.encode(label).subarray(0, 32));
  const keys = keypairFromSeed(seed);
  const boxes = [keys.firstIndex];
  const box = (i: number): Uint8Array => {
    while (boxes.length <= i) boxes.push(nextIndex(boxes[boxes.length - 1]!)!);
    return boxes[i]!;
  };
  return { writeCap: keys.writeCap, readCap: keys.readCap, box };
}
type Channel = ReturnType<typeof channel>;

const between = (world: World, min: number, max: number): number => Math.floor(min + world.random() * (max - min + 1));
const textOf = (ch: string, i: number): string => `${ch} box ${i}`;

/** Starts writes of boxes `from … from+count-1` (ledger operations `write <i>`). */
function startWrites(world: World, ch: Channel, name: string, from: number, count: number): void {
  for (let i = from; i < from + count; i++) world.ledger.start(`write ${i}`, world.client.write(ch.writeCap, ch.box(i), encoder.encode(textOf(name, i))));
}

/** Starts reads of boxes `from … from+count-1` (ledger operations `read <i>`); the daemon retries each until its box is written. */
function startReads(world: World, ch: Channel, from: number, count: number): void {
  for (let i = from; i < from + count; i++) world.ledger.start(`read ${i}`, world.client.read(ch.readCap, ch.box(i)));
}

/**
 * Lost operations: a successful write whose box does not hold its text, or
 * a read that emitted other data than `write <i>` put there.
 */
function lostBoxOps(world: World, ch: Channel, name: string): number {
  let lost = 0;
  for (const record of world.ledger.report().records) {
    const [op, index] = record.label.split(' ');
    const i = Number(index);
    if (record.nexts === 0 || !Number.isInteger(i)) continue;
    if (op === 'write') {
      const box = world.daemon.readBox(ch.writeCap, ch.box(i));
      if (box.code !== 0 || decoder.decode(box.plaintext) !== textOf(name, i)) lost++;
    } else if (op === 'read' && decoder.decode(record.value as Uint8Array) !== textOf(name, i)) lost++;
  }
  return lost;
}

/**
 * Give-up after failed re-dials (issue 12, case 2): operations are in flight
 * (ARQs at the daemon, a local request written just before the fault, more
 * made while reconnecting) when the daemon dies and its socket refuses every
 * dial; the policy allows 1–4 attempts. Every operation not finished before
 * must fail with `ConnectionLostError` — none may hang — and one made after
 * the give-up fails at once with `ClientClosedError`.
 */
export function giveUpAfterFailedRedials(seed: number): { outcome: WorldOutcome; gaveUpEvents: number } {
  let gaveUpEvents = 0;
  const name = `giveup-${seed}`;
  const ch = channel(name);
  const outcome = runWorld(
    {
      seed,
      probeAtMs: 60_000,
      client: { reconnect: exponentialBackoff({ initialMs: 10, maxMs: 40, jitter: 0.5, maxAttempts: 1 + (seed % 4) }) },
      acceptable: (error) => error instanceof ConnectionLostError || error instanceof ClientClosedError,
    },
    (world) => {
      const { client, ledger } = world;
      void client.connect().catch(noop);
      client.events$.subscribe((e) => {
        if (e.type === 'daemon_disconnected' && !e.willReconnect) gaveUpEvents++;
      });
      world.at(100, () => {
        startReads(world, ch, 100, between(world, 2, 8)); // never written: in flight until the end
        startWrites(world, ch, name, 0, between(world, 1, 6));
      });
      const faultAt = between(world, 150, 4000);
      world.at(faultAt, () => {
        ledger.start('local at the fault', client.nextMessageBoxIndex(ch.box(0)));
        world.daemon.kill();
        world.setReachable(false);
      });
      world.at(faultAt + 5, () => {
        ledger.start('local while reconnecting', client.nextMessageBoxIndex(ch.box(1)));
        ledger.start('write 50', client.write(ch.writeCap, ch.box(50), encoder.encode(textOf(name, 50))));
      });
      world.at(30_000, () => ledger.start('local after the give-up', client.nextMessageBoxIndex(ch.box(2))));
      return () => lostBoxOps(world, ch, name);
    },
  );
  return { outcome, gaveUpEvents };
}

/**
 * Abandon storm while the daemon is offline (issue 12, case 4): 8–40 reads
 * of boxes nobody writes are started and abandoned (unsubscribed, or timed
 * out) while each still waits in the daemon's queue; local requests keep
 * flowing; writes and reads are started behind them; then the daemon goes
 * online. Nothing of the abandoned reads may be left at the daemon, its
 * queue must never overflow (it would stop reading our socket), and every
 * other operation completes exactly once.
 */
export function abandonStormWhileOffline(seed: number): WorldOutcome {
  const name = `storm-${seed}`;
  const ch = channel(name);
  return runWorld({ seed, probeAtMs: 20 * 60_000, daemon: { online: false } }, (world) => {
    const { client, ledger } = world;
    void client.connect().catch(noop);
    world.at(100, () => {
      const abandoned = between(world, 8, 40);
      for (let i = 0; i < abandoned; i++) {
        const timeoutMs = i % 3 === 0 ? between(world, 200, 3000) : undefined;
        const subscription = client.read(ch.readCap, ch.box(1000 + i), timeoutMs === undefined ? {} : { timeoutMs }).subscribe({ error: noop });
        if (timeoutMs === undefined) world.at(100 + between(world, 0, 3000), () => subscription.unsubscribe());
      }
    });
    for (let t = 150; t < 6000; t += 250) world.at(t, () => ledger.start(`local at ${t}`, client.nextMessageBoxIndex(ch.box(0))));
    world.at(3500, () => {
      const count = between(world, 4, 20);
      startWrites(world, ch, name, 0, count);
      startReads(world, ch, 0, count);
    });
    world.at(4000 + between(world, 0, 4000), () => world.daemon.setOnline(true));
    return () => lostBoxOps(world, ch, name);
  });
}

/**
 * Same-instance resume with live ARQs (issue 12, case 3): writes are in
 * flight and reads wait for boxes when the daemon drops our socket, 1–3
 * times; sometimes the client stays away long enough for replies to be
 * dropped (orphaning the daemon's ARQs, DAEMON.md §1.3). Each time the
 * session resumes. `connect()` is also called at random moments (it must
 * never disturb a healthy client, case 1). Then the awaited boxes are
 * written. Every operation completes exactly once, and the daemon never
 * holds two ARQs of one envelope, nor any ARQ at the end.
 *
 * (At most 3 waiting reads: a read of an empty box is retried at every
 * send slot, and the daemon serves a client's retries before its new
 * requests, so a few such reads starve the client's own writes —
 * DAEMON.md §1.7, a property of the daemon, not of a reconnect.)
 */
export function resumeWithLiveArqs(seed: number): WorldOutcome {
  const name = `resume-${seed}`;
  const ch = channel(name);
  return runWorld({ seed, probeAtMs: 20 * 60_000 }, (world) => {
    const { client } = world;
    void client.connect().catch(noop);
    const reads = between(world, 1, 3);
    world.at(100, () => {
      startWrites(world, ch, name, 100, between(world, 2, 12));
      startReads(world, ch, 0, reads);
    });
    let t = 200;
    for (let drops = between(world, 1, 3); drops > 0; drops--) {
      t += between(world, 100, 10_000);
      const away = world.random() < 0.5 ? between(world, 5_000, 30_000) : 0;
      world.at(t, () => {
        world.daemon.dropConnections();
        if (away > 0) world.setReachable(false);
      });
      if (away > 0) world.at(t + away, () => world.setReachable(true));
      t += away;
    }
    for (let calls = between(world, 1, 4); calls > 0; calls--) world.at(between(world, 0, t), () => void client.connect().catch(noop));
    world.at(t + 60_000, () => startWrites(world, ch, name, 0, reads));
    return () => lostBoxOps(world, ch, name);
  });
}

/**
 * `disconnect()` with live ARQs (issue 12, case 5): reads and writes are in
 * flight when the application disconnects; requests made meanwhile fail at
 * once with `NotConnectedError`; after 0–60 s it connects again and the
 * session resumes; the awaited boxes are written. Every operation kept
 * across the pause completes exactly once, and nothing is left at the
 * daemon.
 */
export function disconnectWithLiveArqs(seed: number): WorldOutcome {
  const name = `disconnect-${seed}`;
  const ch = channel(name);
  return runWorld({ seed, probeAtMs: 20 * 60_000, acceptable: (error) => error instanceof NotConnectedError }, (world) => {
    const { client, ledger } = world;
    void client.connect().catch(noop);
    const reads = between(world, 1, 3); // (few: see resumeWithLiveArqs)
    world.at(100, () => {
      startWrites(world, ch, name, 100, between(world, 2, 12));
      startReads(world, ch, 0, reads);
    });
    const pauseAt = between(world, 150, 10_000);
    const resumeAt = pauseAt + between(world, 0, 60_000);
    world.at(pauseAt, () => void client.disconnect());
    world.at(pauseAt + 1, () => ledger.start('local while paused', client.nextMessageBoxIndex(ch.box(0))));
    world.at(resumeAt, () => void client.connect().catch(noop));
    world.at(resumeAt + 60_000, () => startWrites(world, ch, name, 0, reads));
    return () => lostBoxOps(world, ch, name);
  });
}

/**
 * A legacy SURB send across a resume (issue 12, case 6): echo pings are
 * queued at the daemon, sent, or answered when the daemon drops our
 * socket; the session resumes. Each ping gets its echo exactly once — one
 * still in the daemon's queue at the drop is sent again, one already sent
 * keeps waiting for its reply (the daemon queues it for us) — or, never
 * hanging, a typed error.
 */
export function legacySendAcrossResume(seed: number): WorldOutcome {
  return runWorld({ seed, probeAtMs: 10 * 60_000 }, (world) => {
    const { client, ledger } = world;
    void client.connect().catch(noop);
    const pings = new Map<string, string>();
    world.at(100, () => {
      const echo = client.getService('echo').toDestination();
      for (let i = between(world, 2, 20); i > 0; i--) {
        const label = `ping ${i}`;
        pings.set(label, `${seed}/${i}`);
        ledger.start(label, client.send(encoder.encode(`${seed}/${i}`), echo));
      }
    });
    world.at(100 + between(world, 0, 8000), () => world.daemon.dropConnections());
    return () => {
      let lost = 0;
      for (const record of ledger.report().records) {
        if (record.nexts === 0) continue;
        const echoed = decoder.decode((record.value as Uint8Array).subarray(0, pings.get(record.label)!.length));
        if (echoed !== pings.get(record.label)) lost++;
      }
      return lost;
    };
  });
}

/** Every scenario, by the name its figure line carries. */
export const SESSION_SCENARIOS = {
  'give-up after failed re-dials': (seed: number) => giveUpAfterFailedRedials(seed).outcome,
  'abandon storm while offline': abandonStormWhileOffline,
  'same-instance resume with live ARQs': resumeWithLiveArqs,
  'disconnect() with live ARQs': disconnectWithLiveArqs,
  'legacy send across a resume': legacySendAcrossResume,
} as const satisfies Record<string, (seed: number) => WorldOutcome>;
