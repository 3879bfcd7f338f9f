import type { Observable, SchedulerLike } from 'rxjs';
import type { DialConfig } from '../config/dial-config.js';
import type { Logger } from '../core/logger.js';
import type { RandomSource } from '../core/random-source.js';
import type { ReconnectPolicy } from '../core/reconnect-policy.js';
import type { ByteStream } from '../transport/byte-stream.js';

/**
 * Everything injectable, in one object (DESIGN.md principle 4). All
 * optional; the defaults suit an application.
 *
 * @example
 * const client = await ThinClient.connect(config, {
 *   logger: { ...silentLogger, warn: (message, fields) => console.warn(message, fields) },
 *   requestTimeoutMs: 120_000,
 *   reconnect: exponentialBackoff({ maxMs: 30_000 }),
 * });
 */
export interface ThinClientOptions {
  /** Opens the byte stream to the daemon. Default: TCP, Unix or WebSocket per the config. */
  readonly socketFactory?: (dial: DialConfig) => Observable<ByteStream>;
  /** Random bytes for query ids, SURB ids, the instance token and temporary channel seeds (`copySend`). Default: Web Crypto. */
  readonly random?: RandomSource;
  /** Uniform [0, 1) numbers for backoff jitter and service choice. Default: from `random`. */
  readonly randomFraction?: () => number;
  /** Where time comes from (timeouts, backoff, polling). Default: `asyncScheduler`. */
  readonly scheduler?: SchedulerLike;
  /** Default: silent. */
  readonly logger?: Logger;
  /**
   * Handshake deadline in ms. Default 60 000: the daemon itself waits up
   * to 30 s for a PKI document before it greets a new connection.
   */
  readonly handshakeTimeoutMs?: number;
  /**
   * What to do when the connection to the daemon is lost after it was
   * established. Default: `exponentialBackoff()` (1 s doubling to 60 s,
   * with jitter). `false`: never reconnect; pending requests fail.
   */
  readonly reconnect?: ReconnectPolicy | false;
  /**
   * The 16-byte token that names our daemon session. Pass the
   * `clientInstanceToken` of an earlier client to resume its session
   * (within the daemon's grace period). Default: random.
   */
  readonly clientInstanceToken?: Uint8Array;
  /** Default timeout for every request, in ms. Default: none (per-request `timeoutMs` still applies). */
  readonly requestTimeoutMs?: number;
  /**
   * Most mixnet-bound requests (`start_resending_*`, copy commands, SURB
   * sends) in flight at once; more wait in the client. Default 16.
   * Separately, and whatever this is, the client never has more than 16
   * requests waiting in the daemon's per-client queue (beyond it the daemon
   * stops reading our socket and local requests stall behind the queue).
   */
  readonly maxMixnetInFlight?: number;
  /**
   * Extra connections to the daemon for `encrypt_read` / `encrypt_write`
   * only (0 to 8, default 0). kpclientd computes each encryption — seconds
   * of CTIDH work — inline on the reader of the connection it came on: on
   * one connection they run one at a time, and the requests behind them
   * wait. With `n` encryption connections up to `n` run at once (on as many
   * cores as the daemon's machine has) and the main connection is never
   * blocked by one. Worth it for streams and file transfers against a
   * local daemon: set it to the daemon machine's core count.
   */
  readonly encryptionConnections?: number;
}
