import { InvalidArgumentError } from '../errors/local-errors.js';
import type { RequestOptions } from './request-engine.js';
import { checkBoolean, checkCount, describeValue } from './validate.js';

/**
 * The largest delay a timer can hold: Node and browsers store it as a
 * signed 32-bit number and fire anything larger after 1 ms — a timeout of
 * 3e9 ms would fail at once with "no reply within 3000000000 ms".
 */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Largest `window` of the stream helpers (the client sends at most 16 mixnet requests at once anyway). */
export const MAX_WINDOW = 1024;

/**
 * Most envelopes one copy command may carry: the courier aborts a copy
 * stream beyond 2^16 envelopes or boxes (`maxCopyStreamEnvelopes`,
 * courier/server/plugin.go of v0.0.99). One tombstone is one envelope, so
 * this also bounds tombstone counts.
 */
export const MAX_COPY_STREAM_ENVELOPES = 1 << 16;

/** An options object: absent (`undefined`) or an object, never `null`, a number or an array. */
export function checkOptionsObject<O extends object>(name: string, options: unknown): Partial<O> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new InvalidArgumentError(name, `expected an options object, got ${describeValue(options)}`);
  }
  return options as Partial<O>;
}

/** A timeout: absent, or a finite number of ms above 0 and at most {@link MAX_TIMEOUT_MS}. */
export function checkTimeoutMs(name: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(name, `expected a number of milliseconds above 0 and at most ${MAX_TIMEOUT_MS}, got ${describeValue(value)}`);
  }
  return value;
}

/** A delay: absent (→ `fallback`), or a finite number of ms from 0 to {@link MAX_TIMEOUT_MS}. */
export function checkDelayMs(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(name, `expected a number of milliseconds from 0 to ${MAX_TIMEOUT_MS}, got ${describeValue(value)}`);
  }
  return value;
}

/**
 * The per-request options every method takes: an object (or nothing) with
 * a valid `timeoutMs`. Returns them (`{}` when absent) for the method to use.
 *
 * @example
 * const checked = checkRequestOptions(options); // throws InvalidArgumentError('options.timeoutMs', …) for -1, NaN, 3e9
 */
export function checkRequestOptions<O extends RequestOptions>(options: O | undefined): O {
  const checked = checkOptionsObject<O>('options', options);
  checkTimeoutMs('options.timeoutMs', checked.timeoutMs);
  return checked as O;
}

/** `options.window`: absent (→ `fallback`) or an integer from 1 to {@link MAX_WINDOW}. */
export function checkWindow(window: unknown, fallback = 8): number {
  return window === undefined ? fallback : checkCount('options.window', window, MAX_WINDOW);
}

/** An optional boolean option: absent (→ `false`) or a boolean. */
export function checkFlag(name: string, value: unknown): boolean {
  return value === undefined ? false : checkBoolean(name, value);
}

/** A number of boxes or tombstones: an integer from 0 to {@link MAX_COPY_STREAM_ENVELOPES}. */
export function checkEnvelopeCount(name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_COPY_STREAM_ENVELOPES) return value;
  throw new InvalidArgumentError(
    name,
    `expected an integer from 0 to ${MAX_COPY_STREAM_ENVELOPES} (what one courier copy command accepts), got ${describeValue(value)}`,
  );
}

/**
 * The numeric client options, checked when the client is made:
 * `requestTimeoutMs` and `handshakeTimeoutMs` like any `timeoutMs`,
 * `maxMixnetInFlight` an integer from 1 to 1024, `encryptionConnections`
 * an integer from 0 to {@link MAX_ENCRYPTION_CONNECTIONS}.
 */
export function checkClientOptions(options: unknown): void {
  const checked = checkOptionsObject<{ requestTimeoutMs: unknown; handshakeTimeoutMs: unknown; maxMixnetInFlight: unknown; encryptionConnections: unknown }>('options', options);
  checkTimeoutMs('options.requestTimeoutMs', checked.requestTimeoutMs);
  checkTimeoutMs('options.handshakeTimeoutMs', checked.handshakeTimeoutMs);
  if (checked.maxMixnetInFlight !== undefined) checkCount('options.maxMixnetInFlight', checked.maxMixnetInFlight, 1024);
  if (checked.encryptionConnections !== undefined && checked.encryptionConnections !== 0) {
    checkCount('options.encryptionConnections', checked.encryptionConnections, MAX_ENCRYPTION_CONNECTIONS);
  }
}

/** Most encryption connections a client opens (each is a daemon session; more than the daemon's cores gain nothing). */
export const MAX_ENCRYPTION_CONNECTIONS = 8;
