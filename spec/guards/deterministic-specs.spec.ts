/**
 * A guard against wall-clock races in the suite (issue: `npm test` must pass
 * every time, on a loaded machine too). It reads every spec and marble file
 * and fails on the constructs that made specs race real time:
 *
 * - a simulator started directly (`startSimulator(`, `new ScaledRealClock(`)
 *   instead of through `spec/support/spec-simulator.ts`, which makes the
 *   spec choose a `ManualSimClock` or state why real time cannot change its
 *   outcome;
 * - a sleep (a Promise resolved by `setTimeout`, `firstValueFrom(timer(…))`);
 * - a reading of the wall clock (`Date.now()`, `performance.now()`);
 * - a jest timeout shorter than the default (`}, 30_000);` closing a test
 *   or hook): timeouts only detect hangs, and a loaded machine is slow.
 *
 * A line may still do one of these if it, or the line above it, carries a
 * `real-time:` comment with the reason (a deadline that only detects hangs,
 * a lower bound load cannot break, a unique file name, …).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOTS = ['spec', 'marbles'];
/** Files and folders (ending in /) allowed to use the constructs without annotations, and why. */
const EXEMPT: Readonly<Record<string, string>> = {
  'spec/support/spec-simulator.ts': 'the one place specs start simulators',
  'spec/guards/deterministic-specs.spec.ts': 'names the patterns it looks for',
  'spec/sim/sim-clock.spec.ts': 'tests the clocks themselves (lower bounds and a deliberately blocked event loop)',
  'spec/conformance/': 'a real kpclientd process runs on real time; waits end on its log lines and sockets',
  'spec/testnet/': 'a real mix network runs on real time; waits end on its log lines and events',
};
const isExempt = (rel: string): boolean => Object.keys(EXEMPT).some((key) => (key.endsWith('/') ? rel.startsWith(key) : rel === key));

const RULES: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: 'simulator started outside spec/support/spec-simulator.ts', pattern: /\bstartSimulator\(|\bcreateSimulation\(|new ScaledRealClock\(/ },
  { name: 'sleep on a real timer', pattern: /setTimeout\(\s*(resolve|res|r|done|ok)\s*[,)]|=>\s*setTimeout\(\s*(resolve|res|r|done|ok)\b|(first|last)ValueFrom\(\s*timer\(/ },
  { name: 'wall-clock reading', pattern: /\bDate\.now\(\)|\bperformance\.now\(\)/ },
];
/** A test's or hook's own timeout, on the line that closes it (marbles schedule in virtual time and are not checked). */
/** `}, 30_000);` or `}, 60_000 + RUNS * 10_000);`: the leading number is the floor of the timeout. */
const SHORT_JEST_TIMEOUT = /^\s*\}\)?, ([0-9_]+)(\s*\+[^;]*)?\);?(\s*\/\/.*)?$/;
const JEST_DEFAULT_TIMEOUT_MS = 120_000;
const isShortJestTimeout = (rel: string, line: string): boolean => {
  const match = SHORT_JEST_TIMEOUT.exec(line);
  return !rel.startsWith('marbles/') && match !== null && Number(match[1]!.replace(/_/g, '')) < JEST_DEFAULT_TIMEOUT_MS;
};

function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'fixtures' ? [] : specFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Every unannotated use of a rule's construct, as `file:line: rule`. */
function findings(): string[] {
  const out: string[] = [];
  for (const file of ROOTS.flatMap(specFiles)) {
    const rel = file.split(path.sep).join('/');
    if (isExempt(rel)) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (/^\s*(\*|\/\/)/.test(line)) return; // comments may name the constructs
      const annotated = /real-time:\s*\S/.test(line) || /real-time:\s*\S/.test(lines[i - 1] ?? '');
      if (annotated) return;
      for (const rule of RULES) if (rule.pattern.test(line)) out.push(`${rel}:${i + 1}: ${rule.name}: ${line.trim()}`);
      if (isShortJestTimeout(rel, line)) out.push(`${rel}:${i + 1}: jest timeout shorter than the default: ${line.trim()}`);
    });
  }
  return out;
}

describe('deterministic specs', () => {
  it('no spec races the wall clock without a stated reason', () => {
    expect(findings()).toEqual([]);
  });

  it('the guard sees the constructs it forbids (it can fail)', () => {
    const probe = (line: string): string[] => RULES.filter((r) => r.pattern.test(line)).map((r) => r.name);
    expect(probe('const sim = await startSimulator({ timeScale: 0.001 });')).toHaveLength(1);
    expect(probe('await new Promise((resolve) => setTimeout(resolve, 20));')).toHaveLength(1);
    expect(probe('await firstValueFrom(timer(5));')).toHaveLength(1);
    expect(probe('const epoch = Math.floor(Date.now() / 1200000);')).toHaveLength(1);
    expect(probe('const sim = await startSpecSimulator({ clock });')).toEqual([]);
    expect(isShortJestTimeout('spec/x.spec.ts', '  }, 30_000);')).toBe(true);
    expect(isShortJestTimeout('spec/x.spec.ts', '  }, 300_000);')).toBe(false);
    expect(isShortJestTimeout('spec/x.spec.ts', '  }, 60_000 + RUNS * 10_000); // why')).toBe(true);
    expect(isShortJestTimeout('marbles/x.marble.ts', '      }, 3);')).toBe(false);
  });
});
