/**
 * The processes of a testnet, started detached with their output going
 * straight to a file, and stopped by their recorded PID.
 *
 * Detached, because `npm run testnet -- up` must leave the network running
 * after it exits, and because a terminal's Ctrl-C must reach the harness
 * (which stops the nodes in order and waits for them), not race it. Output
 * goes to a file descriptor, not through a pipe into Node: a node must not
 * block or die when the process that started it goes away.
 *
 * A recorded PID is only signalled while `/proc/<pid>/cmdline` still names
 * the recorded binary, so a PID the kernel has since given to another
 * process (other jobs run on this machine) is never touched.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';

/** A started process, as written to the testnet's state file. */
export interface ProcessRecord {
  /** `auth1`, `mix1`, `courier`, `kpclientd` … */
  readonly name: string;
  readonly pid: number;
  /** The executable, as given to spawn (or as found in /proc for a plugin). */
  readonly binary: string;
  readonly args: readonly string[];
  /** Where its stdout and stderr go. */
  readonly outputPath: string;
}

/** Options of {@link spawnDetached}. */
export interface SpawnOptions {
  readonly name: string;
  readonly binary: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly outputPath: string;
}

/**
 * Starts a process in its own session, stdout+stderr appended to `outputPath`.
 * Rejects when it cannot be started at all (ENOENT, EACCES).
 *
 * @example
 * const mix = await spawnDetached({ name: 'mix1', binary: bins.server, args: ['-f', cfg], cwd, env, outputPath: `${cwd}/mix1.out` });
 */
export async function spawnDetached(options: SpawnOptions): Promise<ProcessRecord> {
  const out = await open(options.outputPath, 'a');
  try {
    await out.write(`=== ${options.name} started at ${new Date().toISOString()}: ${options.binary} ${options.args.join(' ')}\n`);
    const child = spawn(options.binary, options.args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', out.fd, out.fd],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (error) => reject(new Error(`cannot start ${options.name} (${options.binary}): ${error.message}`)));
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
    return { name: options.name, pid, binary: options.binary, args: options.args, outputPath: options.outputPath };
  } finally {
    await out.close();
  }
}

/** The argv of a live process, or null (gone, or not Linux). */
function cmdline(pid: number): string[] | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return null;
  }
}

/**
 * Whether the recorded process is still the one we started: the PID is
 * alive and runs the recorded binary (where /proc says so). A zombie (our
 * own child that exited and was not reaped yet) counts as gone.
 */
export function isRunning(record: Pick<ProcessRecord, 'pid' | 'binary'>): boolean {
  try {
    process.kill(record.pid, 0);
  } catch {
    return false;
  }
  let stat = '';
  try {
    stat = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
  } catch {
    return process.platform !== 'linux'; // no /proc: trust kill(0)
  }
  if (/^\d+ \(.*\) Z /.test(stat)) return false;
  const argv = cmdline(record.pid);
  return argv !== null && argv[0] === record.binary;
}

function signal(record: ProcessRecord, sig: NodeJS.Signals): void {
  if (!isRunning(record)) return;
  try {
    process.kill(record.pid, sig);
  } catch {
    // gone in between
  }
}

/** How one process ended when stopped. */
export interface StopOutcome {
  readonly name: string;
  readonly pid: number;
  /** `exited` after SIGTERM, `killed` with SIGKILL, `gone` = was not running. */
  readonly how: 'exited' | 'killed' | 'gone';
}

/**
 * SIGTERM to every running process, then SIGKILL to whatever still runs
 * after `graceMs`. Resolves once none of them runs.
 *
 * @example
 * await stopProcesses(state.processes, 15_000);
 */
export async function stopProcesses(records: readonly ProcessRecord[], graceMs: number): Promise<StopOutcome[]> {
  const running = new Set(records.filter(isRunning));
  for (const record of running) signal(record, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while ([...running].some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const killed = new Set([...running].filter(isRunning));
  for (const record of killed) signal(record, 'SIGKILL');
  while ([...killed].some(isRunning)) await new Promise((r) => setTimeout(r, 50));
  return records.map((r) => ({ name: r.name, pid: r.pid, how: !running.has(r) ? 'gone' : killed.has(r) ? 'killed' : 'exited' }));
}

/** SIGKILL to every recorded process still running, synchronously (for `process.on('exit')`). */
export function killProcessesNow(records: readonly ProcessRecord[]): void {
  for (const record of records) signal(record, 'SIGKILL');
}

/**
 * The running children of `parentPid` whose argv[0] ends with `/<name>`
 * (e.g. the courier the service node starts), read from /proc.
 *
 * @example
 * await childProcesses(serviceNode.pid, 'courier'); // [{ pid: 4711, binary: '/…/network/courier', args: ['-c', …] }]
 */
export async function childProcesses(parentPid: number, name: string): Promise<Array<{ pid: number; binary: string; args: string[] }>> {
  const found: Array<{ pid: number; binary: string; args: string[] }> = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid …: comm may contain spaces and parentheses, so split after the last ')'.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid !== parentPid) continue;
    const argv = cmdline(Number(entry));
    if (argv?.[0] && (argv[0] === name || argv[0].endsWith(`/${name}`))) found.push({ pid: Number(entry), binary: argv[0], args: argv.slice(1) });
  }
  return found;
}
