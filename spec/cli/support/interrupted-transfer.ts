/**
 * Interrupting `pigeonhole-cp` at a chosen box and resuming it — for the
 * simulator spec (spec/cli/pigeonhole-cp-integrity.spec.ts) and, pointed
 * at a real daemon's thinclient.toml, for the real-network suite: nothing
 * here depends on the simulator.
 *
 * The program runs in this process (`runPigeonholeCp`) with `--json`, so
 * the progress is read as events, and is stopped through its abort signal
 * — as Ctrl-C stops it — as soon as a progress event reports at least the
 * chosen box.
 */
import { runPigeonholeCp } from '../../../src/cli/pigeonhole-cp/run-pigeonhole-cp.js';
import type { FaultProxy } from '../../faults/support/fault-proxy.js';

/** What one run of the program printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly events: ReadonlyArray<Record<string, unknown>>;
  readonly stdout: string;
  readonly stderr: string;
}

/** Sees each JSON event as it is printed; `interrupt()` stops the program as Ctrl-C would. */
export type EventHook = (event: Record<string, unknown>, interrupt: () => void) => void;

/** An {@link EventHook} that interrupts at the first progress event whose `boxes` reaches `box`. */
export function stopAt(box: number): EventHook {
  return (event, interrupt) => {
    if (event['event'] === 'progress' && (event['boxes'] as number) >= box) interrupt();
  };
}

/**
 * Runs `pigeonhole-cp <args> --json`, showing each event to `onEvent`.
 *
 * @example
 * const stopped = await runCli(['send', file, '--key', key, '--config', toml], stopAt(900)); // code 130
 */
export async function runCli(args: readonly string[], onEvent: EventHook = () => undefined): Promise<CliRun> {
  const abort = new AbortController();
  // Stopped after the event is handled, as a signal arrives between two steps of the program.
  const interrupt = (): void => void setImmediate(() => abort.abort());
  let stdout = '';
  let stderr = '';
  const events: Array<Record<string, unknown>> = [];
  const code = await runPigeonholeCp([...args, '--json'], {
    stdout: (text) => {
      stdout += text;
      for (const line of text.split('\n').filter((l) => l.trim() !== '')) {
        const event = JSON.parse(line) as Record<string, unknown>;
        events.push(event);
        onEvent(event, interrupt);
      }
    },
    stderr: (text) => (stderr += text),
    stderrIsTTY: false,
    signal: abort.signal,
  });
  return { code, events, stdout, stderr };
}

/** Where an interrupted run stood: its `progress-stopped` event (boxes done, and where the next run continues). */
export function stoppedAt(run: CliRun): { boxes: number; totalBoxes: number; resumeAtBox: number } {
  const stopped = run.events.find((e) => e['event'] === 'progress-stopped');
  if (stopped === undefined) throw new Error(`no progress-stopped event (exit ${run.code}): ${run.stdout}${run.stderr}`);
  return { boxes: stopped['boxes'] as number, totalBoxes: stopped['totalBoxes'] as number, resumeAtBox: stopped['resumeAtBox'] as number };
}

/**
 * Counts the box operations (`start_resending_encrypted_message`: one per
 * box read or written) that go through a proxy in front of the daemon —
 * the ground truth of how many boxes a resume transferred twice.
 *
 * @example
 * const proxy = await FaultProxy.start(daemonAddress);
 * const count = countBoxOperations(proxy); … count();
 */
export function countBoxOperations(proxy: FaultProxy): () => number {
  let operations = 0;
  proxy.frames$.subscribe((frame) => {
    if (frame.direction === 'toDaemon' && frame.kind === 'start_resending_encrypted_message') operations++;
  });
  return () => operations;
}

/** The result event (`sent`, `received`, `genkey` …) of a run. */
export function resultEvent(run: CliRun, kind: string): Record<string, unknown> {
  const found = run.events.find((e) => e['event'] === kind);
  if (found === undefined) throw new Error(`no ${kind} event (exit ${run.code}): ${run.stdout}${run.stderr}`);
  return found;
}

/** A box to stop at: uniformly at random between 10 % and 90 % of the transfer. */
export function randomBox(totalBoxes: number): number {
  return Math.floor(totalBoxes * (0.1 + 0.8 * Math.random()));
}

/** The figures of one interrupted and resumed transfer. */
export interface ResumeFigures {
  readonly direction: 'send' | 'receive';
  readonly totalBoxes: number;
  /** The box chosen to stop at. */
  readonly stopAtBox: number;
  /** Boxes the interrupted run had done (written and confirmed, or read and saved) when it stopped. */
  readonly doneWhenStopped: number;
  /** Where the second run started. */
  readonly resumedAtBox: number;
  /** Box operations both runs sent to the daemon together. */
  readonly operations: number;
}

/** One line for the test output and the report. */
export function describeFigures(f: ResumeFigures): string {
  return (
    `${f.direction} ${f.totalBoxes} boxes: interrupted with ${f.doneWhenStopped} done (chosen box ${f.stopAtBox}), ` +
    `resumed at box ${f.resumedAtBox} (${f.doneWhenStopped - f.resumedAtBox} behind); ${f.operations} box operations in all, ` +
    `${f.operations - f.totalBoxes} of them repeats (a restart from box 0 would repeat ${f.doneWhenStopped} or more)`
  );
}
