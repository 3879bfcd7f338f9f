import cliProgress from 'cli-progress';
import { RateEstimator } from './rate-estimator.js';

/** Where a transfer stands. */
export interface ProgressSnapshot {
  readonly boxes: number;
  readonly totalBoxes: number;
  readonly bytes: number;
  readonly totalBytes: number;
}

/** A change of the daemon connection during a transfer. */
export type ConnectionNote =
  /** The socket to the daemon dropped; the client is reconnecting (attempt `attempt`). */
  | { readonly state: 'lost'; readonly attempt: number; readonly reason: string | null }
  /**
   * Connected again. `session`: `resumed` — the daemon kept our session;
   * `new` — the same daemon, but our session had expired; `restarted` —
   * another daemon process. In the last two, the client replays what was
   * in flight.
   */
  | { readonly state: 'back'; readonly session: 'resumed' | 'new' | 'restarted'; readonly downSeconds: number };

/** How progress is shown: a redrawn bar (TTY), one line per update (logs, pipes), JSON lines (`--json`), or nothing. */
export type ProgressMode = 'bar' | 'lines' | 'json' | 'none';

/** Receives progress updates of one transfer. */
export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void;
  /** The daemon connection changed: shown at once, whatever the throttling. */
  connection(note: ConnectionNote): void;
  /** The final state; stops the bar. */
  done(snapshot: ProgressSnapshot): void;
  /** The transfer stopped early (interrupted, daemon gone, error) after the last update; the next run resumes at box `resumeAtBox`. */
  stopped(resumeAtBox: number): void;
}

/** Where reporters write. */
export interface ProgressOutput {
  write(text: string): void;
  /** The terminal stream itself, for the bar (cursor movement, width). */
  readonly stream?: NodeJS.WritableStream;
}

/**
 * Human-readable bytes in binary units.
 *
 * @example
 * formatBytes(5 * 1024 * 1024); // '5.00 MiB'
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${units[unit]}`;
}

/** Seconds left at `bytesPerSecond` (null while the rate is unknown; 0 when done). */
export function etaSeconds(snapshot: ProgressSnapshot, bytesPerSecond: number | null): number | null {
  const remaining = Math.max(0, snapshot.totalBytes - snapshot.bytes);
  if (remaining === 0) return 0;
  return bytesPerSecond !== null && bytesPerSecond > 0 ? Math.ceil(remaining / bytesPerSecond) : null;
}

/**
 * One progress line, e.g. `send 40% 1355/3386 boxes 2.00 MiB/5.00 MiB 1.21 MiB/s ETA 3s`
 * (`?` while the rate is not known yet).
 *
 * @example
 * progressLine('receive', snapshot, 524_288);
 */
export function progressLine(direction: string, snapshot: ProgressSnapshot, bytesPerSecond: number | null): string {
  const eta = etaSeconds(snapshot, bytesPerSecond);
  return (
    `${direction} ${percentOf(snapshot)}% ${snapshot.boxes}/${snapshot.totalBoxes} boxes ` +
    `${formatBytes(snapshot.bytes)}/${formatBytes(snapshot.totalBytes)} ${bytesPerSecond === null ? '?' : formatBytes(Math.round(bytesPerSecond))}/s ETA ${eta === null ? '?' : `${eta}s`}`
  );
}

/** The human text of a connection change. */
export function connectionLine(direction: string, note: ConnectionNote): string {
  if (note.state === 'lost') return `${direction}: daemon lost${note.reason ? ` (${note.reason})` : ''}, reconnecting (attempt ${note.attempt})…`;
  const session = { resumed: 'session resumed', new: 'new session, operations replayed', restarted: 'the daemon restarted, operations replayed' }[note.session];
  return `${direction}: daemon back after ${note.downSeconds.toFixed(1)} s (${session}), continuing`;
}

function percentOf(snapshot: ProgressSnapshot): number {
  return snapshot.totalBytes === 0 ? 100 : Math.floor((snapshot.bytes / snapshot.totalBytes) * 100);
}

/**
 * A progress reporter. Rate and ETA come from a moving average over the
 * last boxes that leaves out the first one (see {@link RateEstimator}).
 * `lines` and `json` write when the whole percentage changes or a second
 * has passed (at most ~100 lines per transfer), and always at the end;
 * `bar` redraws a cli-progress bar (boxes, bytes, rate, ETA) at most 10
 * times a second. Connection changes are written at once in every mode.
 *
 * @example
 * const progress = createProgressReporter('lines', 'send', { write: (t) => process.stderr.write(t) });
 */
export function createProgressReporter(
  mode: ProgressMode,
  direction: 'send' | 'receive',
  output: ProgressOutput,
  now: () => number = () => performance.now(),
): ProgressReporter {
  if (mode === 'none') return { update: () => undefined, connection: () => undefined, done: () => undefined, stopped: () => undefined };
  const rate = new RateEstimator(now);
  if (mode === 'bar') return barReporter(direction, output, rate);
  let latest: ProgressSnapshot | null = null;
  let lastPercent = -1;
  let lastAt = -Infinity;
  const emit = (snapshot: ProgressSnapshot, final: boolean): void => {
    const bytesPerSecond = final ? rate.overall(snapshot.bytes) : rate.bytesPerSecond();
    if (mode === 'json') {
      const event = final ? 'progress-done' : 'progress';
      output.write(`${JSON.stringify({ event, direction, ...snapshot, bytesPerSecond: bytesPerSecond === null ? null : Math.round(bytesPerSecond), etaSeconds: etaSeconds(snapshot, bytesPerSecond) })}\n`);
    } else {
      output.write(`${progressLine(direction, snapshot, bytesPerSecond)}\n`);
    }
  };
  return {
    update(snapshot) {
      latest = snapshot;
      rate.add(snapshot.bytes);
      if (snapshot.bytes >= snapshot.totalBytes) return; // the final line comes from done()
      const percent = percentOf(snapshot);
      const at = now();
      if (percent === lastPercent && at - lastAt < 1000) return;
      lastPercent = percent;
      lastAt = at;
      emit(snapshot, false);
    },
    connection(note) {
      output.write(mode === 'json' ? `${JSON.stringify({ event: 'connection', direction, ...note })}\n` : `${connectionLine(direction, note)}\n`);
    },
    done(snapshot) {
      emit(snapshot, true);
    },
    stopped(resumeAtBox) {
      if (latest === null) return;
      output.write(mode === 'json' ? `${JSON.stringify({ event: 'progress-stopped', direction, ...latest, resumeAtBox })}\n` : `${stoppedLine(direction, latest, resumeAtBox)}\n`);
    },
  };
}

/** The human text of a transfer that stopped early. */
export function stoppedLine(direction: string, snapshot: ProgressSnapshot, resumeAtBox: number): string {
  return `${direction} stopped at ${snapshot.boxes}/${snapshot.totalBoxes} boxes; running the same command again continues at box ${resumeAtBox}`;
}

function barReporter(direction: string, output: ProgressOutput, rate: RateEstimator): ProgressReporter {
  const stream = output.stream ?? ({ write: (text: string) => output.write(text), isTTY: true } as unknown as NodeJS.WritableStream);
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${direction} |{bar}| {percentage}% | {boxes}/{totalBoxes} boxes | {done}/{size} | {rate}/s | ETA {eta}{status}`,
      hideCursor: true,
      clearOnComplete: false,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  let last: ProgressSnapshot | null = null;
  let status = '';
  const payload = (s: ProgressSnapshot, bytesPerSecond: number | null) => {
    const eta = etaSeconds(s, bytesPerSecond);
    return {
      boxes: s.boxes,
      totalBoxes: s.totalBoxes,
      done: formatBytes(s.bytes),
      size: formatBytes(s.totalBytes),
      rate: bytesPerSecond === null ? '?' : formatBytes(Math.round(bytesPerSecond)),
      eta: eta === null ? '?' : `${eta}s`,
      status,
    };
  };
  const show = (s: ProgressSnapshot, bytesPerSecond: number | null): void => {
    last = s;
    if (!startedBar) {
      bar.start(Math.max(1, s.totalBytes), s.bytes, payload(s, bytesPerSecond));
      startedBar = true;
    } else {
      bar.setTotal(Math.max(1, s.totalBytes));
      bar.update(s.bytes, payload(s, bytesPerSecond));
    }
  };
  return {
    update(s) {
      rate.add(s.bytes);
      show(s, rate.bytesPerSecond());
    },
    connection(note) {
      status = note.state === 'lost' ? ` | daemon lost, reconnecting (attempt ${note.attempt})…` : '';
      if (last !== null) show(last, rate.bytesPerSecond());
      else output.write(`${connectionLine(direction, note)}\n`);
    },
    done(s) {
      show(s, rate.overall(s.bytes));
      bar.stop();
    },
    stopped(resumeAtBox) {
      if (last === null) return;
      bar.stop();
      output.write(`${stoppedLine(direction, last, resumeAtBox)}\n`);
    },
  };
}
