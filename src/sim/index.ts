/**
 * `katzenpost-rx/sim`: a simulated kpclientd that speaks the real
 * thin-client wire protocol on a real socket, for tests, demos and app
 * development without a mixnet. Behaviour follows DAEMON.md, including the
 * uncomfortable parts: a PKI wait at connect, mixnet requests answered only
 * on Poisson send slots, nothing answered while offline, replies lost when
 * the connection drops.
 *
 * @example
 * import { startSimulator } from 'katzenpost-rx/sim';
 * const sim = await startSimulator({ timeScale: 0.001 });
 * // … connect any thin client to sim.config / sim.thinClientToml() …
 * await sim.close();
 *
 * @packageDocumentation
 * @module katzenpost-rx/sim
 */
export { startSimulator } from './start-simulator.js';
export type { SimulatorHandle } from './start-simulator.js';
export type { SimulatorOptions } from './simulator-options.js';
export type { SimListen } from './sim-listener.js';
export type { SimStats } from './sim-daemon.js';
export type { SimGeometry, SimGeometryOptions } from './sim-geometry.js';
export { deriveSimGeometry } from './sim-geometry.js';
export type { LatencyOptions } from './latency-model.js';
export { ManualSimClock, ScaledRealClock } from './sim-clock.js';
export type { SimClock, SimTimer } from './sim-clock.js';
export { thinClientToml } from './thin-client-toml.js';
export { EPOCH_GENESIS_MS } from './sim-pki.js';
export type { BoxRead } from './pigeonhole/box-store.js';
export { idx64, keypairFromSeed, nextIndex, readCapOf } from './pigeonhole/fake-bacap.js';
export {
  buildSignedPKIDocument,
  buildSyntheticPKIDocument,
  DEFAULT_SYNTHETIC_SERVICES,
  SYNTHETIC_AUTHORITIES,
  syntheticIdentityKey,
  syntheticKey,
} from './synthetic-pki.js';
export type { SignedPKIOptions, SyntheticPKIOptions, SyntheticService } from './synthetic-pki.js';
