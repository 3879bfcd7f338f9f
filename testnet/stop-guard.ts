/**
 * Stops a testnet when the process that owns it ends — on Ctrl-C
 * (SIGINT), SIGTERM, SIGHUP, or any other exit — by the PIDs recorded in
 * its state file. The nodes run detached (see node-process.ts), so nothing
 * else would stop them.
 */
import { readFileSync } from 'node:fs';
import { killProcessesNow } from './node-process.js';
import { Testnet, type TestnetState } from './testnet.js';

/** Removes the guard (e.g. once `up` leaves the network running on purpose). */
export type ReleaseGuard = () => void;

/**
 * Installs the handlers. On a signal: stops the network gracefully (SIGKILL
 * after the grace period), then exits with 128 + the signal number. On any
 * other exit: SIGKILL to whatever still runs (an exit hook cannot wait).
 *
 * @example
 * const release = guardTestnet(Testnet.statePath(runDir), console.error);
 * try { … } finally { await net.stop(); release(); }
 */
export function guardTestnet(statePath: string, log: (line: string) => void): ReleaseGuard {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals, code: number) => () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the testnet`);
    void Testnet.attach(statePath)
      .then((net) => net.stop())
      .catch((error: unknown) => log(`could not stop it: ${String(error)}`))
      .finally(() => process.exit(128 + code));
  };
  const handlers = [
    ['SIGINT', onSignal('SIGINT', 2)],
    ['SIGTERM', onSignal('SIGTERM', 15)],
    ['SIGHUP', onSignal('SIGHUP', 1)],
  ] as const;
  for (const [signal, handler] of handlers) process.on(signal, handler);
  // An exit hook must be synchronous: it reads the state file as it is now.
  const onExit = () => {
    try {
      killProcessesNow((JSON.parse(readFileSync(statePath, 'utf8')) as TestnetState).processes);
    } catch {
      // no state file: nothing was started
    }
  };
  process.on('exit', onExit);
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
    process.off('exit', onExit);
  };
}
