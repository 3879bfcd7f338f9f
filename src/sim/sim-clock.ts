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
 * Timers are `unref`'d: a simulator does not keep a process alive by its
 * timers alone (its listening socket does).
 *
 * @example
 * const clock = new ScaledRealClock(0.01);
 * clock.now(); // ≈ Date.now() at first, then 100× faster
 */
export class ScaledRealClock implements SimClock {
  private readonly startReal = performance.now();
  private readonly startWall = Date.now();
  private readonly pending = new Set<ReturnType<typeof setTimeout>>();

  constructor(readonly timeScale: number) {
    if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw new InvalidArgumentError('timeScale', 'must be a positive finite number');
  }

  now(): number {
    return this.startWall + (performance.now() - this.startReal) / this.timeScale;
  }

  setTimer(delayMs: number, fn: () => void): SimTimer {
    const handle = setTimeout(
      () => {
        this.pending.delete(handle);
        fn();
      },
      Math.max(0, delayMs * this.timeScale),
    );
    handle.unref?.();
    this.pending.add(handle);
    return {
      cancel: () => {
        clearTimeout(handle);
        this.pending.delete(handle);
      },
    };
  }

  dispose(): void {
    for (const handle of this.pending) clearTimeout(handle);
    this.pending.clear();
  }
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
