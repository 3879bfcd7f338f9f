/**
 * Transfer rate as a moving average over the last boxes, for the ETA.
 *
 * The first sample is only a starting point, never part of a rate: the
 * first box of a transfer carries the cost of getting going (a cold
 * connection, the daemon's first round trips through the mixnet, the
 * stream's first read before any other may start) and on a real network
 * took seconds where later boxes overlap — averaging it in gave an ETA of
 * hours ("ETA 11058s") at the start of a transfer that took minutes.
 * After it, the rate is the bytes over the last `windowSamples` boxes (or
 * the last `windowMs`, whichever is shorter) divided by their time, so
 * the ETA follows the current speed rather than the history.
 *
 * @example
 * const rate = new RateEstimator(() => performance.now());
 * rate.add(bytesDone); // after each box
 * const eta = (total - bytesDone) / (rate.bytesPerSecond() ?? Infinity);
 */
export class RateEstimator {
  private readonly samples: Array<{ readonly at: number; readonly bytes: number }> = [];
  private readonly started: number;

  constructor(
    private readonly now: () => number,
    private readonly windowSamples = 64,
    private readonly windowMs = 20_000,
  ) {
    this.started = now();
  }

  /** Records that `bytes` are done by now. */
  add(bytes: number): void {
    const at = this.now();
    this.samples.push({ at, bytes });
    while (this.samples.length > this.windowSamples + 1 || (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs)) this.samples.shift();
  }

  /** Bytes per second over the recent boxes; null until two boxes have finished (the first only starts the clock). */
  bytesPerSecond(): number | null {
    if (this.samples.length < 2) return null;
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? (last.bytes - first.bytes) / seconds : null;
  }

  /** The average over the whole transfer (for the summary at the end). */
  overall(bytes: number): number {
    return bytes / (Math.max(this.now() - this.started, 1) / 1000);
  }
}
