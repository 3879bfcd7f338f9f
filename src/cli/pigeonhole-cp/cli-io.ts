import type { ProgressMode, ProgressOutput } from './progress.js';

/** Where the pigeonhole-cp program reads its environment and writes. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** stderr is a terminal: progress is drawn as a bar there. */
  readonly stderrIsTTY: boolean;
  /** The terminal stream, for the bar (optional). */
  readonly stderrStream?: NodeJS.WritableStream;
  /** Aborted on SIGINT/SIGTERM: the daemon connection is closed and the command stops. */
  readonly signal?: AbortSignal;
}

/** What every command needs: output choices and the io. */
export interface CommandContext {
  readonly io: CliIo;
  readonly json: boolean;
  /** `--no-progress`. */
  readonly progress: boolean;
}

/** The progress display for this context: JSON lines on stdout, a bar on a TTY, lines on stderr otherwise. */
export function progressTarget(ctx: CommandContext): { mode: ProgressMode; output: ProgressOutput } {
  if (!ctx.progress) return { mode: 'none', output: { write: () => undefined } };
  if (ctx.json) return { mode: 'json', output: { write: ctx.io.stdout } };
  if (ctx.io.stderrIsTTY) return { mode: 'bar', output: { write: ctx.io.stderr, ...(ctx.io.stderrStream ? { stream: ctx.io.stderrStream } : {}) } };
  return { mode: 'lines', output: { write: ctx.io.stderr } };
}

/** Prints a result: a JSON line with `--json`, else the human text. */
export function printResult(ctx: CommandContext, human: string, json: Record<string, unknown>): void {
  if (ctx.json) ctx.io.stdout(`${JSON.stringify(json)}\n`);
  else ctx.io.stdout(`${human}\n`);
}
