import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { OtherRuntime } from '../../support/other-runtimes.js';
import type { CrashChildConfig, KillPoint } from './crash-protocol.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '../../..');

/**
 * Bundles crash-child.ts once into node_modules/.cache (so its package
 * imports resolve from the project) and returns the file: a bundled child
 * starts in ~0.25 s instead of ~0.6 s through tsx, which matters at
 * dozens of restarts.
 */
export function bundleCrashChild(): string {
  const out = join(root, 'node_modules', '.cache', 'katzenpost-rx-crash', 'crash-child.mjs');
  mkdirSync(dirname(out), { recursive: true });
  execFileSync(
    join(root, 'node_modules', '.bin', 'esbuild'),
    [join(here, 'crash-child.ts'), '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${out}`, '--log-level=warning'],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return out;
}

/** How a run is ended: at a durability step (the child blocks there), or as soon as the test sees the n-th line with a prefix (the child is mid-flight). */
export type Kill = ({ readonly kind: 'step' } & KillPoint) | { readonly kind: 'line'; readonly prefix: 'SENT' | 'GOT'; readonly count: number };

/** One child process run. */
export interface RunResult {
  readonly lines: string[];
  /** The child was killed (the kill point was reached). */
  readonly killed: boolean;
  readonly exitCode: number | null;
}

/**
 * Runs the child once: waits for `KILLPOINT` (or the n-th matching line)
 * and kills it with SIGKILL, or for it to finish by itself. Synchronised
 * on the child's stdout lines only — no timers.
 */
export async function runChild(bundle: string, config: CrashChildConfig, kill: Kill | undefined, runtime?: OtherRuntime): Promise<RunResult> {
  const env: NodeJS.ProcessEnv = { ...process.env, CRASH_CHILD: JSON.stringify({ ...config, ...(kill?.kind === 'step' ? { kill: { step: kill.step, occurrence: kill.occurrence } } : {}) }) };
  delete env['NODE_OPTIONS']; // jest's --experimental-vm-modules is not for the child
  const [command, args] = runtime === undefined ? [process.execPath, []] : [runtime.command, runtime.args];
  const child: ChildProcess = spawn(command, [...args, bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  let killed = false;
  let matching = 0;
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const reader = createInterface({ input: child.stdout! });
  reader.on('line', (line) => {
    lines.push(line);
    const fire =
      (line.startsWith('KILLPOINT ') && kill?.kind === 'step') ||
      (kill?.kind === 'line' && line.startsWith(`${kill.prefix} `) && ++matching === kill.count);
    if (fire && !killed) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const exitCode = await exited;
  reader.close();
  const error = lines.find((l) => l.startsWith('ERROR '));
  if (error !== undefined || (!killed && exitCode !== 0)) {
    throw new Error(`crash child failed (exit ${exitCode}): ${error ?? ''}\n${stderr}`);
  }
  return { lines, killed, exitCode };
}

/** A scenario: one child after another with these kills (one each), then one without, to completion; on `runtime`, or this process's Node. */
export async function runScenario(bundle: string, config: CrashChildConfig, kills: readonly Kill[], runtime?: OtherRuntime): Promise<{ runs: RunResult[]; share: string | null }> {
  const runs: RunResult[] = [];
  for (const kill of [...kills, undefined]) runs.push(await runChild(bundle, config, kill, runtime));
  const last = runs[runs.length - 1]!;
  if (!last.lines.includes('DONE')) throw new Error(`the final run did not finish: ${last.lines.join(' | ')}`);
  const ready = runs[0]!.lines.find((l) => l.startsWith('READY '));
  return { runs, share: ready === undefined ? null : ready.slice('READY '.length) };
}

/** `SENT`/`GOT` lines of all runs as [position, text]. */
export function reported(runs: readonly RunResult[], prefix: 'SENT' | 'GOT'): Array<[number, string]> {
  return runs.flatMap((run) =>
    run.lines
      .filter((l) => l.startsWith(`${prefix} `))
      .map((l): [number, string] => {
        const [, position, ...text] = l.split(' ');
        return [Number(position), text.join(' ')];
      }),
  );
}

/** A small deterministic PRNG (mulberry32) for the randomised kill chains. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
