/**
 * The cores kpclientd's CPU work runs on. Each connection's reader computes
 * its encryptions inline and the one ingress worker decrypts read replies,
 * but they are all goroutines of one process on a machine with few cores:
 * with more busy readers than cores, encryptions wait for a core. Without
 * this a simulated daemon with two client connections would encrypt on as
 * many cores as it has connections, and a client that spreads its
 * encryptions over connections would look faster than the real daemon on
 * this project's 2-core machine allows.
 *
 * A job runs to completion on the core that frees up first (no preemption):
 * Go's scheduler time-slices, but for jobs of seconds queued behind each
 * other the finishing times come out the same on average.
 *
 * @example
 * const cpu = new DaemonCpu(2);
 * cpu.schedule(0, 3000); // 3000: a free core
 * cpu.schedule(0, 3000); // 3000: the other one
 * cpu.schedule(0, 3000); // 6000: waited for a core
 */
export class DaemonCpu {
  private readonly freeAt: number[];
  private busy = 0;

  constructor(readonly cores: number) {
    this.freeAt = new Array<number>(cores).fill(0);
  }

  /** Runs a job of `costMs`, ready at `readyAt`, on the first core free: returns when it finishes. */
  schedule(readyAt: number, costMs: number): number {
    let core = 0;
    for (let i = 1; i < this.freeAt.length; i++) if (this.freeAt[i]! < this.freeAt[core]!) core = i;
    const done = Math.max(readyAt, this.freeAt[core]!) + costMs;
    this.freeAt[core] = done;
    this.busy += costMs;
    return done;
  }

  /** CPU time of every job scheduled so far, in ms (the daemon's CPU use, as /proc would show it). */
  get busyMs(): number {
    return this.busy;
  }
}
