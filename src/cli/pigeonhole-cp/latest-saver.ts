/**
 * Saves a value that keeps changing (a transfer's position) as often as
 * the disk allows and no more: one save at a time, and while one runs
 * only the newest value waits — intermediate ones are skipped, since each
 * save replaces the last whole. So a transfer is never slowed to one
 * fsync per box, and the saved position trails the real one by at most
 * what arrived during one save. `flush()` waits until the newest value is
 * on disk; a failed save is reported there (and by every later `flush`).
 *
 * @example
 * const saver = new LatestSaver((position) => saveKeyFile(path, { ...key, pending: { ...pending, resumeFrom: position } }));
 * progress$.subscribe((p) => saver.save(p.resumeFrom));
 * await saver.flush();
 */
export class LatestSaver<T> {
  private running: Promise<void> | null = null;
  private waiting: { readonly value: T } | null = null;
  private failure: unknown = null;
  private last: { readonly value: T } | null = null;

  constructor(private readonly write: (value: T) => Promise<void>) {}

  /** The value given to `save` last (saved once `flush` resolves). */
  get latest(): T | undefined {
    return this.last?.value;
  }

  /** Schedules `value` to be saved (replacing any value still waiting). */
  save(value: T): void {
    this.last = { value };
    this.waiting = { value };
    this.running ??= this.drain();
  }

  /** Resolves once everything given to `save` so far is saved; rejects if a save failed. */
  async flush(): Promise<void> {
    while (this.running !== null) await this.running;
    if (this.failure !== null) throw this.failure;
  }

  private async drain(): Promise<void> {
    while (this.waiting !== null) {
      const { value } = this.waiting;
      this.waiting = null;
      try {
        await this.write(value);
      } catch (error) {
        this.failure ??= error;
      }
    }
    this.running = null;
  }
}
