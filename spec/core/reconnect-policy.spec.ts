/**
 * exponentialBackoff: the schedule, and its options refused where the
 * policy is made (a bad one would otherwise show only when the daemon goes
 * away, as a NaN or negative timer).
 */
import { InvalidArgumentError } from '../../src/errors/local-errors.js';
import { exponentialBackoff } from '../../src/core/reconnect-policy.js';

const middle = () => 0.5;

describe('exponentialBackoff', () => {
  it('doubles from initialMs up to maxMs, without jitter at random() = 0.5, and gives up after maxAttempts', () => {
    const policy = exponentialBackoff({ initialMs: 100, maxMs: 1000, maxAttempts: 6 });
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => policy(attempt, middle))).toEqual([100, 200, 400, 800, 1000, 1000, null]);
  });

  it('spreads each delay by ±jitter and never beyond maxMs', () => {
    const policy = exponentialBackoff({ initialMs: 1000, maxMs: 1500, jitter: 0.5 });
    expect([policy(1, () => 0), policy(1, () => 0.999999), policy(2, () => 0.999999)]).toEqual([500, 1500, 1500]);
  });

  it('defaults to the reference clients’ 1 s doubling to 60 s, never giving up', () => {
    const policy = exponentialBackoff({ jitter: 0 });
    expect([1, 2, 7, 8, 1000].map((attempt) => policy(attempt, middle))).toEqual([1000, 2000, 60_000, 60_000, 60_000]);
  });

  it('raises the default cap to an initialMs above it (an unset maxMs is not an error)', () => {
    expect(exponentialBackoff({ initialMs: 120_000, jitter: 0 })(3, middle)).toBe(120_000);
  });

  it.each([
    [{ initialMs: -1 }, 'options.initialMs'],
    [{ initialMs: Number.NaN }, 'options.initialMs'],
    [{ initialMs: '1000' }, 'options.initialMs'],
    [{ maxMs: Infinity }, 'options.maxMs'],
    [{ initialMs: 5000, maxMs: 1000 }, 'options.maxMs'],
    [{ jitter: 1.5 }, 'options.jitter'],
    [{ jitter: -0.1 }, 'options.jitter'],
    [{ jitter: Number.NaN }, 'options.jitter'],
    [{ maxAttempts: 2.5 }, 'options.maxAttempts'],
    [{ maxAttempts: -1 }, 'options.maxAttempts'],
    [{ maxAttempts: '3' }, 'options.maxAttempts'],
  ])('refuses %p with an InvalidArgumentError naming %s', (options, argument) => {
    const make = () => exponentialBackoff(options as never);
    expect(make).toThrow(InvalidArgumentError);
    expect(make).toThrow(expect.objectContaining({ argument }));
  });

  it('refuses options that are not an object', () => {
    expect(() => exponentialBackoff(null as never)).toThrow(new InvalidArgumentError('options', 'expected an object'));
  });
});
