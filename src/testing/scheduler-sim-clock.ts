import type { SchedulerLike } from 'rxjs';
import type { SimClock, SimTimer } from '../sim/sim-clock.js';

/**
 * Drives the simulator from an RxJS scheduler — a `TestScheduler` in marble
 * tests — so the daemon's whole timeline (Poisson slots, round trips,
 * retries) runs in virtual time with the client's.
 *
 * Simulated wall time is `startMs + scheduler.now()`: the daemon derives
 * PKI epochs from it, and the scheduler's time starts at 0.
 */
export class SchedulerSimClock implements SimClock {
  private readonly timers = new Set<{ unsubscribe(): void }>();

  constructor(
    private readonly scheduler: SchedulerLike,
    private readonly startMs: number = Date.UTC(2026, 0, 1),
  ) {}

  now(): number {
    return this.startMs + this.scheduler.now();
  }

  setTimer(delayMs: number, fn: () => void): SimTimer {
    const subscription = this.scheduler.schedule(() => {
      this.timers.delete(subscription);
      fn();
    }, Math.max(0, delayMs));
    this.timers.add(subscription);
    return {
      cancel: () => {
        subscription.unsubscribe();
        this.timers.delete(subscription);
      },
    };
  }

  dispose(): void {
    for (const timer of this.timers) timer.unsubscribe();
    this.timers.clear();
  }
}
