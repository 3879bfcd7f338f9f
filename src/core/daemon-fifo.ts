/** Capacity of the daemon's per-client queue of mixnet requests (`perClientRequestBuf`, DAEMON.md §1.7). */
export const DAEMON_FIFO_CAPACITY = 16;

/**
 * Our account of the daemon's per-client FIFO on the current connection:
 * the mixnet requests (`start_resending_*`, SURB sends) written on it that
 * have given no sign of leaving it yet.
 *
 * Why it matters: the daemon takes one request from this queue per Poisson
 * slot and, when it is full, stops reading our socket — every local request
 * behind it (`encryptWrite`, even cancels) stalls (DAEMON.md §1.7). So the
 * session never writes a mixnet request while 16 may be queued.
 *
 * What counts as a sign: the daemon answers a mixnet request only after
 * taking it from the queue (even its validation errors wait for a slot), so
 * any message correlated to an entry — a reply, a code-24 answer to our
 * cancel, a `message_sent_event` — means it has left; and since the queue
 * is served in order, so have all entries written before it. Abandoning a
 * request does not free its place: an entry leaves only on a sign. The
 * queue dies with its connection (§1.3), so each connection starts empty.
 *
 * @example
 * const fifo = new DaemonFifo<Request>();
 * if (fifo.hasRoom) fifo.push(request);
 * fifo.dispatched(request); // a reply came: it and everything before it left
 */
export class DaemonFifo<T> {
  private readonly entries: T[] = [];

  constructor(readonly capacity: number = DAEMON_FIFO_CAPACITY) {}

  /** Entries that may still be queued at the daemon. */
  get size(): number {
    return this.entries.length;
  }

  get hasRoom(): boolean {
    return this.entries.length < this.capacity;
  }

  /** A mixnet request was written. */
  push(entry: T): void {
    this.entries.push(entry);
  }

  /** Whether `entry` may still be queued. */
  has(entry: T): boolean {
    return this.entries.includes(entry);
  }

  /**
   * A sign that `entry` has left the queue: it leaves, with every entry
   * written before it. Returns those earlier entries (oldest first), which
   * have left without a sign of their own.
   */
  dispatched(entry: T): T[] {
    const at = this.entries.indexOf(entry);
    if (at < 0) return [];
    return this.entries.splice(0, at + 1).slice(0, at);
  }

  /** The connection is gone, and the daemon's queue with it: returns what was in it. */
  clear(): T[] {
    return this.entries.splice(0);
  }
}
