/**
 * Runs a real kpclientd as a child process for conformance tests.
 *
 * Readiness is NOT checked by connecting to the listener: kpclientd accepts
 * connections one at a time and spends up to 30 s on each one waiting for a
 * PKI document before it accepts the next, even when the peer has already
 * hung up (measured: a connect-and-close "port poll" delays the next real
 * client's handshake from 30 s to 60 s). Instead the harness waits for the
 * daemon's own log line `Listening on: <addr>`, printed after the listener
 * is bound (TCP, Unix). The WebSocket listener binds in a background
 * goroutine and silently ignores bind errors, so for WS the harness also
 * polls with a plain HTTP GET, which the daemon answers with 426 without
 * creating a thin-client connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { lstat, readFile, unlink } from 'node:fs/promises';
import { TransportError } from '../../../src/errors/local-errors.js';
import { wsListenerAnswers, type ListenAddress } from '../../../testnet/daemon-toml.js';

/** Options of {@link KpclientdProcess.start}. */
export interface KpclientdProcessOptions {
  /** Path of the kpclientd binary. */
  readonly binary: string;
  /** The daemon's client.toml. */
  readonly configPath: string;
  /** Where the daemon's stdout+stderr go (appended across restarts). */
  readonly logPath: string;
  /** The configured listener (from `writeDaemonConfig`). */
  readonly listen: ListenAddress;
  /** Max time from spawn to ready; default 20 000 ms. */
  readonly startTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL; default 10 000 ms (clean exits measured ≤ 3 s). */
  readonly stopTimeoutMs?: number;
}

/** How the process ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** True if SIGKILL was needed. */
  readonly killed: boolean;
}

/** Children still running when the test process exits are killed, so none leak. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}

const READY_LINE = /Listening on: (\S+)/;

/**
 * One kpclientd child process.
 *
 * @example
 * const daemon = await KpclientdProcess.start({ binary: bins.kpclientd, configPath: cfg.clientToml,
 *   logPath: `${cfg.dir}/kpclientd.log`, listen: cfg.listen });
 * try { … } finally { await daemon.stop(); }
 */
export class KpclientdProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<ExitInfo> | undefined;
  private logStream: WriteStream | undefined;
  private starts = 0;

  private constructor(private readonly options: KpclientdProcessOptions) {}

  /** Spawns the daemon and resolves once its listener is up. */
  static async start(options: KpclientdProcessOptions): Promise<KpclientdProcess> {
    const p = new KpclientdProcess(options);
    await p.spawnAndWait();
    return p;
  }

  /** PID of the running daemon, undefined when stopped. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  /** Whether the child is alive. */
  get running(): boolean {
    const c = this.child;
    return c !== undefined && c.pid !== undefined && c.exitCode === null && c.signalCode === null;
  }

  /** The listener this daemon was configured with. */
  get listen(): ListenAddress {
    return this.options.listen;
  }

  /** The whole captured log so far (all starts). */
  readLog(): Promise<string> {
    return readFile(this.options.logPath, 'utf8');
  }

  /**
   * SIGTERM, then SIGKILL after `stopTimeoutMs`. kpclientd answers SIGTERM by
   * writing `shutdown_event` to every connection and exiting 0.
   */
  async stop(): Promise<ExitInfo> {
    const child = this.child;
    const exited = this.exited;
    if (!child || !exited) return { code: null, signal: null, killed: false };
    let killed = false;
    if (this.running) {
      child.kill('SIGTERM');
      const timeout = this.options.stopTimeoutMs ?? 10_000;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        exited.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeout))),
      ]);
      clearTimeout(timer);
      if (timedOut) {
        killed = true;
        child.kill('SIGKILL');
      }
    }
    const info = await exited;
    await this.closeLog();
    this.child = undefined;
    this.exited = undefined;
    return { ...info, killed };
  }

  /** Stops and starts again with the same config: a new daemon instance (new `instance_token`, no sessions). */
  async restart(): Promise<void> {
    await this.stop();
    await this.spawnAndWait();
  }

  private closeLog(): Promise<void> {
    const s = this.logStream;
    this.logStream = undefined;
    return new Promise((r) => (s ? s.end(r) : r()));
  }

  private async spawnAndWait(): Promise<void> {
    const { binary, configPath, logPath, listen } = this.options;
    if (listen.transport === 'unix' && !listen.path.startsWith('@')) {
      // A daemon killed with SIGKILL leaves its socket file behind, and the
      // next start then fails with "bind: address already in use".
      const st = await lstat(listen.path).catch(() => undefined);
      if (st?.isSocket()) await unlink(listen.path);
    }
    this.starts++;
    const log = createWriteStream(logPath, { flags: 'a' });
    this.logStream = log;
    log.write(`=== kpclientd start #${this.starts} at ${new Date().toISOString()} ===\n`);
    const child = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    trackChild(child);
    let spawnError: Error | undefined;
    this.exited = new Promise<ExitInfo>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal, killed: false }));
      child.once('error', (err) => {
        // ENOENT/EACCES: no 'exit' follows and exitCode stays null.
        spawnError = err;
        resolve({ code: null, signal: null, killed: false });
      });
    });

    let sawReadyLine = false;
    let recent = '';
    const onData = (chunk: Buffer) => {
      log.write(chunk);
      recent = (recent + chunk.toString('utf8')).slice(-4000);
      if (!sawReadyLine && READY_LINE.test(recent)) sawReadyLine = true;
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);

    const deadline = Date.now() + (this.options.startTimeoutMs ?? 20_000);
    const fail = async (why: string): Promise<never> => {
      if (this.running) {
        child.kill('SIGKILL');
        await this.exited;
      }
      await this.closeLog();
      this.child = undefined;
      this.exited = undefined;
      const tail = recent.trim().split('\n').slice(-8).join('\n');
      throw new TransportError(`kpclientd did not become ready: ${why}; log ${logPath}:\n${tail}`);
    };
    for (;;) {
      if (spawnError) return fail(`cannot run ${binary}: ${spawnError.message}`);
      if (!this.running) {
        const info = await this.exited;
        return fail(`exited early (code ${String(info.code)}, signal ${String(info.signal)})`);
      }
      if (sawReadyLine) {
        if (listen.transport !== 'ws') return;
        if (await wsListenerAnswers(listen)) return;
      }
      if (Date.now() > deadline) return fail(`no listener after ${this.options.startTimeoutMs ?? 20_000} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
