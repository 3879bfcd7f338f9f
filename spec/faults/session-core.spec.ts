/**
 * Fault injection for the session core (issue 12): the scenarios of
 * `support/session-scenarios.ts`, each run over many seeds in virtual time
 * against the virtual daemon — give-up after failed re-dials, abandon
 * storms while the daemon is offline, same-instance resume with live ARQs,
 * disconnect() with live ARQs, legacy sends across a resume. Each prints
 * its figures; each must show lost=0 duplicated=0 hung=0 orphaned=0.
 *
 * Virtual time: no socket, no wall clock, nothing to flake on a busy
 * machine; a failing seed replays exactly (`seed N` in the message).
 */
import { printFigures } from './support/fault-env.js';
import { faultSettings } from './support/fault-settings.js';
import { describeProblems } from './support/op-ledger.js';
import { SESSION_SCENARIOS, giveUpAfterFailedRedials } from './support/session-scenarios.js';
import { addRun, emptyTally, formatTally, type WorldOutcome } from './support/virtual-world.js';

const RUNS = faultSettings.scale === 'large' ? 200 : 6;

/** What is wrong with one run, or '' (each line names the seed, to replay it). */
function problemsOf(seed: number, outcome: WorldOutcome): string {
  const lines: string[] = [];
  const report = describeProblems(outcome.report);
  if (report) lines.push(report);
  if (outcome.lost > 0) lines.push(`lost: ${outcome.lost}`);
  if (outcome.pending > 0) lines.push(`requests left in the client: ${outcome.pending}`);
  if (outcome.pending === 0 && outcome.stats.arqInFlight > 0) lines.push(`ARQs left at the daemon: ${outcome.stats.arqInFlight}`);
  if (outcome.stats.orphanedArqs > 0) lines.push(`orphaned ARQs: ${outcome.stats.orphanedArqs}`);
  if (outcome.maxBlocked > 0) lines.push('the daemon stopped reading our socket (FIFO full)');
  if (outcome.maxDuplicates > 0) lines.push(`duplicate ARQs at the daemon: ${outcome.maxDuplicates}`);
  return lines.length === 0 ? '' : `seed ${seed}: ${lines.join('; ')}`;
}

describe('fault injection: the session core, in virtual time (issue 12)', () => {
  for (const [name, run] of Object.entries(SESSION_SCENARIOS)) {
    it(
      `${name}: lost=0 duplicated=0 hung=0 orphaned=0 over ${RUNS} seeds`,
      () => {
        const tally = emptyTally();
        const problems: string[] = [];
        for (let seed = 1; seed <= RUNS; seed++) {
          const outcome = run(seed);
          addRun(tally, outcome);
          const problem = problemsOf(seed, outcome);
          if (problem) problems.push(problem);
        }
        printFigures(formatTally(name, tally));
        expect(problems.slice(0, 10).join('\n')).toBe('');
        expect(tally).toMatchObject({ lost: 0, duplicated: 0, hung: 0, orphaned: 0, errors: 0, pendingLeft: 0, maxBlocked: 0, maxDuplicates: 0 });
      },
      faultSettings.testTimeoutMs,
    );
  }

  it('give-up after failed re-dials is announced once, and every pending operation gets its ConnectionLostError', () => {
    for (let seed = 1; seed <= 4; seed++) {
      const { outcome, gaveUpEvents } = giveUpAfterFailedRedials(seed);
      expect(gaveUpEvents).toBe(1);
      expect(outcome.report.acceptableErrors + outcome.report.succeeded).toBe(outcome.report.ops);
      const after = outcome.report.records.find((r) => r.label === 'local after the give-up');
      expect(after?.error).toEqual(expect.objectContaining({ name: 'ClientClosedError' }));
    }
  });
});
