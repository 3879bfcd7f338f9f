import { spawn } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeDaemonConfig } from '../../spec/conformance/harness/daemon-config.js';
import { findInstalledKatzenpost } from '../../testnet/install-katzenpost.js';
import { cacheDir } from './paths.js';

/** A real kpclientd started for the benchmark. */
export interface RealDaemon {
  /** `127.0.0.1:port`. */
  readonly address: string;
  /** Path of a thinclient.toml that dials it (for the peers). */
  readonly thinClientTomlPath: string;
  readonly logPath: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

export type RealDaemonStart = { readonly status: 'ready'; readonly daemon: RealDaemon } | { readonly status: 'skipped'; readonly reason: string };

/** Whether something listens on 127.0.0.1:`port`, read from /proc/net/tcp — without connecting. */
async function listening(port: number): Promise<boolean | undefined> {
  const table = await readFile('/proc/net/tcp', 'utf8').catch(() => undefined);
  if (table === undefined) return undefined;
  const needle = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  return table.split('\n').some((line) => {
    const fields = line.trim().split(/\s+/);
    return `${fields[1] ?? ''} `.endsWith(needle) && fields[3] === '0A';
  });
}

/**
 * Starts the kpclientd of the shared Katzenpost build (testnet/install-katzenpost.ts)
 * — it is not built here: that takes minutes and belongs to the conformance
 * suite and the testnet. Offline (genconfig's docker network does not resolve), which is
 * all local requests need.
 *
 * Two differences from the conformance harness's `KpclientdProcess`, both
 * so that the daemon's logging does not land in the measured process:
 * the log level is NOTICE (INFO logs a line per request), and the daemon
 * writes its log straight to a file rather than through a pipe into this
 * Node process. Readiness is therefore read from /proc/net/tcp (a LISTEN
 * socket on the port) instead of the "Listening on" log line; connecting to
 * check would cost the next client 30 s (REAL-DAEMON findings §3).
 *
 * @example
 * const started = await startRealDaemon();
 * if (started.status === 'ready') { …; await started.daemon.stop(); }
 */
export async function startRealDaemon(): Promise<RealDaemonStart> {
  const built = await findInstalledKatzenpost();
  if (!built) {
    return { status: 'skipped', reason: 'kpclientd is not built yet (the conformance suite builds it: npx jest spec/conformance, or npm run testnet -- up)' };
  }
  const { kpclientd, genconfig } = built.binaries;
  const config = await writeDaemonConfig({ genconfig, dir: cacheDir('bench', 'kpclientd'), transport: 'tcp', logLevel: 'INFO' });
  const toml = await readFile(config.clientToml, 'utf8');
  await writeFile(config.clientToml, toml.replace(/(\[Logging\][^[]*?\n\s*Level\s*=\s*)"[^"]*"/, '$1"NOTICE"'));
  if (config.listen.transport !== 'tcp') throw new Error('unreachable: TCP listener requested');
  const { port } = config.listen;
  const logPath = path.join(config.dir, 'kpclientd.log');
  const logFile = await open(logPath, 'a');
  const child = spawn(kpclientd, ['-c', config.clientToml], { stdio: ['ignore', logFile.fd, logFile.fd] });
  await logFile.close();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  child.once('error', (error) => (spawnError = error));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (spawnError) return { status: 'skipped', reason: `kpclientd could not be run: ${spawnError.message}` };
    if (child.exitCode !== null) return { status: 'skipped', reason: `kpclientd exited at start (code ${child.exitCode}); log ${logPath}` };
    const up = await listening(port);
    if (up === undefined) {
      // No /proc (not Linux): give the listener a moment instead.
      await new Promise((r) => setTimeout(r, 2000));
      break;
    }
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      return { status: 'skipped', reason: `kpclientd did not listen within 20 s; log ${logPath}` };
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const address = `127.0.0.1:${port}`;
  return { status: 'ready', daemon: { address, thinClientTomlPath: config.thinClientToml, logPath, pid: child.pid, stop } };
}
