/**
 * One line about where the Go peer's goroutines were stuck, from the dump
 * Go prints on SIGQUIT: for each goroutine whose stack passes through the
 * thin client package, its state and its innermost thin-client frame.
 *
 * @example
 * summarizeGoStacks(dump); // 'eventSinkWorker [select] at thin.go:1308; 2 × StopEventSink [chan send] at thin.go:1277; …'
 */
export function summarizeGoStacks(dump: string): string {
  const counts = new Map<string, number>();
  for (const block of dump.split(/\n\n+/)) {
    const head = /^goroutine \d+ [^[]*\[([^\]]+)\]:/m.exec(block);
    if (!head) continue;
    // Innermost frame of the thin package: "thin.(*ThinClient).Name(…)" followed by its file:line.
    const frame = /thin\.\(\*ThinClient\)\.(\w+)\([^\n]*\n\s+\S*client\/thin\/(\w+\.go:\d+)/.exec(block);
    if (!frame) continue;
    const key = `${frame[1]} [${head[1]}] at ${frame[2]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  if (counts.size === 0) return 'no thin-client goroutines in the dump';
  return [...counts].sort((a, b) => b[1] - a[1]).map(([key, n]) => (n > 1 ? `${n} × ${key}` : key)).join('; ');
}
