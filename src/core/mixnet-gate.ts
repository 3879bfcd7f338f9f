/**
 * Bounds how many mixnet-bound requests (`start_resending_*`, SURB sends)
 * are at the daemon at once; the rest wait here, in order.
 *
 * Why: the daemon queues a client's mixnet requests in a FIFO of 16 and
 * releases one per Poisson slot (about one a second); when the FIFO is
 * full it stops reading that client's socket, so every *local* request
 * behind it — `encryptWrite`, `nextMessageBoxIndex`, even cancels — stalls
 * too (DAEMON.md §1.7). Keeping at most 16 outstanding means the FIFO can
 * never overflow, and local requests stay instant, online or offline.
 */
export class MixnetGate {
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  /** Requests waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Requests holding a slot. */
  get active(): number {
    return this.inFlight;
  }

  /**
   * Runs `start` now if a slot is free, otherwise once one is. Returns the
   * release: call it when the request is finished or abandoned (idempotent;
   * before `start` ran it just leaves the queue).
   */
  acquire(start: () => void): () => void {
    let state: 'waiting' | 'running' | 'released' = 'waiting';
    const run = () => {
      state = 'running';
      this.inFlight++;
      start();
    };
    if (this.inFlight < this.limit) run();
    else this.waiting.push(run);
    return () => {
      if (state === 'released') return;
      if (state === 'waiting') {
        const at = this.waiting.indexOf(run);
        if (at >= 0) this.waiting.splice(at, 1);
      } else {
        this.inFlight--;
        this.waiting.shift()?.();
      }
      state = 'released';
    };
  }
}
