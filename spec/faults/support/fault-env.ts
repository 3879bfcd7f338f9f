/**
 * Shared set-up of the fault-injection specs: a fast simulator on a real
 * socket, a client that reconnects within milliseconds (with jitter, as in
 * production), and waits that are driven by the client's own events and
 * state, never by sleeping.
 */
import { filter, firstValueFrom, skipWhile, take, type Observable } from 'rxjs';
import { ThinClient, blake2b256, exponentialBackoff, type ClientEventOf, type ConnectionState, type ThinClientOptions } from 'katzenpost-rx';
import type { SimulatorHandle, SimulatorOptions } from 'katzenpost-rx/sim';
import { FaultProxy } from './fault-proxy.js';
import { startSpecSimulator } from '../../support/spec-simulator.js';

/**
 * A simulator at a thousandth of mixnet time, epochs frozen (no PKI events mid-test), deterministic.
 *
 * Without kpclientd's CPU costs: these suites test the client's own
 * recovery from faults, and seconds of simulated encryption would only
 * slow them. (The hazard those costs create — the daemon notices a closed
 * connection only after encrypting, and v0.0.99 then unregisters an
 * already-resumed new connection by AppID — is avoided by the client, which
 * resumes only after the daemon closed the old connection; it has its own
 * spec, spec/sim/resume-while-encrypting.spec.ts, and the testnet check in
 * spec/testnet/resilience.testnet.ts. These suites also pass with the costs
 * on.)
 */
export function startFaultSim(seed: string, options: Omit<SimulatorOptions, 'clock'> = {}): Promise<SimulatorHandle> {
  return startSpecSimulator({
    realTime: 'faults are injected at protocol points and outcomes counted (lost, duplicated, hung), never timed',
    seed,
    ...options,
    latency: { encryptWriteMs: 0, encryptReadMs: 0, replyDecryptMs: 0, ...options.latency },
  });
}

/** Reconnect after 2–20 ms, ±50 % jitter: fast, but through the production backoff policy. */
export const fastReconnect: ThinClientOptions = { reconnect: exponentialBackoff({ initialMs: 2, maxMs: 20, jitter: 0.5 }) };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** UTF-8 bytes. */
export const utf8 = (text: string): Uint8Array => encoder.encode(text);
/** A string from UTF-8 bytes. */
export const text = (bytes: Uint8Array): string => decoder.decode(bytes);
/** A deterministic 32-byte seed for a label. */
export const seedOf = (label: string): Uint8Array => blake2b256(utf8(label));

/** The first value of `source` that matches. */
export function first<T>(source: Observable<T>, predicate: (value: T) => boolean): Promise<T> {
  return firstValueFrom(source.pipe(filter(predicate)));
}

type Disconnected = ClientEventOf<'daemon_disconnected'>;

/**
 * Call *before* injecting a fault: resolves with the `daemon_disconnected`
 * event and the state once the client is connected again.
 */
export function nextReconnect(client: ThinClient): Promise<{ event: Disconnected; state: ConnectionState }> {
  const event = first(client.events$, (e) => e.type === 'daemon_disconnected') as Promise<Disconnected>;
  const state = firstValueFrom(
    client.state$.pipe(
      skipWhile((s) => s.daemon === 'connected'),
      filter((s) => s.daemon === 'connected' || s.daemon === 'closed'),
      take(1),
    ),
  );
  return Promise.all([event, state]).then(([e, s]) => ({ event: e, state: s }));
}

/** Resolves when the client has completed a local round trip (the daemon processed all we sent before). */
export async function daemonBarrier(client: ThinClient): Promise<void> {
  await firstValueFrom(client.newKeypair(seedOf('barrier')));
}

/**
 * A promise that rejects after `ms` real milliseconds with `what`: the
 * failure detector of a test (race it against the awaited condition).
 */
export function watchdog(ms: number, what: () => string): { promise: Promise<never>; cancel(): void } {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<never>((_, reject) => {
    handle = setTimeout(() => reject(new Error(`watchdog: ${what()}`)), ms);
  });
  promise.catch(() => undefined);
  return { promise, cancel: () => clearTimeout(handle) };
}

/** Prints a figure line so it stands out in Jest's output (and in `npm run faults`). */
export function printFigures(line: string): void {
  process.stdout.write(`\n[faults] ${line}\n`);
}

/** A simulator, a {@link FaultProxy} in front of it, and a client dialling the proxy. */
export interface ProxiedEnv {
  readonly sim: SimulatorHandle;
  readonly proxy: FaultProxy;
  readonly client: ThinClient;
}

/**
 * Runs `body` with a fresh simulator, proxy and connected client, and
 * always cleans up (client first: its `thin_close` drops its daemon state).
 */
export async function withProxiedClient<T>(
  seed: string,
  body: (env: ProxiedEnv) => Promise<T>,
  simOptions: SimulatorOptions = {},
  clientOptions: ThinClientOptions = {},
): Promise<T> {
  const sim = await startFaultSim(seed, simOptions);
  const proxy = await FaultProxy.start(sim.address);
  let client: ThinClient | null = null;
  try {
    client = await ThinClient.connect(proxy.config, { ...fastReconnect, ...clientOptions });
    return await body({ sim, proxy, client });
  } finally {
    await client?.close();
    await proxy.stop();
    await sim.close();
  }
}
