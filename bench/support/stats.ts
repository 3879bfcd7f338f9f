/** Median of some numbers (the figures use medians: robust to a stray slow run). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Operations per second. */
export function perSecond(count: number, ms: number): number {
  return (count / ms) * 1000;
}

/** A number for humans: thousands separated, `digits` decimals. */
export function num(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/**
 * Runs `count` operations with at most `inFlight` outstanding: `start`
 * begins one and calls `done` when it finished. Resolves the wall time in
 * ms. The same driver runs every contender (SDK, raw loop), so the
 * comparison is of the clients, not of the loops around them.
 *
 * @example
 * const ms = await runWindowed(10_000, 64, (done) => raw.request('next_message_box_index', fields, () => done()));
 */
export function runWindowed(count: number, inFlight: number, start: (done: (error?: Error) => void) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    let started = 0;
    let finished = 0;
    let failed = false;
    const began = performance.now();
    const done = (error?: Error): void => {
      if (failed) return;
      if (error) {
        failed = true;
        reject(error);
        return;
      }
      finished++;
      if (finished === count) resolve(performance.now() - began);
      else if (started < count) {
        started++;
        start(done);
      }
    };
    for (const end = Math.min(inFlight, count); started < end; ) {
      started++;
      start(done);
    }
  });
}
