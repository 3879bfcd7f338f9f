import { BehaviorSubject, filter, firstValueFrom, race, timer, map, type Observable } from 'rxjs';

/** How one operation ended, as its subscriber saw it. */
export interface OpRecord<T = unknown> {
  readonly label: string;
  /** `next` calls (more than one on a single-value request = duplicated). */
  nexts: number;
  /** `error` calls. */
  errors: number;
  /** `complete` calls. */
  completes: number;
  /** The first value, if any. */
  value: T | undefined;
  /** The first error, if any. */
  error: unknown;
}

/** What {@link OpLedger.settle} found. */
export interface LedgerReport<T = unknown> {
  readonly ops: number;
  /** Exactly one value, then complete. */
  readonly succeeded: number;
  /** Ended with an error the test accepts for its case. */
  readonly acceptableErrors: number;
  /** Ended with any other error. */
  readonly unacceptableErrors: OpRecord<T>[];
  /** More than one value, or more than one terminal signal. */
  readonly duplicated: OpRecord<T>[];
  /** No terminal signal by the deadline. */
  readonly hung: OpRecord<T>[];
  readonly records: readonly OpRecord<T>[];
}

/**
 * Subscribes to single-value operations and counts every signal each one
 * gives, so a test can tell "completed exactly once" from "duplicated",
 * "failed" and "hung". Settlement is observed, never guessed: `settled$`
 * counts operations that reached a terminal signal.
 *
 * @example
 * const ledger = new OpLedger<Uint8Array>((e) => e instanceof RequestTimeoutError);
 * ledger.start('write 1', client.write(cap, index, data));
 * const report = await ledger.settle(10_000);
 * expect(report.hung).toEqual([]);
 */
export class OpLedger<T = unknown> {
  private readonly records: OpRecord<T>[] = [];
  private readonly settledSubject = new BehaviorSubject(0);
  /** How many operations have ended (error or complete), updated synchronously. */
  readonly settled$: Observable<number> = this.settledSubject.asObservable();

  constructor(private readonly acceptable: (error: unknown, record: OpRecord<T>) => boolean = () => false) {}

  get size(): number {
    return this.records.length;
  }

  get settledCount(): number {
    return this.settledSubject.value;
  }

  /** Subscribes to `source` now and records what it emits. */
  start(label: string, source: Observable<T>): OpRecord<T> {
    const record: OpRecord<T> = { label, nexts: 0, errors: 0, completes: 0, value: undefined, error: undefined };
    this.records.push(record);
    const terminal = (): void => {
      // Counted once per operation, so a second terminal signal shows up only as a duplicate.
      if (record.errors + record.completes === 1) this.settledSubject.next(this.settledSubject.value + 1);
    };
    // RxJS's Subscriber drops whatever follows a terminal signal, so what can be seen
    // (and is counted) is two values before the end, or a value and then an error.
    source.subscribe({
      next: (value) => {
        record.nexts += 1;
        if (record.nexts === 1) record.value = value;
      },
      error: (error: unknown) => {
        record.errors += 1;
        if (record.errors === 1) record.error = error;
        terminal();
      },
      complete: () => {
        record.completes += 1;
        terminal();
      },
    });
    return record;
  }

  /** Resolves once at least `count` operations have ended. */
  whenSettled(count: number): Promise<void> {
    return firstValueFrom(this.settled$.pipe(filter((n) => n >= count), map(() => undefined)));
  }

  /**
   * Waits until every operation ended or `deadlineMs` passed (a failure
   * detector, not a synchronisation), then classifies them.
   */
  async settle(deadlineMs: number): Promise<LedgerReport<T>> {
    const all = this.whenSettled(this.records.length);
    await firstValueFrom(race(all, timer(deadlineMs)));
    return this.report();
  }

  /** Classifies the operations as they stand now. */
  report(): LedgerReport<T> {
    const duplicated = this.records.filter((r) => r.nexts > 1 || r.errors + r.completes > 1 || (r.nexts > 0 && r.errors > 0));
    const hung = this.records.filter((r) => r.errors + r.completes === 0);
    const failed = this.records.filter((r) => r.errors > 0 && !duplicated.includes(r));
    const unacceptableErrors = failed.filter((r) => !this.acceptable(r.error, r));
    return {
      ops: this.records.length,
      succeeded: this.records.filter((r) => r.nexts === 1 && r.completes === 1 && r.errors === 0).length,
      acceptableErrors: failed.length - unacceptableErrors.length,
      unacceptableErrors,
      duplicated,
      hung,
      records: this.records,
    };
  }
}

/** One line per problem operation, for a failure message (labels only: no secrets). */
export function describeProblems(report: LedgerReport): string {
  const lines: string[] = [];
  for (const r of report.hung) lines.push(`hung: ${r.label}`);
  for (const r of report.duplicated) lines.push(`duplicated: ${r.label} (next×${r.nexts}, error×${r.errors}, complete×${r.completes})`);
  for (const r of report.unacceptableErrors) lines.push(`error: ${r.label}: ${String(r.error)}`);
  return lines.slice(0, 40).join('\n');
}
