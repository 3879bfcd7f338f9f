import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimulatorOptions } from 'katzenpost-rx/sim';

/** A simulator running in a child process (see `sim-child.ts` for why). */
export interface SimProcess {
  /** `host:port` it listens on. */
  readonly address: string;
  /** `thinclient.toml` text that dials it (for the peers). */
  readonly toml: string;
  readonly pid: number;
  close(): Promise<void>;
}

/**
 * Starts `startSimulator(options)` in a child Node process and resolves
 * once it listens.
 *
 * @example
 * const sim = await startSimProcess({ seed: 'bench', autoAdvanceEpochs: false });
 * const client = await ThinClient.connect({ dial: { tcp: { address: sim.address } } });
 * await sim.close();
 */
export function startSimProcess(options: SimulatorOptions): Promise<SimProcess> {
  // The compiled sibling (the benchmark runs from .cache/bench/build).
  const script = fileURLToPath(new URL('./sim-child.js', import.meta.url));
  // KPRX_BENCH_SIM_PROF=<dir>: CPU-profile the simulator too.
  const profile = process.env['KPRX_BENCH_SIM_PROF'];
  const execArgv = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  const child = fork(script, [JSON.stringify(options)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`simulator child exited early (code ${String(code)})`)));
    child.once('message', (message) => {
      const { address, toml } = message as { address: string; toml: string };
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      resolve({
        address,
        toml,
        pid: child.pid!,
        close: async () => {
          if (child.exitCode === null && child.connected) child.send('close');
          await exited;
        },
      });
    });
  });
}
