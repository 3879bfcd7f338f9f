import { InvalidArgumentError } from '../../src/errors/local-errors.js';
import { ManualSimClock, ScaledRealClock } from '../../src/sim/index.js';

describe('ManualSimClock', () => {
  it('runs due timers in time order (ties in creation order), including ones they create', () => {
    const clock = new ManualSimClock(1000);
    const log: string[] = [];
    clock.setTimer(30, () => log.push(`c@${clock.now()}`));
    clock.setTimer(10, () => {
      log.push(`a@${clock.now()}`);
      clock.setTimer(5, () => log.push(`nested@${clock.now()}`));
    });
    clock.setTimer(10, () => log.push(`b@${clock.now()}`));
    const cancelled = clock.setTimer(20, () => log.push('cancelled'));
    cancelled.cancel();
    clock.advance(29);
    expect(log).toEqual(['a@1010', 'b@1010', 'nested@1015']);
    expect(clock.now()).toBe(1029);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1);
    expect(log).toEqual(['a@1010', 'b@1010', 'nested@1015', 'c@1030']);
  });

  it('drops every timer on dispose', () => {
    const clock = new ManualSimClock();
    let ran = false;
    clock.setTimer(1, () => (ran = true));
    clock.dispose();
    clock.advance(10);
    expect(ran).toBe(false);
  });
});

describe('ScaledRealClock', () => {
  /** Blocks the event loop for `ms` of real time: what a loaded machine does to timers. */
  const blockFor = (ms: number): void => {
    const until = performance.now() + ms; // real-time: simulates a late event loop on purpose
    while (performance.now() < until);
  };

  it('runs simulated time 1/timeScale faster than real time', async () => {
    const clock = new ScaledRealClock(0.01);
    const start = clock.now();
    const realStart = performance.now(); // real-time: a lower bound only, which load cannot break
    await new Promise<void>((resolve) => clock.setTimer(2000, resolve));
    // 2000 simulated ms = 20 real ms: never sooner (a timer cannot fire early).
    expect(clock.now() - start).toBeGreaterThanOrEqual(2000);
    expect(performance.now() - realStart).toBeGreaterThanOrEqual(19);
    clock.dispose();
  });

  it('keeps simulated spacing in timer chains however late the event loop runs', async () => {
    const clock = new ScaledRealClock(0.001); // 1 real ms = 1 simulated s
    const first = clock.now();
    const seen: number[] = [];
    await new Promise<void>((resolve) =>
      clock.setTimer(1000, () => {
        seen.push(clock.now());
        blockFor(30); // 30 simulated seconds of lateness
        seen.push(clock.now());
        clock.setTimer(500, () => {
          seen.push(clock.now());
          resolve();
        });
      }),
    );
    const due = seen[0]!;
    expect(due - first).toBeGreaterThanOrEqual(1000);
    expect(due - first).toBeLessThan(2000); // set right after `first` was read, not 30 s late
    expect(seen).toEqual([due, due, due + 500]);
    clock.dispose();
  });

  it('never lets now() pass a timer that has not fired, and never goes back', () => {
    const clock = new ScaledRealClock(0.001);
    const start = clock.now();
    const timer = clock.setTimer(5000, () => undefined);
    blockFor(20); // 20 simulated seconds: past the timer, which cannot fire while we block
    const held = clock.now();
    expect(held).toBeGreaterThanOrEqual(start + 5000);
    expect(held).toBeLessThan(start + 6000); // the timer's due time (set just after `start`), not 20 s later
    expect(clock.now()).toBe(held);
    timer.cancel();
    const after = clock.now();
    expect(after).toBeGreaterThanOrEqual(start + 5000 + 15_000 - 1); // the wall clock again
    expect(clock.now()).toBeGreaterThanOrEqual(after);
    clock.dispose();
  });

  it('refuses a non-positive scale', () => {
    expect(() => new ScaledRealClock(0)).toThrow(InvalidArgumentError);
  });
});
