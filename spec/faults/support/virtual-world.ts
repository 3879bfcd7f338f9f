/**
 * A ThinClient on a virtual daemon (`katzenpost-rx/testing`) in the
 * TestScheduler's virtual time: the fault scenarios of the session core
 * (issue 12) run here, so they are deterministic for a seed and cannot
 * flake on a busy machine — no socket, no wall clock.
 */
import { throwError, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ThinClient, TransportError, exponentialBackoff, type ThinClientOptions } from 'katzenpost-rx';
import { createVirtualDaemon, type VirtualDaemon, type VirtualDaemonOptions } from 'katzenpost-rx/testing';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { prng } from '../../crash/support/crash-harness.js';
import { OpLedger, type LedgerReport } from './op-ledger.js';

type SimStats = ReturnType<SimulatorHandle['stats']>;

/** What a scenario works with. */
export interface World {
  readonly scheduler: TestScheduler;
  readonly daemon: VirtualDaemon;
  readonly client: ThinClient;
  /** Operations whose outcome counts (abandoned ones are not started here). */
  readonly ledger: OpLedger;
  /** A deterministic [0, 1) source for this run's choices. */
  readonly random: () => number;
  /** Runs `fn` at virtual time `ms`. */
  at(ms: number, fn: () => void): void;
  /** While false, every dial fails at once (the daemon's socket refuses connections). */
  setReachable(reachable: boolean): void;
}

/** How a run ended, measured at `probeAtMs` (before the virtual world's horizon). */
export interface WorldOutcome {
  readonly report: LedgerReport;
  /** What the scenario's own check counted as lost (see {@link runWorld}). */
  readonly lost: number;
  /** `client.pendingRequestCount`: 0 = nothing left, abandoned requests included. */
  readonly pending: number;
  /** The daemon's counters at the probe. */
  readonly stats: SimStats;
  /** Largest number of client connections blocked on a full daemon FIFO, sampled every 50 ms. */
  readonly maxBlocked: number;
  /** Largest number of duplicate ARQs (same envelope hash) at the daemon, sampled every 50 ms. */
  readonly maxDuplicates: number;
}

export interface WorldOptions {
  readonly seed: number;
  readonly daemon?: Omit<VirtualDaemonOptions, 'scheduler'>;
  readonly client?: ThinClientOptions;
  /** When to measure (virtual ms); the world ends 1 s later. */
  readonly probeAtMs: number;
  /** Errors the scenario expects of its operations (others count as unexpected). */
  readonly acceptable?: (error: unknown) => boolean;
}

/** Reconnects after 10–40 ms, through the production backoff policy. */
export const quickReconnect: ThinClientOptions = { reconnect: exponentialBackoff({ initialMs: 10, maxMs: 40, jitter: 0.5 }) };

/**
 * Runs one scenario: builds the world, lets `body` set it up (schedule its
 * operations and faults with `at`), runs virtual time to `probeAtMs`,
 * measures — `body`'s returned function counts what it finds lost — and
 * ends the world. Synchronous.
 */
export function runWorld(options: WorldOptions, body: (world: World) => (() => number) | void): WorldOutcome {
  let outcome: WorldOutcome | null = null;
  const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  scheduler.run(({ flush }) => {
    const random = prng(options.seed); // a run's choices replay from its seed
    const daemon = createVirtualDaemon({ scheduler, seed: `world-${options.seed}`, horizonMs: options.probeAtMs + 1000, ...options.daemon });
    let reachable = true;
    const base = daemon.clientOptions({ randomFraction: random, ...quickReconnect, ...options.client });
    const dial = base.socketFactory!;
    const client = new ThinClient(daemon.config, {
      ...base,
      socketFactory: (config) => (reachable ? dial(config) : (throwError(() => new TransportError('connect ECONNREFUSED (virtual)')) as Observable<never>)),
    });
    const ledger = new OpLedger(options.acceptable);
    let maxBlocked = 0;
    let maxDuplicates = 0;
    const sample = (): void => {
      const stats = daemon.stats();
      maxBlocked = Math.max(maxBlocked, stats.blockedConnections);
      maxDuplicates = Math.max(maxDuplicates, stats.duplicateArqs);
      if (scheduler.now() + 50 < options.probeAtMs) scheduler.schedule(sample, 50);
    };
    scheduler.schedule(sample, 0);
    const world: World = {
      scheduler,
      daemon,
      client,
      ledger,
      random,
      at: (ms, fn) => void scheduler.schedule(fn, Math.max(0, ms - scheduler.now())),
      setReachable: (value) => {
        reachable = value;
      },
    };
    const countLost = body(world);
    scheduler.schedule(() => {
      const lost = countLost ? countLost() : 0;
      outcome = { report: ledger.report(), lost, pending: client.pendingRequestCount, stats: daemon.stats(), maxBlocked, maxDuplicates };
      void client.close();
    }, options.probeAtMs);
    flush();
  });
  return outcome!;
}

/** Sums outcomes into the figures a scenario prints. */
export interface Tally {
  runs: number;
  ops: number;
  lost: number;
  duplicated: number;
  hung: number;
  orphaned: number;
  errors: number;
  pendingLeft: number;
  maxBlocked: number;
  maxDuplicates: number;
}

export function emptyTally(): Tally {
  return { runs: 0, ops: 0, lost: 0, duplicated: 0, hung: 0, orphaned: 0, errors: 0, pendingLeft: 0, maxBlocked: 0, maxDuplicates: 0 };
}

/**
 * Adds one run. Orphaned ARQs are every ARQ the daemon still holds once
 * the client has nothing pending — nobody will complete or cancel them —
 * plus those the simulator sees stuck (no timer, no resend) at any time.
 */
export function addRun(tally: Tally, outcome: WorldOutcome): void {
  tally.runs += 1;
  tally.ops += outcome.report.ops;
  tally.lost += outcome.lost;
  tally.duplicated += outcome.report.duplicated.length;
  tally.hung += outcome.report.hung.length;
  tally.errors += outcome.report.unacceptableErrors.length;
  tally.orphaned += outcome.pending === 0 ? outcome.stats.arqInFlight : outcome.stats.orphanedArqs;
  tally.pendingLeft += outcome.pending;
  tally.maxBlocked = Math.max(tally.maxBlocked, outcome.maxBlocked);
  tally.maxDuplicates = Math.max(tally.maxDuplicates, outcome.maxDuplicates);
}

/** The figure line of a scenario. */
export function formatTally(name: string, tally: Tally, extra = ''): string {
  return (
    `${name}: runs=${tally.runs} ops=${tally.ops} lost=${tally.lost} duplicated=${tally.duplicated} hung=${tally.hung}` +
    ` orphaned=${tally.orphaned} (unexpected errors=${tally.errors}, requests left=${tally.pendingLeft},` +
    ` max blocked daemon readers=${tally.maxBlocked}, max duplicate ARQs=${tally.maxDuplicates}${extra ? `, ${extra}` : ''})`
  );
}
