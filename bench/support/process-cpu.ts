import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

/**
 * CPU time (user + system, all threads) a process has used so far, in µs,
 * from /proc/<pid>/stat — for child processes (the peers, the daemons).
 * Undefined where /proc is not available. Resolution: 10 ms.
 *
 * @example
 * const before = processCpuMicros(peer.pid); …; const used = processCpuMicros(peer.pid)! - before!;
 */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return ((utime + stime) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** This process's CPU time so far (user + system, all threads), in µs. */
export function ownCpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/**
 * Time a process's threads spent runnable but waiting for a CPU, in µs,
 * summed over its live threads (/proc/<pid>/task/<tid>/schedstat, second
 * field, ns). On a machine shared with other jobs this is how long the
 * process wanted a core and did not get one — what separates its CPU time
 * on `n` cores from the wall time it could have taken. Undefined where
 * schedstat is not available.
 *
 * @example
 * const before = runQueueWaitMicros(pid); …; const waited = runQueueWaitMicros(pid)! - before!;
 */
export function runQueueWaitMicros(pid: number): number | undefined {
  try {
    let waitNs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ');
      waitNs += Number(fields[1] ?? 0);
    }
    return waitNs / 1000;
  } catch {
    return undefined;
  }
}

/**
 * CPU time every core of this machine has spent busy so far (user, nice,
 * system, irq, softirq, steal — everything but idle and iowait), summed over
 * cores, in µs, from the first line of /proc/stat. Over a transfer,
 * busy ÷ (cores × wall) says whether the machine had idle cores a client
 * could have used; busy ÷ cores is the machine's floor: no client, however
 * it schedules, finishes the same work on these cores sooner. Undefined
 * where /proc is not available.
 *
 * @example
 * const before = machineBusyMicros(); …; const busy = machineBusyMicros()! - before!;
 */
export function machineBusyMicros(): number | undefined {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number);
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}
