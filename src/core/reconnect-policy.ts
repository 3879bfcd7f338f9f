/**
 * How long to wait before reconnect attempt `attempt` (1-based), in ms, or
 * `null` to give up. `random` is in [0, 1) (injectable for tests).
 */
export type ReconnectPolicy = (attempt: number, random: () => number) => number | null;

/** Options of {@link exponentialBackoff}. */
export interface BackoffOptions {
  /** First delay (ms). Reference clients: 1 s. */
  readonly initialMs?: number;
  /** Upper bound (ms). Reference clients: 60 s. */
  readonly maxMs?: number;
  /** Fraction of the delay drawn at random and added/subtracted (0 = none). */
  readonly jitter?: number;
  /** Give up after this many attempts (default: never). */
  readonly maxAttempts?: number;
}

/**
 * Exponential backoff with jitter: initial, 2×, 4× … capped, each ±jitter,
 * like the reference clients' 1 s doubling to 60 s (PROTOCOL.md §9) with
 * jitter added so that many clients of one restarted daemon do not all
 * reconnect in the same instant.
 *
 * @example
 * ThinClient.connect(config, { reconnect: exponentialBackoff({ initialMs: 500, maxMs: 10_000 }) });
 */
export function exponentialBackoff(options: BackoffOptions = {}): ReconnectPolicy {
  const { initialMs = 1000, maxMs = 60_000, jitter = 0.2, maxAttempts = Infinity } = options;
  return (attempt, random) => {
    if (attempt > maxAttempts) return null;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 52));
    const spread = base * jitter * (2 * random() - 1);
    return Math.max(0, Math.min(maxMs, Math.round(base + spread)));
  };
}

/** Never reconnect: a lost connection fails pending requests and closes the client. */
export const noReconnect: ReconnectPolicy = () => null;
