/** One printed figure: a ratio (or a measured value) against its target. */
export interface Figure {
  /** `P1`, `Peers`, `P2` … */
  readonly id: string;
  /** What was measured, e.g. `simulator, 64 in flight: SDK / raw loop`. */
  readonly what: string;
  /** The figure; null when skipped. */
  readonly value: number | null;
  /** How to print the value, e.g. `×`, ` MB`. */
  readonly unit: string;
  /** e.g. `≥ 0.9×`. */
  readonly target: string;
  /** null = not measured (skipped) or informational. */
  readonly met: boolean | null;
  /** The raw numbers behind it, or the reason it was skipped. */
  readonly raw: string;
}

/** A figure with a lower bound. */
export function atLeast(id: string, what: string, value: number, bound: number, unit: string, raw: string, digits = 2): Figure {
  return { id, what, value: round(value, digits), unit, target: `≥ ${bound.toLocaleString('en-US')}${unit}`, met: value >= bound, raw };
}

/** A figure with an upper bound (`strict`: below, not equal). */
export function atMost(id: string, what: string, value: number, bound: number, unit: string, raw: string, digits = 2, strict = false): Figure {
  return { id, what, value: round(value, digits), unit, target: `${strict ? '<' : '≤'} ${bound.toLocaleString('en-US')}${unit}`, met: strict ? value < bound : value <= bound, raw };
}

/** A figure that could not be measured, with the reason. */
export function skipped(id: string, what: string, target: string, reason: string): Figure {
  return { id, what, value: null, unit: '', target, met: null, raw: `skipped: ${reason}` };
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** `MET`, `NOT MET` or `SKIPPED`. */
export function status(figure: Figure): string {
  return figure.met === null ? 'SKIPPED' : figure.met ? 'MET' : 'NOT MET';
}

/** The value as printed: thousands separated. */
function shown(figure: Figure): string {
  return figure.value === null ? '—' : `${figure.value.toLocaleString('en-US', { maximumFractionDigits: 2 })}${figure.unit}`;
}

/** One console line per figure. */
export function formatLine(figure: Figure): string {
  const value = shown(figure);
  return `${figure.id} ${figure.what}: ${value} (target ${figure.target}) ${status(figure)} — ${figure.raw}`;
}

/** The Markdown table of RESULTS.md (`withRaw`) or of the README's Performance section (without). */
export function markdownTable(figures: readonly Figure[], withRaw = true): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const rows = figures.map(
    (f) => `| ${f.id} | ${escape(f.what)} | ${shown(f)} | ${escape(f.target)} | ${status(f)} |${withRaw ? ` ${escape(f.raw)} |` : ''}`,
  );
  const head = withRaw ? ['| Figure | Measured | Value | Target | Status | Raw numbers |', '|---|---|---|---|---|---|'] : ['| Figure | Measured | Value | Target | Status |', '|---|---|---|---|---|'];
  return [...head, ...rows].join('\n');
}
