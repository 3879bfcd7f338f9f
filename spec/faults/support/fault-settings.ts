/**
 * The two sizes of the fault-injection suite. `npm test` runs the small
 * one (well under a minute on two cores); `npm run faults` sets
 * `KPRX_FAULTS=large` for the figures the resilience issue asks for
 * (100 restarts over 1000 operations, ≥ 100 000 fuzz cases).
 *
 * `KPRX_FUZZ_SEED` replays a fast-check run (the seed is printed on failure).
 *
 * @example
 * KPRX_FAULTS=large NODE_OPTIONS=--experimental-vm-modules npx jest spec/faults
 */
export type FaultScale = 'small' | 'large';

/** Every knob of the suite, per scale. */
export interface FaultSettings {
  readonly scale: FaultScale;
  /** Restart storm: daemon restarts/crashes/socket drops, and Pigeonhole operations in flight across them. */
  readonly storm: { readonly restarts: number; readonly ops: number };
  /** Proxy cuts at random byte offsets, and operations across them. */
  readonly cuts: { readonly cuts: number; readonly ops: number };
  /** Events pushed past a stalled subscriber. */
  readonly stall: { readonly events: number };
  /** fast-check runs per property (the fuzz specs sum them into `fuzz cases=`). */
  readonly fuzzRuns: number;
  /** Failure detector: an operation not finished by then counts as hung (real ms). */
  readonly watchdogMs: number;
  /** Jest timeout of a fault test: the watchdog plus room to report. */
  readonly testTimeoutMs: number;
}

const small: FaultSettings = {
  scale: 'small',
  storm: { restarts: 10, ops: 100 },
  cuts: { cuts: 12, ops: 48 },
  stall: { events: 300 },
  fuzzRuns: 1_000,
  // Generous: the watchdog detects hangs and must not fire on a loaded CI machine.
  watchdogMs: 60_000,
  testTimeoutMs: 120_000,
};

const large: FaultSettings = {
  scale: 'large',
  storm: { restarts: 100, ops: 1000 },
  cuts: { cuts: 100, ops: 400 },
  stall: { events: 5_000 },
  fuzzRuns: 25_000,
  watchdogMs: 240_000,
  testTimeoutMs: 300_000,
};

/** The scale chosen by `KPRX_FAULTS` (`large`, anything else = small). */
export const faultScale: FaultScale = process.env['KPRX_FAULTS'] === 'large' ? 'large' : 'small';

/** The settings of {@link faultScale}. */
export const faultSettings: FaultSettings = faultScale === 'large' ? large : small;

/** A fixed fast-check seed when `KPRX_FUZZ_SEED` is set (to replay a failure), else none. */
export const fuzzSeed: number | undefined = process.env['KPRX_FUZZ_SEED'] === undefined ? undefined : Number(process.env['KPRX_FUZZ_SEED']);
