import type { Logger } from '../core/logger.js';
import type { DirectoryAuthority } from '../wire/messages.js';
import type { LatencyOptions } from './latency-model.js';
import type { SimClock } from './sim-clock.js';
import type { SimGeometryOptions } from './sim-geometry.js';
import type { SimListen } from './sim-listener.js';
import type { SyntheticService } from './synthetic-pki.js';

/**
 * Options of `startSimulator`. Every delay is in **simulated**
 * milliseconds: the figures of DAEMON.md §8, multiplied by `timeScale` to
 * get real time. All have defaults that behave like the docker network's
 * daemon (except the grace period, 10 min as kpclientd's compile-time
 * default).
 *
 * @example
 * const sim = await startSimulator({ timeScale: 0.001, seed: 'my-test' });
 */
export interface SimulatorOptions {
  /** Where to listen; default `{ tcp: '127.0.0.1:0' }` (a free port). */
  readonly listen?: SimListen;
  /** Real ms per simulated ms. 1 = real time; tests use e.g. 0.001. Default 1. */
  readonly timeScale?: number;
  /** Simulated wall-clock time at start, ms since the Unix epoch (sets the first epoch). Default: now. Ignored with `clock`. */
  readonly startTimeMs?: number;
  /** A clock to use instead of a scaled real one (e.g. `ManualSimClock`); `timeScale` and `startTimeMs` are then ignored. */
  readonly clock?: SimClock;
  /** Seed of every random choice (latencies, slots, ids, couriers). Default: random. */
  readonly seed?: string | number | Uint8Array;
  /** Gateway link up at start. Default true. */
  readonly online?: boolean;
  /**
   * Whether the network has a PKI document. false = the daemon has none
   * (offline daemon codes; each connect waits the full `pkiWaitMs` and gets
   * a null document) until `publishNewDocument()`. Default true.
   */
  readonly hasDocument?: boolean;
  /** The accept-time wait for a document. Default 30 000. */
  readonly pkiWaitMs?: number;
  /** How long a session survives its client without `thin_close`. Default 600 000 (10 min; docker sets 30 s). */
  readonly sessionGracePeriodMs?: number;
  /** Geometry; default docker (UserForwardPayloadLength 2000, M = 1549). */
  readonly geometry?: SimGeometryOptions;
  /** Network timing; default docker (λP slot mean 1 s, hop mean 200 ms). */
  readonly latency?: LatencyOptions;
  /** Every mixnet operation takes exactly this long; no send slots (see `LatencyModel`). */
  readonly fixedLatencyMs?: number;
  /** Epoch length. Default 1 200 000 (20 min, a non-warped network). */
  readonly epochPeriodMs?: number;
  /**
   * Let epochs follow the clock (a PKI event 11/16 into each). false = the
   * epoch is frozen at the one the simulation started in and only
   * `publishNewDocument()` advances it (what tests on a scaled clock want).
   * Default true.
   */
  readonly autoAdvanceEpochs?: boolean;
  /** Services of the synthetic document; default courier on 3 nodes, echo (`+echo`) on the first. */
  readonly services?: readonly SyntheticService[];
  /** Storage replicas in the document; fewer than 2 makes encrypt_* fail with 4. Default 5. */
  readonly storageReplicas?: number;
  /** Mix layers. Default 3. */
  readonly mixLayers?: number;
  /**
   * Directory authorities of the daemon's config (`get_directory_authorities`).
   * Default: the synthetic document's three signers. `[]` → code 10.
   */
  readonly directoryAuthorities?: readonly DirectoryAuthority[];
  /** While offline, repeat `is_connected: false` on every simulated failed dial. Default true. */
  readonly repeatOfflineStatus?: boolean;
  /**
   * Send a `connection_status_event` right before every `session_token_reply`,
   * as a broadcast landing there would (DAEMON.md §9 item 2): tests that a
   * client accepts other frames before the reply. Default false.
   */
  readonly eventBeforeSessionTokenReply?: boolean;
  /** Log sink; default silent. Never given secrets. */
  readonly logger?: Logger;
}
