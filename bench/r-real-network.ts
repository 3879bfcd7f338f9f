/**
 * R1–R3: benchmarks on the real Katzenpost network of testnet/ (the one
 * `npm run testnet -- up` started if it runs, else one started for the
 * run and stopped after it). Every figure is a ratio of two things
 * measured in this run on the same network.
 *
 * - R1 `readStream$` of 16 boxes (window 8) against 16 sequential `read`s
 *   of the same boxes, with kpclientd's CPU share during each: the daemon
 *   does the CTIDH work of every read (encrypt_read, MKEM decrypt) one at a
 *   time per connection, which bounds what any window can gain.
 * - R2 `write` + `read` of one box: the SDK against the Python thin client
 *   (`katzenpost_thinclient` from PyPI) doing the same two operations,
 *   alternating, on the same daemon.
 * - R3 `pigeonhole-cp` send + receive of a 64 kB file: this project's CLI
 *   against the upstream Rust one (crates.io `katzenpost_thin_client`,
 *   feature `cli`), each as separate processes, same daemon.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ThinClient, bytesEqual, loadConfig } from 'katzenpost-rx';
import { installKatzenpost } from '../testnet/install-katzenpost.js';
import { guardTestnet } from '../testnet/stop-guard.js';
import { Testnet, newRunDir, testnetRoot } from '../testnet/testnet.js';
import { atLeast, atMost, skipped, type Figure } from './support/figure.js';
import { processCpuMicros } from './support/process-cpu.js';
import { median } from './support/stats.js';
import { repoRoot } from './support/paths.js';
import { PeerProcess } from './peers/peer-process.js';
import type { PeerInstall } from './peers/install-peers.js';

/** The R sections. */
export const REAL_NETWORK_SECTIONS = ['R1', 'R2', 'R3'] as const;
export type RealNetworkSection = (typeof REAL_NETWORK_SECTIONS)[number];

/** Options of {@link runRealNetwork}. */
export interface RealNetworkOptions {
  readonly sections: ReadonlySet<RealNetworkSection>;
  readonly quick: boolean;
  readonly python: PeerInstall;
  readonly rustPigeonholeCp: PeerInstall;
  readonly log: (line: string) => void;
  /** Skip every section with this reason (e.g. `--no-testnet`). */
  readonly skip?: string;
}

const R1_TARGET = 3;
const R2_TARGET = 1.1;
const R3_TARGET = 2;

const what = {
  R1: 'testnet: readStream$ of 16 boxes (window 8) / 16 sequential reads, wall-time speed-up',
  R2: 'testnet: write + read of one box, SDK wall time / Python thin client',
  R3: 'testnet: pigeonhole-cp send + receive of 64 kB, Rust CLI wall time / ours',
} as const;

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The figures of every requested section, skipped with `reason`. */
function allSkipped(sections: ReadonlySet<RealNetworkSection>, reason: string): Figure[] {
  const targets: Record<RealNetworkSection, string> = { R1: `≥ ${R1_TARGET}×`, R2: `≤ ${R2_TARGET}×`, R3: `≥ ${R3_TARGET}×` };
  return REAL_NETWORK_SECTIONS.filter((s) => sections.has(s)).map((s) => skipped(s, what[s], targets[s], reason));
}

/** The running `up` testnet, or a new one (stopped by `release`). */
export async function acquireTestnet(log: (line: string) => void): Promise<{ net: Testnet; release: () => Promise<void> } | { reason: string }> {
  const statePath = (await readFile(path.join(testnetRoot(), 'current'), 'utf8').catch(() => '')).trim();
  const running = statePath ? await Testnet.attach(statePath).catch(() => null) : null;
  if (running?.processStatus().every((p) => p.running)) {
    log(`R: on the running testnet ${running.runDir}`);
    return { net: running, release: async () => {} };
  }
  const built = await installKatzenpost({ log: (line) => log(`R: ${line}`) });
  if (built.status === 'skipped') return { reason: built.reason.replace(/^skipped: /, '') };
  const runDir = newRunDir();
  const unguard = guardTestnet(Testnet.statePath(runDir), log);
  try {
    const net = await Testnet.start({ binaries: built.binaries, runDir, log: (line) => log(`R: ${line}`) });
    return {
      net,
      release: async () => {
        await net.stop();
        unguard();
        await rm(runDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    unguard();
    return { reason: `the testnet did not start: ${error instanceof Error ? error.message.split('\n')[0] : String(error)} (logs in ${runDir})` };
  }
}

/** CPU ms kpclientd used while `body` ran, and the wall ms. */
async function withDaemonCpu<T>(pid: number | undefined, body: () => Promise<T>): Promise<{ result: T; wallMs: number; cpuMs: number | null }> {
  const cpuBefore = pid === undefined ? undefined : processCpuMicros(pid);
  const started = performance.now();
  const result = await body();
  const wallMs = performance.now() - started;
  const cpuAfter = pid === undefined ? undefined : processCpuMicros(pid);
  return { result, wallMs, cpuMs: cpuBefore === undefined || cpuAfter === undefined ? null : (cpuAfter - cpuBefore) / 1000 };
}

const share = (cpuMs: number | null, wallMs: number) => (cpuMs === null ? 'n/a' : `${Math.round((100 * cpuMs) / wallMs)} %`);

async function r1(net: Testnet, client: ThinClient, log: (line: string) => void): Promise<Figure> {
  const boxes = 16;
  const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength;
  const payload = crypto.getRandomValues(new Uint8Array(boxes * boxSize - 4));
  const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));
  log('R1: writing 16 boxes');
  await lastValueFrom(client.writeStream$(writeCap, firstMessageIndex, payload));
  const pid = net.daemonPid();
  log('R1: readStream$, window 8');
  const windowed = await withDaemonCpu(pid, () => lastValueFrom(client.readStream$(readCap, firstMessageIndex, { window: 8 }).pipe(toArray())));
  const whole = new Uint8Array(windowed.result.reduce((n, c) => n + c.length, 0));
  windowed.result.reduce((at, c) => (whole.set(c, at), at + c.length), 0);
  if (!bytesEqual(whole, payload)) throw new Error('R1: readStream$ read back something else');
  log('R1: 16 sequential reads');
  const sequential = await withDaemonCpu(pid, async () => {
    let index = firstMessageIndex;
    for (let i = 0; i < boxes; i++) {
      await firstValueFrom(client.read(readCap, index));
      index = await firstValueFrom(client.nextMessageBoxIndex(index));
    }
  });
  const perRead = sequential.cpuMs === null ? '' : `, ${seconds(sequential.cpuMs / boxes)} of daemon CPU per read`;
  return atLeast(
    'R1',
    what.R1,
    sequential.wallMs / windowed.wallMs,
    R1_TARGET,
    '×',
    `sequential ${seconds(sequential.wallMs)} (kpclientd CPU ${share(sequential.cpuMs, sequential.wallMs)} of one core${perRead}), ` +
      `window 8 ${seconds(windowed.wallMs)} (kpclientd CPU ${share(windowed.cpuMs, windowed.wallMs)} of one core): ` +
      'kpclientd encrypts (encrypt_read) inline on the connection reader, one at a time, so a window overlaps only the network part',
  );
}

async function r2(net: Testnet, client: ThinClient, python: PeerInstall, rounds: number, log: (line: string) => void): Promise<Figure> {
  if (python.status === 'skipped') return skipped('R2', what.R2, `≤ ${R2_TARGET}×`, `Python peer: ${python.reason}`);
  const peer = PeerProcess.spawn('Python', python.command, [...python.args, net.thinClientToml()]);
  try {
    await peer.ready(120_000);
    const sdk: number[] = [];
    const py: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const plaintext = crypto.getRandomValues(new Uint8Array(1000));
      const started = performance.now();
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));
      await firstValueFrom(client.write(writeCap, firstMessageIndex, plaintext));
      const back = await firstValueFrom(client.read(readCap, firstMessageIndex));
      sdk.push(performance.now() - started);
      if (!bytesEqual(back, plaintext)) throw new Error('R2: the SDK read back something else');
      py.push(await peer.pigeonholeRoundTrip(1000, 300_000));
      log(`R2: round ${round + 1}/${rounds}: SDK ${seconds(sdk[round]!)}, Python ${seconds(py[round]!)}`);
    }
    const ratio = median(sdk) / median(py);
    return atMost('R2', what.R2, ratio, R2_TARGET, '×', `medians of ${rounds} alternating rounds: SDK ${seconds(median(sdk))}, Python (${python.version}) ${seconds(median(py))}; all SDK ${sdk.map(seconds).join(', ')}; all Python ${py.map(seconds).join(', ')}`);
  } finally {
    await peer.quit();
  }
}

/** Runs a command, resolves its wall ms; rejects with its output's tail on failure. */
export function timedRun(command: string, args: readonly string[], cwd: string): Promise<{ ms: number; output: string }> {
  const started = performance.now();
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve({ ms: performance.now() - started, output }) : reject(new Error(`${path.basename(command)} ${args[0] ?? ''} exited ${String(code)}: ${output.trim().split('\n').slice(-3).join(' | ')}`)),
    );
  });
}

async function r3(net: Testnet, rust: PeerInstall, sizeBytes: number, log: (line: string) => void): Promise<Figure> {
  if (rust.status === 'skipped') return skipped('R3', what.R3, `≥ ${R3_TARGET}×`, `Rust pigeonhole-cp: ${rust.reason}`);
  const work = await mkdtemp(path.join(os.tmpdir(), 'kprx-bench-r3-'));
  try {
    const toml = net.thinClientToml();
    const content = crypto.getRandomValues(new Uint8Array(sizeBytes));
    await writeFile(path.join(work, 'file.bin'), content);
    // Ours: the packed CLI as users run it (dist/, compiled by `npm run bench`).
    const ours = path.join(repoRoot(), 'dist', 'cli', 'pigeonhole-cp.js');
    const node = (args: string[]) => timedRun(process.execPath, [ours, ...args], work);
    const genkey = await node(['genkey', '--key', 'ours.key', '--config', toml]);
    const cap = genkey.output.match(/kprx1:\S+/)?.[0];
    if (!cap) throw new Error(`R3: no read capability in: ${genkey.output}`);
    log(`R3: ours: send ${sizeBytes / 1024} kB`);
    const oursSend = await node(['send', 'file.bin', '--key', 'ours.key', '--config', toml]);
    log(`R3: ours: receive`);
    await mkdir(path.join(work, 'ours-inbox'));
    const oursReceive = await node(['receive', 'ours-inbox', '--cap', cap, '--config', toml]);
    if (!bytesEqual(new Uint8Array(await readFile(path.join(work, 'ours-inbox', 'file.bin'))), content)) throw new Error('R3: our receive differs');

    // Upstream's Rust CLI: genkey prints each base64 value on the line after its title.
    const rustRun = (args: string[]) => timedRun(rust.command, [...rust.args, ...args], work);
    const keys = (await rustRun(['genkey', '--config', toml])).output;
    const field = (title: string) => keys.match(new RegExp(`^${title}[^\\n]*:\\n(\\S+)`, 'm'))?.[1];
    const readCap = field('Read Capability');
    const writeCap = field('Write Capability');
    const index = field('First Index');
    if (!writeCap || !readCap || !index) throw new Error(`R3: could not parse the Rust genkey output: ${keys}`);
    log('R3: Rust: send');
    const rustSend = await rustRun(['send', '--config', toml, '--write-cap', writeCap, '--index', index, '--file', 'file.bin']);
    log('R3: Rust: receive');
    await mkdir(path.join(work, 'rust-inbox'));
    const rustReceive = await rustRun(['receive', '--config', toml, '--read-cap', readCap, '--index', index, '--dest-dir', 'rust-inbox']);
    if (!bytesEqual(new Uint8Array(await readFile(path.join(work, 'rust-inbox', 'file.bin'))), content)) throw new Error('R3: the Rust receive differs');

    const oursMs = oursSend.ms + oursReceive.ms;
    const rustMs = rustSend.ms + rustReceive.ms;
    return atLeast(
      'R3',
      what.R3,
      rustMs / oursMs,
      R3_TARGET,
      '×',
      `ours: send ${seconds(oursSend.ms)} + receive ${seconds(oursReceive.ms)} = ${seconds(oursMs)}; ${rust.version}: send ${seconds(rustSend.ms)} + receive ${seconds(rustReceive.ms)} = ${seconds(rustMs)}`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Runs the requested R sections on one testnet; each section that fails
 * becomes a skipped figure with its error, so one does not hide the others.
 */
export async function runRealNetwork(options: RealNetworkOptions): Promise<Figure[]> {
  if (options.skip !== undefined) return allSkipped(options.sections, options.skip);
  const acquired = await acquireTestnet(options.log);
  if ('reason' in acquired) return allSkipped(options.sections, acquired.reason);
  const { net, release } = acquired;
  const figures: Figure[] = [];
  const attempt = async (section: RealNetworkSection, run: () => Promise<Figure>) => {
    if (!options.sections.has(section)) return;
    try {
      figures.push(await run());
    } catch (error) {
      figures.push(...allSkipped(new Set([section]), `failed: ${error instanceof Error ? error.message : String(error)}`));
    }
  };
  try {
    const client = await ThinClient.connect(await loadConfig(net.thinClientToml()), { requestTimeoutMs: 900_000 });
    try {
      await attempt('R1', () => r1(net, client, options.log));
      await attempt('R2', () => r2(net, client, options.python, options.quick ? 3 : 8, options.log));
    } finally {
      await client.close();
    }
    await attempt('R3', () => r3(net, options.rustPigeonholeCp, options.quick ? 16 * 1024 : 64 * 1024, options.log));
  } finally {
    await release();
  }
  return figures;
}
