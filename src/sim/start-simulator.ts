import type { ThinClientConfig } from '../config/dial-config.js';
import { silentLogger } from '../core/logger.js';
import { InvalidArgumentError } from '../errors/local-errors.js';
import { WireSizes } from '../wire/constants.js';
import { LatencyModel } from './latency-model.js';
import type { BoxRead } from './pigeonhole/box-store.js';
import { capPublicKey } from './pigeonhole/fake-bacap.js';
import { defaultSimAuthorities } from './pki-requests.js';
import { ScaledRealClock, type SimClock } from './sim-clock.js';
import { SimDaemon, type SimStats } from './sim-daemon.js';
import { deriveSimGeometry, type SimGeometry } from './sim-geometry.js';
import { listenSim, type SimListener } from './sim-listener.js';
import type { SimSocket } from './sim-socket.js';
import { SimNetwork } from './sim-network.js';
import { SimPki } from './sim-pki.js';
import { SimRandom } from './sim-random.js';
import type { SimulatorOptions } from './simulator-options.js';
import { thinClientToml } from './thin-client-toml.js';
import { revealSecret, type SecretInput } from '../wire/secret-bytes.js';

/**
 * A running simulator. Control methods act like the events they are named
 * after on a real daemon; see each.
 *
 * @example
 * const sim = await startSimulator({ timeScale: 0.001 });
 * const client = await ThinClient.connect(sim.config);
 * sim.setOnline(false); // mixnet requests now wait, unanswered
 * await sim.close();
 */
export interface SimulatorHandle {
  /** A thin client configuration that dials the simulator. */
  readonly config: ThinClientConfig;
  /** The address it listens on (`host:port`, a path, or a `ws://` URL). */
  readonly address: string;
  /** The advertised geometries. */
  readonly geometry: SimGeometry;
  /** The current daemon process's instance token (changes on `restart`/`kill`). */
  readonly instanceToken: Uint8Array;
  /** Gateway link state. */
  readonly online: boolean;
  /** The current epoch. */
  readonly epoch: number;
  /** The clock driving the simulation. */
  readonly clock: SimClock;
  /** `thinclient.toml` text for {@link SimulatorHandle.config}. */
  thinClientToml(): string;
  /**
   * Graceful stop (SIGTERM): `shutdown_event` to every connection, sockets
   * closed, listener closed.
   */
  close(): Promise<void>;
  /**
   * Daemon restart: `shutdown_event`, connections closed, then a new process
   * with a new instance token and no state (sessions, ARQs, replies gone).
   * The network (boxes, courier caches) is unchanged.
   */
  restart(): void;
  /** Crash and restart: every connection dropped without `shutdown_event`, all state lost, new instance token. */
  kill(): void;
  /**
   * Gateway link up or down: broadcasts `connection_status_event`. Offline,
   * mixnet requests wait unanswered and replies in flight are lost; local
   * requests still work.
   */
  setOnline(online: boolean): void;
  /** Every client socket dropped, daemon alive: sessions with a token enter their grace period. */
  dropConnections(): void;
  /**
   * Publishes a PKI document: the first one if there is none (`hasDocument:
   * false`), else the next epoch's. Connected clients get
   * `new_pki_document_event`. Returns the new document's epoch.
   */
  publishNewDocument(): number;
  /** Counters for tests: connections, sessions, pending mixnet requests, … */
  stats(): SimStats;
  /** What the replicas hold at (cap, index) — for tests; `cap` is a read or write cap. */
  readBox(cap: SecretInput, index: Uint8Array): BoxRead;
}

/**
 * Starts a simulated kpclientd speaking the real thin-client protocol on a
 * real socket (TCP, Unix or WebSocket). Any thin client can use it — this
 * SDK, or the upstream Go and Python clients through
 * {@link SimulatorHandle.thinClientToml}.
 *
 * @example
 * const sim = await startSimulator({ timeScale: 0.001, seed: 1 });
 * console.log(sim.thinClientToml());
 */
export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const simulation = createSimulation(options);
  let listener: SimListener;
  try {
    listener = await listenSim(options.listen ?? { tcp: '127.0.0.1:0' }, (socket) => simulation.accept(socket));
  } catch (error) {
    simulation.dispose();
    throw error;
  }
  (options.logger ?? silentLogger).info('sim: listening', { address: listener.address });
  let closed = false;
  return withControls(simulation, {
    config: listener.config,
    address: listener.address,
    thinClientToml: () => thinClientToml(listener.config),
    async close() {
      if (closed) return;
      closed = true;
      simulation.dispose();
      await listener.close();
    },
  });
}

/** The controls of a simulation (handle-facing, without `accept`/`dispose`). */
export type SimulationControls = Omit<Simulation, 'accept' | 'dispose'>;

/**
 * `extra` plus the simulation's controls, delegating live (the instance
 * token, online flag and epoch are read when asked, not copied).
 */
export function withControls<T extends object>(simulation: Simulation, extra: T): T & SimulationControls {
  return {
    ...extra,
    geometry: simulation.geometry,
    clock: simulation.clock,
    get instanceToken() {
      return simulation.instanceToken;
    },
    get online() {
      return simulation.online;
    },
    get epoch() {
      return simulation.epoch;
    },
    restart: () => simulation.restart(),
    kill: () => simulation.kill(),
    setOnline: (online: boolean) => simulation.setOnline(online),
    dropConnections: () => simulation.dropConnections(),
    publishNewDocument: () => simulation.publishNewDocument(),
    stats: () => simulation.stats(),
    readBox: (cap: SecretInput, index: Uint8Array) => simulation.readBox(cap, index),
  };
}

/** A simulation without a listener: the daemon model and its controls; `accept` takes a connected socket. */
export interface Simulation extends Omit<SimulatorHandle, 'config' | 'address' | 'thinClientToml' | 'close'> {
  /** Serves one connected client socket. */
  accept(socket: SimSocket): void;
  /** Graceful stop: `shutdown_event` to every connection, all timers cancelled. */
  dispose(): void;
}

/**
 * Builds the simulated daemon and network of `options` — everything
 * {@link startSimulator} runs, minus the listening socket — so it can also
 * serve in-memory connections in virtual time (`katzenpost-rx/testing`).
 */
export function createSimulation(options: SimulatorOptions = {}): Simulation {
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? new ScaledRealClock(options.timeScale ?? 1, options.startTimeMs);
  const random = new SimRandom(options.seed);
  const geometry = deriveSimGeometry(options.geometry);
  const mixLayers = options.mixLayers ?? 3;
  const latency = new LatencyModel(random, options.latency ?? {}, mixLayers, options.fixedLatencyMs);
  const pki = new SimPki(clock, {
    epochPeriodMs: options.epochPeriodMs ?? 20 * 60_000,
    autoAdvanceEpochs: options.autoAdvanceEpochs ?? true,
    hasDocument: options.hasDocument ?? true,
    ...(options.services === undefined ? {} : { services: options.services }),
    storageReplicas: options.storageReplicas ?? 5,
    mixLayers,
    lambdaP: 1 / latency.slotMeanMs,
    mu: 1 / (options.latency?.hopMeanMs ?? 200),
  });
  const network = new SimNetwork(clock, random, latency, pki, geometry, logger, options.online ?? true);
  const settings = {
    sessionGracePeriodMs: options.sessionGracePeriodMs ?? 10 * 60_000,
    pkiWaitMs: options.pkiWaitMs ?? 30_000,
    authorities: options.directoryAuthorities ?? defaultSimAuthorities(),
    mixLayers,
    repeatOfflineStatus: options.repeatOfflineStatus ?? true,
    eventBeforeSessionTokenReply: options.eventBeforeSessionTokenReply ?? false,
  };

  let closed = false;
  const newDaemon = (): SimDaemon =>
    new SimDaemon({
      network,
      clock,
      random,
      logger,
      settings,
      // A crash is followed by a restart, as under a supervisor.
      onCrash: () => {
        daemon.kill();
        if (!closed) daemon = newDaemon();
      },
    });
  let daemon = newDaemon();

  return {
    geometry,
    clock,
    get instanceToken() {
      return daemon.instanceToken.slice();
    },
    get online() {
      return network.online;
    },
    get epoch() {
      return pki.currentEpoch();
    },
    accept: (socket) => daemon.accept(socket),
    dispose() {
      if (closed) return;
      closed = true;
      daemon.shutdown();
      pki.dispose();
      clock.dispose();
    },
    restart() {
      if (closed) return;
      daemon.shutdown();
      daemon = newDaemon();
    },
    kill() {
      if (closed) return;
      daemon.kill();
      daemon = newDaemon();
    },
    setOnline(online: boolean) {
      if (closed) return;
      network.online = online;
      daemon.linkChanged();
    },
    dropConnections() {
      daemon.dropConnections();
    },
    publishNewDocument: () => pki.publish(),
    stats: () => daemon.stats(),
    readBox(secretOrCap: SecretInput, index: Uint8Array) {
      const cap = revealSecret(secretOrCap);
      if ((cap.length !== WireSizes.writeCap && cap.length !== WireSizes.readCap) || index.length !== WireSizes.messageBoxIndex) {
        throw new InvalidArgumentError('readBox', 'expected a 168- or 136-byte cap and a 104-byte index');
      }
      return network.boxes.read(capPublicKey(cap), index);
    },
  };
}
