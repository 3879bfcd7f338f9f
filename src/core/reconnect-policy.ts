import { InvalidArgumentError } from '../errors/local-errors.js';
import { describeValue } from './describe-value.js';

/**
 * How long to wait before reconnect attempt `attempt` (1-based), in ms, or
 * `null` to give up. `random` is in [0, 1) (injectable for tests).
 */
export type ReconnectPolicy = (attempt: number, random: () => number) => number | null;

/** Options of {@link exponentialBackoff}. */
export interface BackoffOptions {
  /** First delay (ms). Reference clients: 1 s. */
  readonly initialMs?: number;
  /** Upper bound (ms), at least `initialMs`. Reference clients: 60 s (the default, or `initialMs` if larger). */
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
 * Throws `InvalidArgumentError` for an option that is not a finite number
 * ≥ 0, `maxMs` below `initialMs`, `jitter` outside 0–1 or a `maxAttempts`
 * that is not a whole number (or `Infinity`).
 *
 * @example
 * ThinClient.connect(config, { reconnect: exponentialBackoff({ initialMs: 500, maxMs: 10_000 }) });
 */
export function exponentialBackoff(options: BackoffOptions = {}): ReconnectPolicy {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('options', 'expected an object');
  const { initialMs = 1000, jitter = 0.2, maxAttempts = Infinity } = options;
  // An initialMs above the default cap raises the cap rather than failing over an option nobody set.
  const maxMs = options.maxMs ?? (typeof initialMs === 'number' ? Math.max(60_000, initialMs) : 60_000);
  // Checked here, not at the first reconnect: a bad policy would otherwise surface only when the daemon goes away.
  const finiteAtLeast = (name: string, value: unknown, min: number): void => {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw new InvalidArgumentError(`options.${name}`, `expected a finite number ≥ ${min}, got ${describeValue(value)}`);
  };
  finiteAtLeast('initialMs', initialMs, 0);
  finiteAtLeast('maxMs', maxMs, 0);
  if (maxMs < initialMs) throw new InvalidArgumentError('options.maxMs', `must be ≥ options.initialMs (${initialMs}), got ${maxMs}`);
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) throw new InvalidArgumentError('options.jitter', `expected a number from 0 to 1, got ${describeValue(jitter)}`);
  if (maxAttempts !== Infinity && !(Number.isInteger(maxAttempts) && maxAttempts >= 0)) {
    throw new InvalidArgumentError('options.maxAttempts', `expected an integer ≥ 0 (or Infinity), got ${describeValue(maxAttempts)}`);
  }
  return (attempt, random) => {
    if (attempt > maxAttempts) return null;
    const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 52));
    const spread = base * jitter * (2 * random() - 1);
    return Math.max(0, Math.min(maxMs, Math.round(base + spread)));
  };
}

/** Never reconnect: a lost connection fails pending requests and closes the client. */
export const noReconnect: ReconnectPolicy = () => null;
