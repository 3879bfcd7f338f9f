import { execFile } from 'node:child_process';

/**
 * Sets the CPUs every thread of a process may run on (`taskset -a -p -c`,
 * util-linux), e.g. `'0'` or `'1-3'`. Threads it creates later inherit the
 * mask. Rejects when taskset is missing or refuses.
 *
 * @example
 * await setCpuAffinity(daemonPid, '0');
 */
export function setCpuAffinity(pid: number, cpus: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('taskset', ['-a', '-p', '-c', cpus, String(pid)], (error, _stdout, stderr) =>
      error ? reject(new Error(`taskset -a -p -c ${cpus} ${pid} failed: ${stderr.trim() || error.message}`)) : resolve(),
    );
  });
}

/** `'0-(n-1)'`-style list of CPUs `from` … `from + count - 1`. */
export function cpuRange(from: number, count: number): string {
  return count === 1 ? String(from) : `${from}-${from + count - 1}`;
}
