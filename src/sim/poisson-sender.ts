import type { LatencyModel } from './latency-model.js';
import type { SimClock, SimTimer } from './sim-clock.js';

/**
 * The daemon's λP sender (`client/sender.go`, DAEMON.md §1.7): while
 * running, it ticks after exponential gaps and takes at most one request
 * per tick (`pick`, round-robin across clients in the daemon). It runs only
 * while the gateway link is up and after the first PKI document set the
 * rates; stopped, nothing is sent and nothing waits out a timeout.
 *
 * In fixed-latency mode there are no slots: {@link PoissonSender.kick}
 * sends everything dispatchable at once (still one at a time, in order).
 *
 * @example
 * const sender = new PoissonSender(clock, latency, () => daemon.sendOne());
 * sender.setRunning(online && hasDocument);
 */
export class PoissonSender {
  private running = false;
  private timer: SimTimer | null = null;
  private draining = false;
  private disposed = false;

  constructor(
    private readonly clock: SimClock,
    private readonly latency: LatencyModel,
    /** Sends one request if any is waiting; returns whether it did. */
    private readonly pick: () => boolean,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  setRunning(running: boolean): void {
    if (this.disposed || running === this.running) return;
    this.running = running;
    if (!running) {
      this.timer?.cancel();
      this.timer = null;
      return;
    }
    if (this.latency.fixed) this.kick();
    else this.schedule();
  }

  /** Something became sendable: in fixed-latency mode, send it now. */
  kick(): void {
    if (!this.latency.fixed || this.draining || this.disposed) return;
    this.draining = true;
    try {
      // Bounded: each pick consumes a queued request; re-entrant kicks join this loop.
      while (this.running && !this.disposed && this.pick());
    } finally {
      this.draining = false;
    }
  }

  dispose(): void {
    this.disposed = true;
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(this.latency.slotGap(), () => {
      this.timer = null;
      if (!this.running || this.disposed) return;
      this.pick();
      this.schedule();
    });
  }
}
