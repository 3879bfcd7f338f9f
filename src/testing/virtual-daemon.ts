import type { Observable, SchedulerLike, Subscription } from 'rxjs';
import { NEVER, of } from 'rxjs';
import type { ThinClientOptions } from '../client/thin-client-options.js';
import type { ThinClientConfig } from '../config/dial-config.js';
import { createSimulation, withControls, type Simulation } from '../sim/start-simulator.js';
import type { SimulatorOptions } from '../sim/simulator-options.js';
import { decodeRequest, encodeDaemonMessage } from '../wire/codec.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import { frameHeader } from '../wire/frame-encoder.js';
import type { DecodedRequest, OutgoingDaemonMessage, RequestKind } from '../wire/messages.js';
import type { ByteStream } from '../transport/byte-stream.js';
import { memoryConnection } from './memory-connection.js';
import { SchedulerSimClock } from './scheduler-sim-clock.js';

/** Answers one request yourself: an Observable of daemon messages (e.g. a cold marble), or `null` to let the simulator answer. */
export type ScriptedResponder<K extends RequestKind = RequestKind> = (
  request: Extract<DecodedRequest, { readonly type: K }>,
) => Observable<OutgoingDaemonMessage> | null;

/** Options of {@link createVirtualDaemon}: the simulator's, plus the scheduler that drives it. */
export interface VirtualDaemonOptions extends Omit<SimulatorOptions, 'clock' | 'timeScale' | 'listen'> {
  /** The scheduler for the daemon's time — and, through `clientOptions`, the client's. */
  readonly scheduler: SchedulerLike;
  /**
   * When the virtual world ends (virtual ms, default one hour): the daemon
   * stops and new connections never complete, so nothing is left that
   * schedules more work. A daemon ticks forever (send slots, epochs) and a
   * client reconnects forever; without an end, `TestScheduler.flush()`
   * would never return.
   */
  readonly horizonMs?: number;
}

/**
 * A faithful simulated kpclientd in **virtual time**, reached over
 * in-memory connections: for marble tests of code built on the SDK. By
 * default it behaves like the simulator (handshake, sessions, Poisson
 * slots, boxes, ARQ, copies); `script` replaces its answer to a kind of
 * request with your own marble, and `emit` pushes events.
 */
export interface VirtualDaemon extends Omit<Simulation, 'accept' | 'dispose'> {
  /** A config for `ThinClient` (never dialled: connections are in memory). */
  readonly config: ThinClientConfig;
  /** `ThinClient` options for this daemon: its socket factory and scheduler, merged over `extra`. */
  clientOptions(extra?: ThinClientOptions): ThinClientOptions;
  /** Every request any client sent, decoded, with the virtual time it arrived. */
  readonly requests: ReadonlyArray<{ readonly at: number; readonly request: DecodedRequest }>;
  /** Answers requests of one kind yourself (the last script for a kind wins; `null` from it falls through to the simulator). */
  script<K extends RequestKind>(kind: K, responder: ScriptedResponder<K>): void;
  /** Sends each message of `messages$` to every connected client as it is emitted. */
  emit(messages$: Observable<OutgoingDaemonMessage>): Subscription;
  /** Stops the daemon and cancels its timers (as the horizon does). */
  dispose(): void;
}

/**
 * Creates a {@link VirtualDaemon} on `options.scheduler`.
 *
 * @example
 * new TestScheduler(assert).run(({ cold, expectObservable }) => {
 *   const daemon = createVirtualDaemon({ scheduler: testScheduler, fixedLatencyMs: 100 });
 *   const client = new ThinClient(daemon.config, daemon.clientOptions());
 *   void client.connect();
 *   expectObservable(unreadCount$(client, readCap, index)).toBe('…');
 * });
 */
export function createVirtualDaemon(options: VirtualDaemonOptions): VirtualDaemon {
  const { scheduler, horizonMs = 60 * 60_000, ...simOptions } = options;
  // kpclientd's CPU costs (seconds of CTIDH work per encryption, drawn at random)
  // are off unless asked for: marble expectations stay exact and readable.
  const latency = { encryptWriteMs: 0, encryptReadMs: 0, replyDecryptMs: 0, ...simOptions.latency };
  const simulation = createSimulation({ seed: 'virtual', ...simOptions, latency, clock: new SchedulerSimClock(scheduler) });
  let ended = false;
  scheduler.schedule(() => {
    ended = true;
    simulation.dispose();
  }, horizonMs);
  const scripts = new Map<RequestKind, ScriptedResponder>();
  const requests: Array<{ at: number; request: DecodedRequest }> = [];
  const connected = new Set<(chunk: Uint8Array) => void>();

  const frame = (message: OutgoingDaemonMessage): Uint8Array => {
    const body = encodeDaemonMessage(message);
    const out = new Uint8Array(4 + body.length);
    out.set(frameHeader(body.length));
    out.set(body, 4);
    return out;
  };

  const connect = (): Observable<ByteStream> => {
    if (ended) return NEVER;
    const decoder = new FrameDecoder();
    const { stream, socket, toClient } = memoryConnection(scheduler, (chunk) => {
      // Every frame is logged; scripted kinds are answered here and never reach the simulator.
      let swallowed = true;
      decoder.push(chunk, (body) => {
        const request = decodeRequest(body);
        if (request.type === 'unknown') {
          swallowed = false;
          return;
        }
        requests.push({ at: scheduler.now(), request });
        const replies = scripts.get(request.type)?.(request as never) ?? null;
        if (replies) replies.subscribe((message) => toClient(frame(message)));
        else swallowed = false;
      });
      return swallowed;
    });
    connected.add(toClient);
    socket.onClose(() => connected.delete(toClient));
    simulation.accept(socket);
    return of(stream);
  };

  return withControls(simulation, {
    config: { dial: { tcp: { address: 'virtual.invalid:1' } } },
    clientOptions: (extra: ThinClientOptions = {}) => ({ ...extra, scheduler, socketFactory: connect }),
    requests,
    script: <K extends RequestKind>(kind: K, responder: ScriptedResponder<K>) => void scripts.set(kind, responder as unknown as ScriptedResponder),
    emit: (messages$: Observable<OutgoingDaemonMessage>) =>
      messages$.subscribe((message) => {
        const chunk = frame(message);
        for (const deliver of connected) deliver(chunk);
      }),
    dispose: () => {
      ended = true;
      simulation.dispose();
    },
  });
}
