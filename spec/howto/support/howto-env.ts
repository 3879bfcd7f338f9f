/**
 * Shared set-up of the how-to specs: a fast simulator (a thousandth of real
 * mixnet time, epochs frozen so no PKI event lands mid-test), a client that
 * reconnects quickly, and the small byte helpers the guide's snippets use.
 * Only the public API is used: `katzenpost-rx` and `katzenpost-rx/sim`.
 */
import { BehaviorSubject, concatMap, filter, firstValueFrom, take, timer, type Observable } from 'rxjs';
import { ThinClient, blake2b256, connectByteStream, exponentialBackoff, type ByteStream, type DialConfig, type ThinClientOptions } from 'katzenpost-rx';
import type { SimStats, SimulatorHandle, SimulatorOptions } from 'katzenpost-rx/sim';
import { startSpecSimulator } from '../../support/spec-simulator.js';
import { hangDeadline } from '../../support/hang-deadline.js';

/**
 * A simulator for one test: real socket, timeScale 0.001, deterministic, epochs frozen.
 *
 * @example
 * const sim = await startHowtoSim('my-test', { fixedLatencyMs: 10_000 });
 */
export function startHowtoSim(seed: string, options: Omit<SimulatorOptions, 'clock'> = {}): Promise<SimulatorHandle> {
  return startSpecSimulator({
    realTime: 'the guide tasks assert results; waits are on events, states and the simulated clock',
    seed,
    ...options,
  });
}

/** Client options for tests: reconnect after ~10 ms instead of the production 1 s. */
export const fastReconnect: ThinClientOptions = { reconnect: exponentialBackoff({ initialMs: 10, maxMs: 100, jitter: 0 }) };

/**
 * Connects a new client to the simulator.
 *
 * @example
 * const other = await connectClient(sim);
 */
export function connectClient(sim: SimulatorHandle, options: ThinClientOptions = {}): Promise<ThinClient> {
  return ThinClient.connect(sim.config, { ...fastReconnect, ...options });
}

/**
 * Runs `body` with a fresh simulator and a connected client, and always
 * cleans both up (close the client first: `thin_close` drops its daemon state).
 *
 * @example
 * it('writes', () => withSim('seed', async ({ sim, client }) => { … }, { timeScale: 0.01 }));
 */
export async function withSim<T>(
  seed: string,
  body: (env: { sim: SimulatorHandle; client: ThinClient }) => Promise<T>,
  simOptions: SimulatorOptions = {},
  clientOptions: ThinClientOptions = {},
): Promise<T> {
  const sim = await startHowtoSim(seed, simOptions);
  let client: ThinClient | null = null;
  try {
    client = await connectClient(sim, clientOptions);
    return await body({ sim, client });
  } finally {
    await client?.close();
    await sim.close();
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** UTF-8 bytes of a string. */
export const utf8 = (text: string): Uint8Array => encoder.encode(text);
/** A string from UTF-8 bytes. */
export const text = (bytes: Uint8Array): string => decoder.decode(bytes);

/** A deterministic 32-byte channel seed (production code uses `crypto.getRandomValues`). */
export const seedOf = (label: string): Uint8Array => blake2b256(utf8(label));

/** `n` bytes of a recognisable pattern. */
export function pattern(n: number, salt = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + salt + (i >> 8)) & 0xff);
}

/** The guide's framing: a 4-byte big-endian length, then the payload. */
export function framed(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.length);
  new DataView(out.buffer).setUint32(0, payload.length, false);
  out.set(payload, 4);
  return out;
}

/** Concatenates chunks. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * Waits until the daemon has processed everything this client sent so far:
 * a local request (answered inline, in arrival order) makes the round trip.
 * Used before reading `sim.stats()`, instead of a sleep.
 *
 * @example
 * await daemonBarrier(client);
 * expect(sim.stats().arqInFlight).toBe(0);
 */
export async function daemonBarrier(client: ThinClient): Promise<void> {
  await firstValueFrom(client.newKeypair(seedOf('barrier')));
}

/** The first value of `source` matching `predicate` (events, state). */
export function first<T>(source: Observable<T>, predicate: (value: T) => boolean): Promise<T> {
  return firstValueFrom(source.pipe(filter(predicate)));
}

/**
 * Whether `promise` is still pending: true if it has neither resolved nor
 * rejected once the current macrotask queue has drained.
 */
export async function isPending(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return !settled;
}

/**
 * Polls `sim.stats()` until `predicate` holds (after a daemon barrier when a
 * live client is given), failing after `limitMs`. For states the daemon
 * reaches on its own schedule (an operation dispatched at a send slot).
 *
 * @example
 * await waitForStats(sim, (s) => s.arqInFlight === 1, client);
 */
export async function waitForStats(sim: SimulatorHandle, predicate: (stats: SimStats) => boolean, client?: ThinClient): Promise<SimStats> {
  const deadline = hangDeadline();
  for (;;) {
    if (client) await daemonBarrier(client);
    const stats = sim.stats();
    if (predicate(stats)) return stats;
    if (deadline.expired()) throw new Error(`sim stats never matched: ${JSON.stringify(stats)}`);
    await firstValueFrom(timer(2)); // real-time: a poll interval; the wait ends on the predicate
  }
}

/** Resolves once the simulated clock has moved `ms` past now (a sim control, not a guess at real time). */
export async function simulatedTimePasses(sim: SimulatorHandle, ms: number): Promise<void> {
  const until = sim.clock.now() + ms;
  // real-time: a poll interval; the wait ends when the simulated clock has moved
  while (sim.clock.now() < until) await firstValueFrom(timer(1));
}

/**
 * A socket factory with a gate: while closed, dials wait (the daemon's
 * socket is "unreachable"), so a test decides when a reconnect happens.
 *
 * @example
 * const gate = gatedSocket();
 * const client = await ThinClient.connect(sim.config, { socketFactory: gate.socketFactory });
 * gate.close(); sim.dropConnections(); … gate.open();
 */
export function gatedSocket(): { socketFactory: (dial: DialConfig) => Observable<ByteStream>; open(): void; close(): void } {
  const gate = new BehaviorSubject(true);
  return {
    socketFactory: (dial) =>
      gate.pipe(
        filter((open) => open),
        take(1),
        concatMap(() => connectByteStream(dial)),
      ),
    open: () => gate.next(true),
    close: () => gate.next(false),
  };
}
