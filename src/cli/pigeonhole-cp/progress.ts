import cliProgress from 'cli-progress';

/** Where a transfer stands. */
export interface ProgressSnapshot {
  readonly boxes: number;
  readonly totalBoxes: number;
  readonly bytes: number;
  readonly totalBytes: number;
}

/** How progress is shown: a redrawn bar (TTY), one line per update (logs, pipes), JSON lines (`--json`), or nothing. */
export type ProgressMode = 'bar' | 'lines' | 'json' | 'none';

/** Receives progress updates of one transfer. */
export interface ProgressReporter {
  update(snapshot: ProgressSnapshot): void;
  /** The final state; stops the bar. */
  done(snapshot: ProgressSnapshot): void;
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

/** Rate (bytes/s) and ETA (s, null while unknown) from the elapsed time. */
export function rateAndEta(snapshot: ProgressSnapshot, elapsedMs: number): { bytesPerSecond: number; etaSeconds: number | null } {
  const seconds = Math.max(elapsedMs, 1) / 1000;
  const bytesPerSecond = snapshot.bytes / seconds;
  const remaining = Math.max(0, snapshot.totalBytes - snapshot.bytes);
  const etaSeconds = remaining === 0 ? 0 : bytesPerSecond > 0 ? Math.ceil(remaining / bytesPerSecond) : null;
  return { bytesPerSecond, etaSeconds };
}

/**
 * One progress line, e.g. `send 40% 1355/3386 boxes 2.00 MiB/5.00 MiB 1.21 MiB/s ETA 3s`.
 *
 * @example
 * progressLine('receive', snapshot, 2500);
 */
export function progressLine(direction: string, snapshot: ProgressSnapshot, elapsedMs: number): string {
  const { bytesPerSecond, etaSeconds } = rateAndEta(snapshot, elapsedMs);
  const percent = snapshot.totalBytes === 0 ? 100 : Math.floor((snapshot.bytes / snapshot.totalBytes) * 100);
  return (
    `${direction} ${percent}% ${snapshot.boxes}/${snapshot.totalBoxes} boxes ` +
    `${formatBytes(snapshot.bytes)}/${formatBytes(snapshot.totalBytes)} ${formatBytes(Math.round(bytesPerSecond))}/s ETA ${etaSeconds === null ? '?' : `${etaSeconds}s`}`
  );
}

/**
 * A progress reporter. `lines` and `json` write when the whole percentage
 * changes or a second has passed (at most ~100 lines per transfer), and
 * always at the end; `bar` redraws a cli-progress bar (boxes, bytes, rate,
 * ETA) at most 10 times a second.
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
  const started = now();
  if (mode === 'none') return { update: () => undefined, done: () => undefined };
  if (mode === 'bar') return barReporter(direction, output, started, now);
  let lastPercent = -1;
  let lastAt = -Infinity;
  const emit = (snapshot: ProgressSnapshot, final: boolean): void => {
    const elapsed = now() - started;
    if (mode === 'json') {
      const { bytesPerSecond, etaSeconds } = rateAndEta(snapshot, elapsed);
      output.write(`${JSON.stringify({ event: final ? 'progress-done' : 'progress', direction, ...snapshot, bytesPerSecond: Math.round(bytesPerSecond), etaSeconds })}\n`);
    } else {
      output.write(`${progressLine(direction, snapshot, elapsed)}\n`);
    }
  };
  return {
    update(snapshot) {
      if (snapshot.bytes >= snapshot.totalBytes) return; // the final line comes from done()
      const percent = snapshot.totalBytes === 0 ? 100 : Math.floor((snapshot.bytes / snapshot.totalBytes) * 100);
      const at = now();
      if (percent === lastPercent && at - lastAt < 1000) return;
      lastPercent = percent;
      lastAt = at;
      emit(snapshot, false);
    },
    done(snapshot) {
      emit(snapshot, true);
    },
  };
}

function barReporter(direction: string, output: ProgressOutput, started: number, now: () => number): ProgressReporter {
  const stream = output.stream ?? ({ write: (text: string) => output.write(text), isTTY: true } as unknown as NodeJS.WritableStream);
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: `${direction} |{bar}| {percentage}% | {boxes}/{totalBoxes} boxes | {done}/{size} | {rate}/s | ETA {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let startedBar = false;
  const payload = (s: ProgressSnapshot) => ({
    boxes: s.boxes,
    totalBoxes: s.totalBoxes,
    done: formatBytes(s.bytes),
    size: formatBytes(s.totalBytes),
    rate: formatBytes(Math.round(rateAndEta(s, now() - started).bytesPerSecond)),
  });
  const show = (s: ProgressSnapshot): void => {
    if (!startedBar) {
      bar.start(Math.max(1, s.totalBytes), s.bytes, payload(s));
      startedBar = true;
    } else {
      bar.setTotal(Math.max(1, s.totalBytes));
      bar.update(s.bytes, payload(s));
    }
  };
  return {
    update: show,
    done(s) {
      show(s);
      bar.stop();
    },
  };
}
