/**
 * How every spec starts a simulator: it must say which time it runs on.
 * `spec/guards/deterministic-specs.spec.ts` keeps `startSimulator` out of
 * the other spec files.
 *
 * - `{ clock }` — a `ManualSimClock` (or another clock the spec drives):
 *   simulated time moves only when the spec advances it. The choice for any
 *   assertion about *when* something happens (expiry, ordering against a
 *   deadline, epochs).
 * - `{ realTime: 'why' }` — a scaled wall clock (`timeScale`, default
 *   0.001: a simulated second per real millisecond), for specs whose
 *   outcome does not depend on how fast real time passes. The reason is
 *   required so a reviewer can check that claim. The simulator then
 *   freezes the epoch (a scaled clock runs a 20-minute epoch in 1.2 real
 *   seconds) and keeps sessions for a simulated day (at 0.001 the default
 *   10 minutes would be 0.6 real seconds: a slow reconnect on a loaded
 *   machine would lose its session); a spec that tests those passes its own
 *   value. The clock itself keeps timer chains exact however late the event
 *   loop runs (see `ScaledRealClock`).
 *
 * @example
 * const sim = await startSpecSimulator({ clock: new ManualSimClock(), seed: 'x' });
 * const fast = await startSpecSimulator({ realTime: 'write then read; only the result is asserted', seed: 'y' });
 */
import { startSimulator, type SimClock, type SimulatorHandle, type SimulatorOptions } from 'katzenpost-rx/sim';

/** Options of {@link startSpecSimulator}: the simulator's, with the time source chosen explicitly. */
export type SpecSimulatorOptions = Omit<SimulatorOptions, 'clock'> &
  ({ readonly clock: SimClock; readonly realTime?: undefined } | { readonly realTime: string; readonly clock?: undefined });

const SIMULATED_DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The simulator options a spec's choice stands for.
 *
 * @example
 * specSimulatorOptions({ realTime: 'only results are asserted' }).autoAdvanceEpochs; // false
 */
export function specSimulatorOptions(options: SpecSimulatorOptions): SimulatorOptions {
  const { realTime, clock, ...rest } = options;
  if (clock !== undefined) return { autoAdvanceEpochs: false, ...rest, clock };
  if (typeof realTime !== 'string' || realTime.trim().length < 10) {
    throw new Error('startSpecSimulator: pass { clock } or { realTime: "<why real time cannot change the outcome>" }');
  }
  if (rest.autoAdvanceEpochs === true) {
    throw new Error('startSpecSimulator: epochs that follow a scaled wall clock race the spec; use a ManualSimClock');
  }
  return { timeScale: 0.001, sessionGracePeriodMs: SIMULATED_DAY_MS, ...rest, autoAdvanceEpochs: false };
}

/** `startSimulator` with the spec's explicit choice of time (see the file comment). */
export function startSpecSimulator(options: SpecSimulatorOptions): Promise<SimulatorHandle> {
  return startSimulator(specSimulatorOptions(options));
}


/**
 * For spec helpers that take plain simulator options: a `clock` among them
 * wins; otherwise the simulator runs on real time for `reason`.
 *
 * @example
 * startSpecSimulator(specTime({ ...base, ...options }, 'boxes are asserted, not timings'));
 */
export function specTime(options: SimulatorOptions, reason: string): SpecSimulatorOptions {
  const { clock, ...rest } = options;
  return clock !== undefined ? { ...rest, clock } : { ...rest, realTime: reason };
}
