import { InvalidArgumentError } from '../errors/local-errors.js';

/**
 * All simulated time goes through a {@link SimClock}: the daemon model never
 * calls `setTimeout` or `Date.now` itself. Delays are given in *simulated*
 * milliseconds (the figures of DAEMON.md §8); the clock decides how long that
 * takes in real time. This keeps the time scale in one place and lets tests
 * swap in a {@link ManualSimClock} that only moves when told to.
 *
 * @example
 * const clock = new ScaledRealClock(0.001); // 1 simulated second = 1 real ms
 * clock.setTimer(30_000, () => console.log('30 simulated seconds later'));
 */
export interface SimClock {
  /** Simulated wall-clock time in ms since the Unix epoch (drives epochs and `sent_at`). */
  now(): number;
  /** Runs `fn` once after `delayMs` simulated milliseconds (negative = 0). */
  setTimer(delayMs: number, fn: () => void): SimTimer;
  /** Cancels every pending timer (used when the simulator stops). */
  dispose(): void;
}

/** A pending {@link SimClock} timer. */
export interface SimTimer {
  /** Idempotent; a timer that already ran is unaffected. */
  cancel(): void;
}

/**
 * Real timers, scaled: a simulated delay `d` waits `d × timeScale` real ms,
 * and simulated time runs `1 / timeScale` times faster than the wall clock
 * (starting at the real current time). `timeScale` 1 is real time.
 *
 * Simulated time is discrete-event time paced by the wall clock, so a late
 * event loop cannot change what happens, only when:
 * - timers fire in the order of their simulated due times: one real
 *   timeout is armed for the earliest, and when it fires every timer that
 *   is due by then runs, earliest first;
 * - inside a timer's callback `now()` is that timer's due time, so a chain
 *   of timers (a packet's hops, a send slot and the SURB retention it
 *   starts) keeps its simulated spacing however late each callback runs;
 * - outside callbacks `now()` follows the wall clock but never passes a
 *   timer that has not fired yet, and never goes back.
 * With a small `timeScale` a few ms of real jitter are seconds of simulated
 * time; reading the wall clock inside callbacks let a loaded machine push a
 * reply past its SURB's expiry (a lost reply and a hung test).
 *
 * Timers are `unref`'d: a simulator does not keep a process alive by its
 * timers alone (its listening socket does).
 *
 * @example
 * const clock = new ScaledRealClock(0.01);
 * clock.now(); // ≈ Date.now() at first, then 100× faster
 */
export class ScaledRealClock implements SimClock {
  private readonly startReal = performance.now();
  private readonly startWall: number;
  private readonly queue: ManualEntry[] = [];
  private seq = 0;
  private armed: { at: number; handle: ReturnType<typeof setTimeout> } | null = null;
  /** The due time of the timer whose callback is running, if any. */
  private firing: number | null = null;
  /** The latest time `now()` has returned (simulated time never goes back). */
  private floor = -Infinity;

  /**
   * @param timeScale real ms per simulated ms (1 = real time)
   * @param startMs simulated wall-clock time at creation, ms since the Unix epoch (default: now)
   */
  constructor(
    readonly timeScale: number,
    startMs: number = Date.now(),
  ) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new InvalidArgumentError('timeScale', 'must be a positive finite number');
    if (!Number.isFinite(startMs)) throw new InvalidArgumentError('startMs', 'must be a finite number of ms since the Unix epoch');
    this.startWall = startMs;
  }

  now(): number {
    if (this.firing !== null) return this.firing;
    this.dropCancelledHead();
    const next = this.queue[0];
    const t = Math.max(this.floor, next === undefined ? this.wallNow() : Math.min(this.wallNow(), next.at));
    this.floor = t;
    return t;
  }

  setTimer(delayMs: number, fn: () => void): SimTimer {
    const entry: ManualEntry = { at: this.now() + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    insertOrdered(this.queue, entry);
    this.arm();
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  dispose(): void {
    for (const entry of this.queue) entry.cancelled = true;
    this.queue.length = 0;
    if (this.armed) clearTimeout(this.armed.handle);
    this.armed = null;
  }

  /** Simulated time as the wall clock alone would have it. */
  private wallNow(): number {
    return this.startWall + (performance.now() - this.startReal) / this.timeScale;
  }

  private dropCancelledHead(): void {
    while (this.queue.length > 0 && this.queue[0]!.cancelled) this.queue.shift();
  }

  /** Arms one real timeout for the earliest live timer (re-arming if an earlier one arrived). */
  private arm(): void {
    this.dropCancelledHead();
    const first = this.queue[0];
    if (!first) return;
    if (this.armed && this.armed.at <= first.at) return;
    if (this.armed) clearTimeout(this.armed.handle);
    // Capped: setTimeout overflows (and then fires at once) above 2^31 − 1 ms.
    const wait = Math.min(2 ** 31 - 1, Math.max(0, (first.at - this.wallNow()) * this.timeScale));
    const handle = setTimeout(() => this.fire(), wait);
    handle.unref?.();
    this.armed = { at: first.at, handle };
  }

  private fire(): void {
    this.armed = null;
    const wall = this.wallNow();
    while (this.queue.length > 0 && this.queue[0]!.at <= wall) {
      const entry = this.queue.shift()!;
      if (entry.cancelled) continue;
      this.floor = Math.max(this.floor, entry.at);
      this.firing = entry.at;
      try {
        entry.fn();
      } finally {
        this.firing = null;
      }
    }
    this.arm();
  }
}

/** Inserts keeping (at, seq) order; timers are mostly added near the end. */
function insertOrdered(queue: ManualEntry[], entry: ManualEntry): void {
  let i = queue.length;
  while (i > 0 && (queue[i - 1]!.at > entry.at || (queue[i - 1]!.at === entry.at && queue[i - 1]!.seq > entry.seq))) i--;
  queue.splice(i, 0, entry);
}

interface ManualEntry {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only through {@link ManualSimClock.advance}: timers due
 * within the advanced span run in time order (ties in creation order), and
 * timers they create run too if they fall inside the span.
 *
 * Sockets stay real, so after `advance` a test still awaits the frames the
 * timers caused to be written.
 *
 * @example
 * const clock = new ManualSimClock();
 * const sim = await startSimulator({ clock });
 * clock.advance(1_000); // one simulated second
 */
export class ManualSimClock implements SimClock {
  private current: number;
  private seq = 0;
  private readonly queue: ManualEntry[] = [];

  constructor(startMs: number = Date.now()) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void): SimTimer {
    const entry: ManualEntry = { at: this.current + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    this.queue.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Number of timers not yet run or cancelled. */
  get pendingTimers(): number {
    return this.queue.filter((e) => !e.cancelled).length;
  }

  /** Moves time forward by `ms`, running every timer that falls due. */
  advance(ms: number): void {
    const end = this.current + Math.max(0, ms);
    for (;;) {
      const next = this.takeNext(end);
      if (!next) break;
      this.current = next.at;
      next.fn();
    }
    this.current = end;
  }

  dispose(): void {
    for (const e of this.queue) e.cancelled = true;
    this.queue.length = 0;
  }

  private takeNext(end: number): ManualEntry | undefined {
    let best = -1;
    for (let i = 0; i < this.queue.length; i++) {
      const e = this.queue[i]!;
      if (e.cancelled || e.at > end) continue;
      const b = best < 0 ? undefined : this.queue[best]!;
      if (!b || e.at < b.at || (e.at === b.at && e.seq < b.seq)) best = i;
    }
    // Drop cancelled entries as we go so the queue does not grow forever.
    if (best < 0) {
      for (let i = this.queue.length - 1; i >= 0; i--) if (this.queue[i]!.cancelled) this.queue.splice(i, 1);
      return undefined;
    }
    return this.queue.splice(best, 1)[0];
  }
}
