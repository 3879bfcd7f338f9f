/**
 * Fault injection 7a: the daemon is restarted (graceful), killed (crash)
 * and cut off (socket loss, session resumed) over and over while one
 * ThinClient has many Pigeonhole ARQ operations in flight — writes and
 * reads, each on its own box. Every operation must finish exactly once
 * with the right outcome, none may hang, and the replicas must end up
 * holding exactly what was written.
 *
 * Faults are triggered by progress (every ops/(restarts+1) completions,
 * once the daemon holds operations), and each waits for the client to be
 * connected again: event-driven, no sleeps. Every fourth fault is followed
 * by a second crash while the client is shaking hands with the new
 * process. A watchdog is the only clock, as a failure detector.
 */
import { ThinClient } from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { lostBoxOps, planBoxOps, startBoxOps, writesIn } from './support/box-workload.js';
import { fastReconnect, first, nextReconnect, printFigures, startFaultSim, watchdog } from './support/fault-env.js';
import { faultSettings } from './support/fault-settings.js';
import { OpLedger, describeProblems } from './support/op-ledger.js';

const { restarts, ops } = faultSettings.storm;

type Fault = 'restart' | 'kill' | 'drop';
const FAULTS: readonly Fault[] = ['restart', 'kill', 'drop'];

function inject(sim: SimulatorHandle, fault: Fault): void {
  if (fault === 'restart') sim.restart();
  else if (fault === 'kill') sim.kill();
  else sim.dropConnections();
}

/** Operations the daemon holds: waiting for a send slot, or in its ARQ. */
function atDaemon(sim: SimulatorHandle): number {
  const stats = sim.stats();
  return stats.arqInFlight + stats.pendingMixnetRequests;
}

/** Resolves once the daemon holds at least `want()` operations (a sim control, checked every macrotask turn). */
async function daemonHolds(sim: SimulatorHandle, want: () => number): Promise<void> {
  while (atDaemon(sim) < want()) await new Promise((resolve) => setImmediate(resolve));
}

describe('fault injection: daemon restarts with ARQ operations in flight', () => {
  let sim: SimulatorHandle;
  let client: ThinClient;

  beforeAll(async () => {
    sim = await startFaultSim('fault-storm');
    client = await ThinClient.connect(sim.config, fastReconnect);
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  it(
    `restarts=${restarts} ops=${ops}: every operation completes exactly once, nothing hangs, no write is lost`,
    async () => {
      const plan = await planBoxOps(client, 'storm', ops);
      const boxesBefore = sim.stats().boxes;
      const ledger = new OpLedger<Uint8Array>();
      startBoxOps(ledger, client, plan);

      const dog = watchdog(faultSettings.watchdogMs, () => `${ops - ledger.settledCount} of ${ops} operations unfinished`);
      const faults: Record<Fault, number> = { restart: 0, kill: 0, drop: 0 };
      let injected = 0;
      let heldAtFaults = 0;
      let stuck: string | null = null;
      try {
        for (let i = 1; i <= restarts; i++) {
          await Promise.race([ledger.whenSettled(Math.floor((i * ops) / (restarts + 1))), dog.promise]);
          // Strike while the daemon holds operations (queued or in its ARQ), not between batches.
          await Promise.race([daemonHolds(sim, () => Math.min(8, ops - ledger.settledCount)), dog.promise]);
          const fault = FAULTS[i % FAULTS.length]!;
          const back = nextReconnect(client);
          heldAtFaults += atDaemon(sim);
          inject(sim, fault);
          faults[fault] += 1;
          injected += 1;
          if (i % 4 === 0 && i < restarts) {
            // A second crash while the client is still shaking hands with the new process.
            await Promise.race([first(client.state$, (s) => s.daemon === 'handshaking'), dog.promise]);
            sim.kill();
            faults.kill += 1;
            injected += 1;
            i += 1;
          }
          const { state } = await Promise.race([back, dog.promise]);
          expect(state.daemon).toBe('connected');
        }
      } catch (error) {
        stuck = String(error);
      }
      const report = await ledger.settle(stuck === null ? faultSettings.watchdogMs : 0);
      dog.cancel();

      const lost = lostBoxOps(sim, plan, report);
      const extraBoxes = sim.stats().boxes - boxesBefore - writesIn(plan);
      printFigures(
        `restarts=${injected} ops=${ops} lost=${lost} duplicated=${report.duplicated.length} hung=${report.hung.length}` +
          ` errors=${report.unacceptableErrors.length} (restart=${faults.restart} kill=${faults.kill} drop=${faults.drop},` +
          ` operations at the daemon per fault=${(heldAtFaults / Math.max(1, injected)).toFixed(1)}, extra boxes=${extraBoxes})`,
      );
      expect(stuck).toBeNull();
      expect(describeProblems(report)).toBe('');
      expect(injected).toBe(restarts);
      expect(lost).toBe(0);
      expect(report.succeeded).toBe(ops);
      expect(extraBoxes).toBe(0);
      expect(client.pendingRequestCount).toBe(0);
    },
    faultSettings.testTimeoutMs,
  );
});
