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
  it('runs simulated time 1/timeScale faster than real time', async () => {
    const clock = new ScaledRealClock(0.01);
    const start = clock.now();
    const realStart = Date.now();
    await new Promise<void>((resolve) => clock.setTimer(2000, resolve));
    // 2000 simulated ms = 20 real ms.
    expect(clock.now() - start).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - realStart).toBeLessThan(1000);
    clock.dispose();
  });

  it('refuses a non-positive scale', () => {
    expect(() => new ScaledRealClock(0)).toThrow(InvalidArgumentError);
  });
});
