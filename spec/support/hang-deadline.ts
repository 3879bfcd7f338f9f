/**
 * The one wall-clock reading spec helpers use: a deadline that only turns a
 * hang into a failure with a message. It never decides an outcome — waits
 * end on the awaited event or condition — so it is generous (a loaded CI
 * machine can be many times slower than a laptop).
 *
 * @example
 * const deadline = hangDeadline(); // 60 s
 * while (!done()) { if (deadline.expired()) throw new Error('hung'); await tick(); }
 */
export const HANG_DEADLINE_MS = 60_000;

/** A deadline `ms` of real time from now. */
export interface HangDeadline {
  /** Real ms left (≤ 0 once expired). */
  remaining(): number;
  expired(): boolean;
}

export function hangDeadline(ms: number = HANG_DEADLINE_MS): HangDeadline {
  const at = performance.now() + ms; // real-time: hang detection only, see the file comment
  const remaining = (): number => at - performance.now(); // real-time: hang detection only
  return { remaining, expired: () => remaining() <= 0 };
}
