/**
 * A real Katzenpost v0.0.99 mix network on this machine, natively: two
 * directory authorities, a mix, a gateway, a service node (echo and the
 * courier), two storage replicas, and kpclientd daemons for thin clients
 * (MIXNET.md). Everything listens on 127.0.0.1, on ports chosen at run time.
 *
 * Lifecycle. `Testnet.start` generates the network into a new run
 * directory, starts every node and waits for the readiness chain — both
 * authorities make a consensus that lists every node → the gateway and the
 * service node hold the document of the current epoch → the courier runs →
 * kpclientd is connected to the gateway — failing with a
 * `ReadinessTimeoutError` that names the step that did not happen. Every
 * process is recorded (PID, binary) in `<run>/testnet.json`, so another
 * process can attach (`Testnet.attach`: the test suite, `npm run testnet --
 * down`) and stop exactly those processes.
 *
 * Epochs last one minute (`KATZENPOST_EPOCH_DURATION`, read by every
 * process): a network is usable ~2 minutes after start (the first
 * consensus needs one full epoch of descriptor uploads and voting).
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderListenTable, renderThinClientToml, replaceListenTable, setLogLevel, wsListenerAnswers, wsUrl, type ListenAddress, type ListenTransport } from './daemon-toml.js';
import type { KatzenpostBinaries } from './install-katzenpost.js';
import { LogFile, ReadinessTimeoutError, waitForLog } from './log-watch.js';
import { generateNetwork, type NodeSpec } from './network-config.js';
import { childProcesses, isRunning, killProcessesNow, spawnDetached, stopProcesses, type ProcessRecord, type StopOutcome } from './node-process.js';
import { allocatePorts } from './ports.js';

/** The name of the daemon every thin client uses unless a test starts its own. */
export const MAIN_DAEMON = 'kpclientd';

/** A kpclientd of the network, as recorded in the state file. */
export interface DaemonRecord {
  readonly name: string;
  /** Its `client.toml`. */
  readonly configPath: string;
  /** The `thinclient.toml` that dials it. */
  readonly thinClientToml: string;
  readonly listen: ListenAddress;
  /** stdout+stderr (kpclientd logs to stderr). */
  readonly outputPath: string;
}

/** What `<run>/testnet.json` holds. */
export interface TestnetState {
  readonly version: 1;
  readonly runDir: string;
  readonly networkDir: string;
  readonly epochDuration: string;
  readonly binaries: KatzenpostBinaries;
  /** Every process we started and that may still run: nodes, the courier, daemons. */
  readonly processes: readonly ProcessRecord[];
  readonly daemons: readonly DaemonRecord[];
  readonly startedAt: string;
  /** The first epoch with a complete consensus. */
  readonly firstEpoch: number | null;
  readonly readyAt: string | null;
}

/** Options of {@link Testnet.start}. */
export interface StartTestnetOptions {
  readonly binaries: KatzenpostBinaries;
  /** A new, empty directory for this run (see {@link newRunDir}). */
  readonly runDir: string;
  /** Go duration of an epoch; default `1m`. */
  readonly epochDuration?: string;
  /** Progress lines; default none. */
  readonly log?: (line: string) => void;
}

/**
 * Where testnets live: `$KPRX_TESTNET_DIR`, else `<tmpdir>/katzenpost-rx-testnet`
 * — one directory per run, `selfcheck/`, and `current` (the network `up`
 * started). Short on purpose: the courier's Unix socket lives in a run
 * directory, and a socket path has at most 107 bytes.
 */
export function testnetRoot(): string {
  const fromEnv = process.env['KPRX_TESTNET_DIR'];
  return fromEnv ? path.resolve(fromEnv) : path.join(os.tmpdir(), 'katzenpost-rx-testnet');
}

/** A run directory's name: time and PID, so that runs sort by age. */
const RUN_NAME = /^\d{8}-\d{6}-\d+$/;

/**
 * A new run directory's path under {@link testnetRoot}. Not created yet.
 *
 * @example
 * newRunDir(); // '/tmp/katzenpost-rx-testnet/20261202-001500-4711'
 */
export function newRunDir(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return path.join(testnetRoot(), `${stamp}-${process.pid}`);
}

/** Milliseconds of a Go duration made of `h`, `m`, `s`, `ms` parts. */
export function goDurationMs(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let rest = text;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) {
    total += Number(m[1]) * units[m[2]!]!;
    rest = rest.replace(m[0], '');
  }
  if (rest !== '' || total <= 0) throw new Error(`not a Go duration: ${text}`);
  return total;
}

/** The multi-line block the dirauth prints after "Consensus made", ended by the next time-stamped line. */
const CONSENSUS = /Consensus made for epoch (\d+) with \d+\/\d+ signatures:([\s\S]*?)\n(?=\d\d:\d\d:\d\d\.\d{3} )/g;

/**
 * The first epoch whose consensus (as logged by a dirauth) lists every one of `nodes`.
 *
 * @example
 * completeConsensusEpoch(authLog, ['mix1', 'gateway1', 'servicenode1', 'replica1', 'replica2']); // 4998232
 */
export function completeConsensusEpoch(text: string, nodes: readonly string[]): number | undefined {
  for (const m of text.matchAll(CONSENSUS)) {
    const block = m[2] ?? '';
    if (nodes.every((name) => new RegExp(`\\{${name} `).test(block))) return Number(m[1]);
  }
  return undefined;
}

/** The latest "Document cached for current epoch E" of a server node at or after `epoch`. */
export function currentDocumentEpoch(text: string, atLeast: number): number | undefined {
  let found: number | undefined;
  for (const m of text.matchAll(/Document cached for current epoch (\d+)/g)) if (Number(m[1]) >= atLeast) found = Number(m[1]);
  return found;
}

async function writeJsonAtomically(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(value, null, 2) + '\n');
  await rename(temp, file);
}

/**
 * A running (or stopped) testnet, backed by its state file.
 *
 * @example
 * const net = await Testnet.start({ binaries: bins, log: console.log });
 * try { const client = await ThinClient.connect(await loadConfig(net.thinClientToml())); … } finally { await net.stop(); }
 */
export class Testnet {
  private constructor(
    private state: TestnetState,
    private readonly log: (line: string) => void,
  ) {}

  /** The state file of a run directory. */
  static statePath(runDir: string): string {
    return path.join(runDir, 'testnet.json');
  }

  /** Attaches to the network of a state file (written by `start`, possibly in another process). */
  static async attach(statePath: string, log: (line: string) => void = () => {}): Promise<Testnet> {
    const state = JSON.parse(await readFile(statePath, 'utf8')) as TestnetState;
    if (state.version !== 1) throw new Error(`${statePath}: unknown testnet state version ${String(state.version)}`);
    return new Testnet(state, log);
  }

  /**
   * Generates a network in a new run directory, starts it and waits until a
   * thin client can use it. On any failure it stops what it started and
   * rethrows (the run directory, with every log, is kept).
   */
  static async start(options: StartTestnetOptions): Promise<Testnet> {
    const log = options.log ?? (() => {});
    const runDir = path.resolve(options.runDir);
    await mkdir(runDir, { recursive: true });
    const epochDuration = options.epochDuration ?? '1m';
    goDurationMs(epochDuration);
    const networkDir = path.join(runDir, 'network');
    const network = await generateNetwork({ genconfig: options.binaries.genconfig, courier: options.binaries.courier, dir: networkDir });
    log(`generated the network in ${networkDir} (ports ${[...network.ports.values()].sort((a, b) => a - b).join(', ')})`);
    const net = new Testnet(
      { version: 1, runDir, networkDir, epochDuration, binaries: options.binaries, processes: [], daemons: [], startedAt: new Date().toISOString(), firstEpoch: null, readyAt: null },
      log,
    );
    await net.save();
    try {
      await net.bringUp(network.nodes);
    } catch (error) {
      await net.stop().catch(() => undefined);
      throw error;
    }
    return net;
  }

  /** The run directory (logs: `network/<node>/katzenpost.log`, `<node>.out`, `daemons/<name>/`). */
  get runDir(): string {
    return this.state.runDir;
  }

  /** This network's state file. */
  get statePath(): string {
    return Testnet.statePath(this.state.runDir);
  }

  /** The recorded state (read-only). */
  get snapshot(): TestnetState {
    return this.state;
  }

  /** The `thinclient.toml` of a daemon (default: the main one). */
  thinClientToml(daemon = MAIN_DAEMON): string {
    return this.daemonRecord(daemon).thinClientToml;
  }

  /** One line per recorded process: running or not. */
  processStatus(): Array<{ readonly name: string; readonly pid: number; readonly running: boolean }> {
    return this.state.processes.map((p) => ({ name: p.name, pid: p.pid, running: isRunning(p) }));
  }

  /** The environment of every process: the epoch length. */
  private env(): NodeJS.ProcessEnv {
    return { ...process.env, KATZENPOST_EPOCH_DURATION: this.state.epochDuration };
  }

  private async save(): Promise<void> {
    await writeJsonAtomically(this.statePath, this.state);
  }

  /** Re-reads the state file (another process may have started or stopped daemons). */
  async refresh(): Promise<void> {
    this.state = (await Testnet.attach(this.statePath)).state;
  }

  private async record(change: (s: TestnetState) => TestnetState): Promise<void> {
    await this.refresh().catch(() => undefined);
    this.state = change(this.state);
    await this.save();
  }

  private async bringUp(nodes: readonly NodeSpec[]): Promise<void> {
    const epochMs = goDurationMs(this.state.epochDuration);
    const started = Date.now();
    await restoreSelfChecks(nodes);
    const records = new Map<string, ProcessRecord>();
    for (const node of nodes) {
      const record = await spawnDetached({
        name: node.name,
        binary: this.state.binaries[node.command],
        args: ['-f', node.configPath],
        cwd: node.dataDir,
        env: this.env(),
        outputPath: path.join(this.state.networkDir, `${node.name}.out`),
      });
      records.set(node.name, record);
      await this.record((s) => ({ ...s, processes: [...s.processes, record] }));
    }
    this.log(`started ${nodes.map((n) => n.name).join(', ')}; waiting for the first consensus (1–3 epochs of ${this.state.epochDuration})`);
    const exited = (names: readonly string[]) => () => {
      const dead = names.filter((n) => !isRunning(records.get(n)!));
      return dead.length ? `${dead.join(', ')} exited; see ${dead.map((n) => `network/${n}.out`).join(', ')}` : null;
    };
    const everyNode = nodes.map((n) => n.name);
    const listed = nodes.filter((n) => n.role !== 'dirauth').map((n) => n.name);

    // 1. Both authorities make a consensus that lists every node (a replica that
    //    missed the first descriptor window is only in a later one).
    let epoch = 0;
    for (const auth of nodes.filter((n) => n.role === 'dirauth')) {
      const found = await waitForLog(await LogFile.follow(auth.logPath, true), {
        step: `consensus listing every node (${auth.name}: "Consensus made for epoch E" with ${listed.join(', ')})`,
        timeoutMs: 6 * epochMs,
        find: (text) => completeConsensusEpoch(text, listed),
        fatal: exited(everyNode),
      });
      epoch = Math.max(epoch, found);
    }
    this.log(`consensus for epoch ${epoch} after ${Math.round((Date.now() - started) / 1000)} s`);

    // 2. The gateway (which serves kpclientd its document: earlier, kpclientd backs off
    //    for 34 s, 49 s, …) and the service node (its courier) hold that document.
    for (const node of nodes.filter((n) => n.role === 'gateway' || n.role === 'servicenode')) {
      await waitForLog(await LogFile.follow(node.logPath, true), {
        step: `${node.name} holds the document of epoch ${epoch} ("Document cached for current epoch ${epoch}")`,
        timeoutMs: 3 * epochMs,
        find: (text) => currentDocumentEpoch(text, epoch),
        fatal: exited(everyNode),
      });
    }

    // 3. The courier the service node started, recorded so it is stopped even if the service node is killed.
    const serviceNode = nodes.find((n) => n.role === 'servicenode')!;
    const courier = (await childProcesses(records.get(serviceNode.name)!.pid, 'courier'))[0];
    if (!courier) throw new ReadinessTimeoutError(`courier running (a child of ${serviceNode.name})`, path.join(serviceNode.dataDir, 'courier', 'courier.log'), Date.now() - started, '');
    await this.record((s) => ({ ...s, processes: [...s.processes, { name: 'courier', pid: courier.pid, binary: courier.binary, args: courier.args, outputPath: path.join(serviceNode.dataDir, 'courier', 'courier.log') }] }));

    await saveSelfChecks(nodes);
    // 4. The main kpclientd, connected to the gateway.
    await this.startDaemon(MAIN_DAEMON, { transport: 'tcp' });
    await this.record((s) => ({ ...s, firstEpoch: epoch, readyAt: new Date().toISOString() }));
    this.log(`ready after ${Math.round((Date.now() - started) / 1000)} s: thin clients use ${this.thinClientToml()}`);
  }

  private daemonRecord(name: string): DaemonRecord {
    const daemon = this.state.daemons.find((d) => d.name === name);
    if (!daemon) throw new Error(`no daemon "${name}" in this testnet (${this.state.daemons.map((d) => d.name).join(', ') || 'none'})`);
    return daemon;
  }

  /**
   * Configures and starts another kpclientd on this network (its own
   * listener on a free port), and waits until it is connected to the
   * gateway. Recorded in the state file, so `stop()` stops it too.
   *
   * @example
   * const ws = await net.startDaemon('browser', { transport: 'ws' });
   */
  async startDaemon(name: string, options: { transport: Exclude<ListenTransport, 'unix'> }): Promise<DaemonRecord> {
    if (this.state.daemons.some((d) => d.name === name)) throw new Error(`daemon "${name}" exists already`);
    const dir = path.join(this.state.runDir, 'daemons', name);
    await mkdir(dir, { recursive: true });
    const [port] = await allocatePorts(1);
    const listen: ListenAddress = options.transport === 'tcp' ? { transport: 'tcp', host: '127.0.0.1', port: port! } : { transport: 'ws', host: '127.0.0.1', port: port!, path: '/' };
    // genconfig's kpclientd config, its addresses already rewritten (generateNetwork's clientTomlTemplate).
    const template = await readFile(path.join(this.state.networkDir, 'client', 'client.toml'), 'utf8');
    const configPath = path.join(dir, 'client.toml');
    // Logging.File = "" (genconfig's): kpclientd logs to stderr, i.e. into outputPath.
    await writeFile(configPath, setLogLevel(replaceListenTable(template, renderListenTable(listen)), 'DEBUG'));
    const thinClientToml = path.join(dir, 'thinclient.toml');
    await writeFile(thinClientToml, renderThinClientToml(listen));
    const daemon: DaemonRecord = { name, configPath, thinClientToml, listen, outputPath: path.join(dir, 'kpclientd.out') };
    await this.record((s) => ({ ...s, daemons: [...s.daemons, daemon] }));
    await this.resumeDaemon(name);
    return daemon;
  }

  /** Starts a stopped daemon again with the same config and waits until it is connected (a new instance: no sessions). */
  async resumeDaemon(name: string): Promise<void> {
    const daemon = this.daemonRecord(name);
    if (this.state.processes.some((p) => p.name === name && isRunning(p))) throw new Error(`daemon "${name}" is running`);
    const output = await LogFile.follow(daemon.outputPath);
    const record = await spawnDetached({ name, binary: this.state.binaries.kpclientd, args: ['-c', daemon.configPath], cwd: path.dirname(daemon.configPath), env: this.env(), outputPath: daemon.outputPath });
    await this.record((s) => ({ ...s, processes: [...s.processes.filter((p) => p.name !== name), record] }));
    await waitForLog(output, {
      step: `${name} connected to the gateway ("Connected to gateway")`,
      timeoutMs: 90_000,
      find: (text) => (/Connected to gateway/.test(text) ? true : undefined),
      fatal: () => (isRunning(record) ? null : `${name} exited`),
    });
    if (daemon.listen.transport === 'ws') {
      // The WebSocket listener binds in a goroutine of its own; it answers a plain GET with 426.
      const listen = daemon.listen;
      const deadline = Date.now() + 20_000;
      while (!(await wsListenerAnswers(listen))) {
        if (Date.now() > deadline) throw new ReadinessTimeoutError(`${name} WebSocket listener answering on ${wsUrl(listen)}`, daemon.outputPath, 20_000, output.tail());
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** The PID of a running daemon, or undefined. */
  daemonPid(name = MAIN_DAEMON): number | undefined {
    const p = this.state.processes.find((r) => r.name === name);
    return p && isRunning(p) ? p.pid : undefined;
  }

  /**
   * Stops a daemon: `SIGTERM` (graceful: it tells its clients with
   * `shutdown_event`) or `SIGKILL` (a crash: connections just drop).
   */
  async stopDaemon(name: string, how: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    this.daemonRecord(name);
    const records = this.state.processes.filter((p) => p.name === name);
    if (how === 'SIGKILL') killProcessesNow(records);
    await stopProcesses(records, 15_000);
  }

  /** Stops a daemon and forgets it (its config and log stay in the run directory). */
  async removeDaemon(name: string): Promise<void> {
    await this.stopDaemon(name);
    await this.record((s) => ({ ...s, daemons: s.daemons.filter((d) => d.name !== name), processes: s.processes.filter((p) => p.name !== name) }));
  }

  /**
   * Stops every recorded process: the daemons first (their clients see a
   * graceful shutdown), then the nodes and the courier; SIGKILL for any
   * that has not exited 20 s after SIGTERM.
   */
  async stop(): Promise<StopOutcome[]> {
    await this.refresh().catch(() => undefined);
    const daemons = new Set(this.state.daemons.map((d) => d.name));
    const first = await stopProcesses(this.state.processes.filter((p) => daemons.has(p.name)), 15_000);
    const rest = await stopProcesses(this.state.processes.filter((p) => !daemons.has(p.name)), 20_000);
    return [...first, ...rest];
  }
}

/** Self-check results (`selfcheck.toml`) kept across runs, one per node name: replicas then boot in < 1 s instead of ~10 s. */
function selfCheckCache(node: NodeSpec): string {
  return path.join(testnetRoot(), 'selfcheck', `${node.name}.toml`);
}

async function restoreSelfChecks(nodes: readonly NodeSpec[]): Promise<void> {
  for (const node of nodes) await copyFile(selfCheckCache(node), path.join(node.dataDir, 'selfcheck.toml')).catch(() => undefined);
}

async function saveSelfChecks(nodes: readonly NodeSpec[]): Promise<void> {
  await mkdir(path.join(testnetRoot(), 'selfcheck'), { recursive: true });
  for (const node of nodes) await copyFile(path.join(node.dataDir, 'selfcheck.toml'), selfCheckCache(node)).catch(() => undefined);
}

/**
 * Deletes all but the newest `keep` run directories whose processes are all
 * gone (a failing run's logs stay until a few more runs have happened).
 */
export async function pruneRuns(keep: number): Promise<void> {
  const entries = (await readdir(testnetRoot()).catch(() => [] as string[])).filter((e) => RUN_NAME.test(e)).sort().reverse();
  for (const entry of entries.slice(keep)) {
    const dir = path.join(testnetRoot(), entry);
    const state = await Testnet.attach(Testnet.statePath(dir)).catch(() => null);
    if (state && state.processStatus().some((p) => p.running)) continue;
    if ((await stat(dir).catch(() => null))?.isDirectory()) await rm(dir, { recursive: true, force: true });
  }
}
