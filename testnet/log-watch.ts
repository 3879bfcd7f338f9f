/**
 * Readiness from the nodes' own logs: the harness never probes a node by
 * connecting to it (kpclientd, for one, serves connections one at a time
 * and makes the next client wait for each one it accepted).
 */
import { open, stat } from 'node:fs/promises';

/** A readiness step that did not happen in time; the message names the step and shows the log's tail. */
export class ReadinessTimeoutError extends Error {
  override readonly name = 'ReadinessTimeoutError';
  constructor(
    /** The step, e.g. `consensus (dirauth auth1: "Consensus made for epoch E")`. */
    readonly step: string,
    readonly logPath: string,
    readonly waitedMs: number,
    tail: string,
    why = 'did not happen',
  ) {
    super(`testnet not ready: ${step} ${why} within ${Math.round(waitedMs / 1000)} s; log ${logPath}:\n${tail}`);
  }
}

/** Reads a growing log file from a byte offset on. */
export class LogFile {
  private offset = 0;
  private text = '';

  private constructor(readonly path: string) {}

  /** Follows `path` from its current end (`fromStart`: from its beginning). */
  static async follow(path: string, fromStart = false): Promise<LogFile> {
    const log = new LogFile(path);
    if (!fromStart) log.offset = (await stat(path).catch(() => ({ size: 0 }))).size;
    return log;
  }

  /** Everything written since we started following (reads what is new). */
  async read(): Promise<string> {
    const handle = await open(this.path, 'r').catch(() => null);
    if (!handle) return this.text;
    try {
      const { size } = await handle.stat();
      if (size > this.offset) {
        const buffer = Buffer.alloc(size - this.offset);
        const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
        this.offset += bytesRead;
        this.text += buffer.subarray(0, bytesRead).toString('utf8');
      }
    } finally {
      await handle.close();
    }
    return this.text;
  }

  /** The last `lines` lines read so far. */
  tail(lines = 8): string {
    return this.text.trimEnd().split('\n').slice(-lines).join('\n');
  }
}

/** Options of {@link waitForLog}. */
export interface WaitForLogOptions<T> {
  /** The step, for the timeout message. */
  readonly step: string;
  readonly timeoutMs: number;
  /** Finds what we wait for in the text read so far; undefined = not yet. */
  readonly find: (text: string) => T | undefined;
  /** Why waiting is pointless (e.g. the node exited), or null. Checked every poll. */
  readonly fatal?: () => string | null;
  /** Poll period; default 250 ms. */
  readonly pollMs?: number;
}

/**
 * Polls `log` until `find` returns something; throws {@link ReadinessTimeoutError}
 * naming the step on timeout or when `fatal` says so.
 *
 * @example
 * const epoch = await waitForLog(gatewayLog, { step: 'gateway has the document', timeoutMs: 180_000,
 *   find: (t) => t.match(/Document cached for current epoch (\d+)/)?.[1] });
 */
export async function waitForLog<T>(log: LogFile, options: WaitForLogOptions<T>): Promise<T> {
  const started = Date.now();
  for (;;) {
    const found = options.find(await log.read());
    if (found !== undefined) return found;
    const fatal = options.fatal?.();
    if (fatal) throw new ReadinessTimeoutError(options.step, log.path, Date.now() - started, log.tail(), `cannot happen (${fatal})`);
    if (Date.now() - started > options.timeoutMs) throw new ReadinessTimeoutError(options.step, log.path, Date.now() - started, log.tail());
    await new Promise((r) => setTimeout(r, options.pollMs ?? 250));
  }
}
