/**
 * F1–F4: Pigeonhole against kpclientd's own floor, on the real Katzenpost
 * network of testnet/ (issue 17). Every figure is measured in this run on
 * the same network.
 *
 * The floor of a transfer is the CPU time kpclientd spent on it
 * (/proc/<pid>/stat, utime + stime, sampled before and after) divided by
 * the cores it can use: CTIDH work is the bound, not the network. Beside
 * it: how long kpclientd's threads were runnable but waiting for a core
 * (schedstat), and "kept busy" = (CPU + that wait) ÷ (cores × wall) — near
 * 100 % the daemon had work for every core all the time, so whatever
 * separates the wall time from the floor is other jobs holding the cores,
 * not the client. The whole network's CPU (every testnet process) is
 * printed too: on one machine the replicas and the courier share the
 * cores with kpclientd — each replica decrypts every envelope it is sent,
 * CTIDH as well — so the machine's own floor (all its busy CPU ÷ cores,
 * /proc/stat) is printed beside the issue's, with the same target. Each
 * transfer is also taken apart per box from the frames on the client's
 * connections (bench/support/frame-tap.ts): the daemon computing the
 * encryption, the encryption waiting behind others on its connection, the
 * SDK between an envelope and its send, the mixnet round trip.
 *
 * - F1 `pigeonhole-cp` send + receive of 64 kB: wall / floor, ≤ 1.3 — the
 *   issue's floor (kpclientd's CPU ÷ all cores, which it shares with the
 *   network), the machine's floor (all busy CPU ÷ cores), and kpclientd's
 *   floor when it runs on cores of its own ({@link onOwnCores}).
 * - F2 the same transfer by upstream's Rust `pigeonhole-cp`, `--no-copy`
 *   and default (courier copy): its wall / ours, ≥ 2.5× and ≥ 5×.
 * - F3 `writeStream` and `readStream$` of 32 boxes with encryption
 *   connections: wall / floor, ≤ 1.3, the same three floors (one
 *   connection measured beside it).
 * - F4 kpclientd CPU per idle minute of `tail$` (client-side no-retry
 *   polls, the default) against a daemon-side ARQ read of the same
 *   unwritten box (retried by the daemon until cancelled).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { lastValueFrom, toArray, type Subscription } from 'rxjs';
import { ThinClient, bytesEqual, loadConfig, type ThinClientOptions } from 'katzenpost-rx';
import type { Testnet } from '../testnet/testnet.js';
import { acquireTestnet, seconds, timedRun } from './r-real-network.js';
import { atLeast, atMost, skipped, type Figure } from './support/figure.js';
import { breakdown, FrameTap, type BoxBreakdown } from './support/frame-tap.js';
import { repoRoot } from './support/paths.js';
import { cpuRange, setCpuAffinity } from './support/cpu-affinity.js';
import { machineBusyMicros, processCpuMicros, runQueueWaitMicros } from './support/process-cpu.js';
import type { PeerInstall } from './peers/install-peers.js';

export const FLOOR_SECTIONS = ['F1', 'F2', 'F3', 'F4'] as const;
export type FloorSection = (typeof FLOOR_SECTIONS)[number];

export interface FloorOptions {
  readonly sections: ReadonlySet<FloorSection>;
  readonly quick: boolean;
  readonly rustPigeonholeCp: PeerInstall;
  readonly log: (line: string) => void;
  readonly skip?: string;
}

const F1_TARGET = 1.3;
const F2_NO_COPY_TARGET = 2.5;
const F2_COPY_TARGET = 5;
const F3_TARGET = 1.3;

/** This machine's cores (kpclientd shares them with the mixnet's nodes unless given its own). */
const CORES = Math.min(8, os.availableParallelism());
/** Every core /proc/stat counts: what the machine floor divides by. */
const MACHINE_CORES = os.cpus().length;
/** Cores kpclientd gets to itself in the "own cores" runs (the rest go to the network and the client). */
const OWN_CORES = Math.max(1, Math.floor(CORES / 2));

const load = (): string => `load ${os.loadavg()[0]!.toFixed(1)}`;

/** kpclientd's and the whole network's CPU during `body`, with the wall time. */
interface Usage<T> {
  readonly result: T;
  readonly wallMs: number;
  /** kpclientd's CPU ms. */
  readonly daemonMs: number;
  /** Every process of the testnet (nodes, replicas, courier, daemons). */
  readonly networkMs: number;
  /** The storage replicas' part of {@link networkMs} (each decrypts every envelope it is sent: CTIDH too). */
  readonly replicasMs: number;
  /** Every core of the machine busy, summed (/proc/stat): the testnet, the client, anything else running. */
  readonly machineMs: number;
  /** kpclientd's threads runnable but waiting for a core (other jobs had them), summed over threads. */
  readonly daemonWaitMs: number;
  /** Load average (1 min) at the end. */
  readonly load: string;
  /** The cores kpclientd could run on: the floor is its CPU ÷ these. */
  readonly daemonCores: number;
}

function cpuMs(pids: readonly number[]): number {
  return pids.reduce((sum, pid) => sum + (processCpuMicros(pid) ?? 0), 0) / 1000;
}

async function usage<T>(net: Testnet, body: () => Promise<T>, daemonCores = CORES): Promise<Usage<T>> {
  const daemon = net.daemonPid();
  if (daemon === undefined) throw new Error('kpclientd is not running');
  const running = net.processStatus().filter((p) => p.running);
  const all = running.map((p) => p.pid);
  const replicas = running.filter((p) => p.name.startsWith('replica')).map((p) => p.pid);
  const machine = () => (machineBusyMicros() ?? 0) / 1000;
  const waited = () => (runQueueWaitMicros(daemon) ?? 0) / 1000;
  const daemonBefore = cpuMs([daemon]);
  const allBefore = cpuMs(all);
  const replicasBefore = cpuMs(replicas);
  const machineBefore = machine();
  const waitBefore = waited();
  const started = performance.now();
  const result = await body();
  const wallMs = performance.now() - started;
  return {
    result,
    wallMs,
    daemonMs: cpuMs([daemon]) - daemonBefore,
    networkMs: cpuMs(all) - allBefore,
    replicasMs: cpuMs(replicas) - replicasBefore,
    machineMs: machine() - machineBefore,
    daemonWaitMs: waited() - waitBefore,
    load: load(),
    daemonCores,
  };
}

/** wall / (kpclientd CPU ÷ the cores it could use): the issue's floor. */
const floorRatio = (u: Pick<Usage<unknown>, 'wallMs' | 'daemonMs' | 'daemonCores'>): number => u.wallMs / (u.daemonMs / u.daemonCores);
/** wall / (all the machine's busy CPU ÷ cores): the floor on one machine that also runs the network. */
const machineFloorRatio = (u: Pick<Usage<unknown>, 'wallMs' | 'machineMs'>): number => u.wallMs / (u.machineMs / MACHINE_CORES);

function describe(label: string, u: Usage<unknown>, boxes: number, parts?: BoxBreakdown): string {
  const cores = u.daemonCores;
  const floor = u.daemonMs / cores;
  const perBox = parts
    ? `; per box (medians): daemon encrypting ${seconds(parts.encryptMs)}, queued behind other encryptions ${seconds(parts.encryptQueueMs)}, ` +
      `SDK envelope→send ${seconds(parts.sdkMs)}, mixnet round trip ${seconds(parts.mixnetMs)} (encryptions on ${parts.encryptConnections} connection(s), ${seconds(parts.encryptTotalMs)} in all)`
    : '';
  return (
    `${label}: wall ${seconds(u.wallMs)} (${seconds(u.wallMs / boxes)}/box), kpclientd CPU ${seconds(u.daemonMs)} (${Math.round((100 * u.daemonMs) / u.wallMs)} % of one core), ` +
    `floor ${seconds(floor)} on ${cores} core(s), wall/floor ${floorRatio(u).toFixed(2)}, kpclientd waiting for a core ${seconds(u.daemonWaitMs)} ` +
    `(kept busy ${Math.round((100 * (u.daemonMs + u.daemonWaitMs)) / (cores * u.wallMs))} % of ${cores} core(s) × wall), ` +
    `whole network CPU ${seconds(u.networkMs)} (replicas ${seconds(u.replicasMs)}; ÷ ${CORES} cores: ${seconds(u.networkMs / CORES)}), ` +
    `machine busy ${seconds(u.machineMs)} (${Math.round((100 * u.machineMs) / (MACHINE_CORES * u.wallMs))} % of ${MACHINE_CORES} cores × wall; wall / machine floor ${machineFloorRatio(u).toFixed(2)}), ${u.load}${perBox}`
  );
}

async function tappedClient(net: Testnet, options: ThinClientOptions): Promise<{ client: ThinClient; tap: FrameTap }> {
  const tap = new FrameTap();
  const client = await ThinClient.connect(await loadConfig(net.thinClientToml()), { requestTimeoutMs: 900_000, socketFactory: tap.factory, ...options });
  return { client, tap };
}

const random = (n: number): Uint8Array => {
  const out = new Uint8Array(n);
  for (let at = 0; at < n; at += 65536) crypto.getRandomValues(out.subarray(at, Math.min(n, at + 65536)));
  return out;
};

/** One way of running a transfer: how many encryption connections, and whether kpclientd has cores of its own. */
interface Placement {
  readonly label: string;
  readonly encryptionConnections: number;
  readonly ownCores: boolean;
}

const SHARED_ONE: Placement = { label: 'one connection', encryptionConnections: 0, ownCores: false };
const SHARED: Placement = { label: `${CORES} encryption connections`, encryptionConnections: CORES, ownCores: false };
const OWN: Placement = { label: `kpclientd on ${OWN_CORES} core(s) of its own, ${OWN_CORES} encryption connection(s)`, encryptionConnections: OWN_CORES, ownCores: true };

/**
 * Why kpclientd cannot be given cores of its own here, or null when it can:
 * one core only, or `taskset` missing (tried on this process, harmlessly).
 * The own-core figures are then skipped; the others are still measured.
 */
async function ownCoresUnavailable(): Promise<string | null> {
  if (CORES < 2) return 'one core: nothing to give kpclientd on its own';
  return setCpuAffinity(process.pid, cpuRange(0, CORES)).then(
    () => null,
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
}

/** `usage` of `body`, with kpclientd on cores of its own when the placement says so. */
const placed = <T>(net: Testnet, placement: Placement, body: () => Promise<T>): Promise<Usage<T>> =>
  placement.ownCores ? onOwnCores(net, () => usage(net, body, OWN_CORES)) : usage(net, body);

async function f3(net: Testnet, boxes: number, log: (line: string) => void): Promise<Figure[]> {
  const lines: string[] = [];
  const results = new Map<Placement, { write: Usage<unknown>; read: Usage<unknown> }>();
  const noOwnCores = await ownCoresUnavailable();
  for (const placement of noOwnCores === null ? [SHARED_ONE, SHARED, OWN] : [SHARED_ONE, SHARED]) {
    const { client, tap } = await tappedClient(net, { encryptionConnections: placement.encryptionConnections });
    try {
      const payload = random(boxes * client.pigeonholeGeometry().maxPlaintextPayloadLength - 4);
      const { writeCap, readCap, firstMessageIndex } = await lastValueFrom(client.newKeypair(random(32)));
      log(`F3: writeStream of ${boxes} boxes, ${placement.label}`);
      tap.clear();
      const write = await placed(net, placement, () => lastValueFrom(client.writeStream(writeCap, firstMessageIndex, payload)));
      lines.push(describe(`writeStream, ${placement.label}`, write, boxes, breakdown(tap.frames)));
      log(`F3: ${lines.at(-1)!}`);
      log(`F3: readStream$ of ${boxes} boxes, ${placement.label}`);
      tap.clear();
      const read = await placed(net, placement, () => lastValueFrom(client.readStream$(readCap, firstMessageIndex).pipe(toArray())));
      if (!bytesEqual(new Uint8Array(Buffer.concat(read.result)), payload)) throw new Error('F3: readStream$ read back something else');
      lines.push(describe(`readStream$, ${placement.label}`, read, boxes, breakdown(tap.frames)));
      log(`F3: ${lines.at(-1)!}`);
      results.set(placement, { write, read });
    } finally {
      await client.close();
    }
  }
  const shared = results.get(SHARED)!;
  const own = results.get(OWN);
  const figures = (kind: 'write' | 'read', name: string, raw: string): Figure[] => {
    const ownWhat = `testnet: ${name} of ${boxes} boxes, kpclientd on ${OWN_CORES} core(s) of its own, wall / its CPU floor`;
    return [
      atMost('F3', `testnet: ${name} of ${boxes} boxes, wall / daemon-CPU floor (${CORES} shared cores)`, floorRatio(shared[kind]), F3_TARGET, '', raw),
      atMost('F3', `testnet: ${name} of ${boxes} boxes, wall / machine floor (all busy CPU ÷ ${MACHINE_CORES} cores)`, machineFloorRatio(shared[kind]), F3_TARGET, '', 'see the line above'),
      own ? atMost('F3', ownWhat, floorRatio(own[kind]), F3_TARGET, '', 'see the line above') : skipped('F3', ownWhat, `≤ ${F3_TARGET}`, noOwnCores ?? ''),
    ];
  };
  return [...figures('write', 'writeStream', lines.join(' | ')), ...figures('read', 'readStream$', 'see the line above')];
}

/** Our pigeonhole-cp, send then receive, each as users run it (it opens one encryption connection per core it may use). */
async function oursTransfer(net: Testnet, placement: Placement, work: string, content: Uint8Array, log: (line: string) => void): Promise<{ send: Usage<unknown>; receive: Usage<unknown> }> {
  const toml = net.thinClientToml();
  const cli = path.join(repoRoot(), 'dist', 'cli', 'pigeonhole-cp.js');
  const node = (args: string[]) => timedRun(process.execPath, [cli, ...args], work);
  const key = placement.ownCores ? 'ours-own.key' : 'ours.key';
  const inbox = placement.ownCores ? 'ours-own-inbox' : 'ours-inbox';
  const genkey = await node(['genkey', '--key', key, '--config', toml]);
  const cap = genkey.output.match(/kprx1:\S+/)?.[0];
  if (!cap) throw new Error(`no read capability in: ${genkey.output}`);
  const where = placement.ownCores ? `, kpclientd on ${OWN_CORES} core(s) of its own` : '';
  log(`F1: pigeonhole-cp send ${content.length / 1024} kB${where}`);
  const send = await placed(net, placement, () => node(['send', 'file.bin', '--key', key, '--config', toml]));
  log(`F1: ${describe(`send${where}`, send, 1)}`);
  await mkdir(path.join(work, inbox));
  log(`F1: pigeonhole-cp receive${where}`);
  const receive = await placed(net, placement, () => node(['receive', inbox, '--cap', cap, '--count', '1', '--config', toml]));
  log(`F1: ${describe(`receive${where}`, receive, 1)}`);
  if (!bytesEqual(new Uint8Array(await readFile(path.join(work, inbox, 'file.bin'))), content)) throw new Error('our receive differs');
  return { send, receive };
}

/** Upstream's Rust CLI, send then receive, `--no-copy` or not. */
async function rustTransfer(net: Testnet, rust: Extract<PeerInstall, { status: 'ready' }>, work: string, content: Uint8Array, noCopy: boolean, log: (line: string) => void): Promise<{ send: Usage<unknown>; receive: Usage<unknown> }> {
  const toml = net.thinClientToml();
  const run = (args: string[]) => timedRun(rust.command, [...rust.args, ...args], work);
  const keys = (await run(['genkey', '--config', toml])).output;
  const field = (title: string) => keys.match(new RegExp(`^${title}[^\\n]*:\\n(\\S+)`, 'm'))?.[1];
  const [readCap, writeCap, index] = [field('Read Capability'), field('Write Capability'), field('First Index')];
  if (!writeCap || !readCap || !index) throw new Error(`could not parse the Rust genkey output: ${keys}`);
  const mode = noCopy ? '--no-copy' : 'default';
  log(`F2: Rust ${mode}: send`);
  const send = await usage(net, () => run(['send', '--config', toml, '--write-cap', writeCap, '--index', index, '--file', 'file.bin', ...(noCopy ? ['--no-copy'] : [])]));
  const inbox = path.join(work, `rust-inbox-${noCopy ? 'nocopy' : 'copy'}`);
  await mkdir(inbox);
  log(`F2: Rust ${mode}: receive`);
  const receive = await usage(net, () => run(['receive', '--config', toml, '--read-cap', readCap, '--index', index, '--dest-dir', inbox]));
  if (!bytesEqual(new Uint8Array(await readFile(path.join(inbox, 'file.bin'))), content)) throw new Error(`the Rust ${mode} receive differs`);
  log(`F2: Rust ${mode}: ${describe('send', send, 1)}; ${describe('receive', receive, 1)}`);
  return { send, receive };
}

const sum = (a: Usage<unknown>, b: Usage<unknown>): Usage<unknown> => ({
  result: null,
  wallMs: a.wallMs + b.wallMs,
  daemonMs: a.daemonMs + b.daemonMs,
  networkMs: a.networkMs + b.networkMs,
  replicasMs: a.replicasMs + b.replicasMs,
  machineMs: a.machineMs + b.machineMs,
  daemonWaitMs: a.daemonWaitMs + b.daemonWaitMs,
  load: b.load,
  daemonCores: a.daemonCores,
});

/**
 * Runs `body` with kpclientd on {@link OWN_CORES} cores of its own and
 * everything else of the testnet — replicas, courier, nodes — and this
 * process (and so the pigeonhole-cp it starts) on the others, as when the
 * mixnet runs elsewhere: then the floor is kpclientd's CPU ÷ its cores
 * alone, and wall / floor is what the client adds. Affinities are restored
 * afterwards.
 */
async function onOwnCores<T>(net: Testnet, body: () => Promise<T>): Promise<T> {
  const daemon = net.daemonPid();
  if (daemon === undefined) throw new Error('kpclientd is not running');
  const others = [...net.processStatus().filter((p) => p.running && p.pid !== daemon).map((p) => p.pid), process.pid];
  const all = cpuRange(0, CORES);
  try {
    await setCpuAffinity(daemon, cpuRange(0, OWN_CORES));
    for (const pid of others) await setCpuAffinity(pid, cpuRange(OWN_CORES, CORES - OWN_CORES));
    return await body();
  } finally {
    for (const pid of [daemon, ...others]) await setCpuAffinity(pid, all).catch(() => undefined);
  }
}

async function f1f2(net: Testnet, sections: ReadonlySet<FloorSection>, rust: PeerInstall, sizeBytes: number, log: (line: string) => void): Promise<Figure[]> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'kprx-bench-f1-'));
  try {
    const content = random(sizeBytes);
    await writeFile(path.join(work, 'file.bin'), content);
    const ours = await oursTransfer(net, SHARED, work, content, log);
    const total = sum(ours.send, ours.receive);
    const kb = `${sizeBytes / 1024} kB`;
    const figures: Figure[] = [];
    if (sections.has('F1')) {
      figures.push(
        atMost('F1', `testnet: pigeonhole-cp send + receive of ${kb}, wall / daemon-CPU floor (${CORES} shared cores)`, floorRatio(total), F1_TARGET, '', `${describe('send', ours.send, 1)} | ${describe('receive', ours.receive, 1)}`),
        atMost('F1', `testnet: pigeonhole-cp send + receive of ${kb}, wall / machine floor (all busy CPU ÷ ${MACHINE_CORES} cores)`, machineFloorRatio(total), F1_TARGET, '', 'see the line above'),
      );
      const ownWhat = `testnet: pigeonhole-cp send + receive of ${kb}, kpclientd on ${OWN_CORES} core(s) of its own, wall / its CPU floor`;
      const noOwnCores = await ownCoresUnavailable();
      if (noOwnCores !== null) figures.push(skipped('F1', ownWhat, `≤ ${F1_TARGET}`, noOwnCores));
      else {
        const own = await oursTransfer(net, OWN, work, content, log);
        figures.push(atMost('F1', ownWhat, floorRatio(sum(own.send, own.receive)), F1_TARGET, '', `${describe('send', own.send, 1)} | ${describe('receive', own.receive, 1)}`));
      }
    }
    if (!sections.has('F2')) return figures;
    const what = (mode: string) => `testnet: pigeonhole-cp of ${kb}, Rust CLI (${mode}) wall / ours`;
    if (rust.status === 'skipped') {
      return [...figures, skipped('F2', what('--no-copy'), `≥ ${F2_NO_COPY_TARGET}×`, rust.reason), skipped('F2', what('default'), `≥ ${F2_COPY_TARGET}×`, rust.reason)];
    }
    for (const [noCopy, target] of [[true, F2_NO_COPY_TARGET], [false, F2_COPY_TARGET]] as const) {
      const mode = noCopy ? '--no-copy' : 'default';
      try {
        const theirs = await rustTransfer(net, rust, work, content, noCopy, log);
        const t = sum(theirs.send, theirs.receive);
        figures.push(
          atLeast('F2', what(mode), t.wallMs / total.wallMs, target, '×', `ours ${seconds(ours.send.wallMs)} + ${seconds(ours.receive.wallMs)} = ${seconds(total.wallMs)}; ${rust.version} ${mode}: send ${seconds(theirs.send.wallMs)} + receive ${seconds(theirs.receive.wallMs)} = ${seconds(t.wallMs)} (kpclientd CPU ${seconds(t.daemonMs)}, ${t.load})`),
        );
      } catch (error) {
        figures.push(skipped('F2', what(mode), `≥ ${target}×`, `failed: ${error instanceof Error ? error.message : String(error)}`));
      }
    }
    return figures;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * kpclientd's CPU while `start()`'s subscription waits for a box nobody
 * writes, measured over `idleMs` after `warmUpMs` (tail$'s polls back off
 * from 1 s to 30 s: the steady state is what an idle follower costs).
 */
async function idleCost(net: Testnet, warmUpMs: number, idleMs: number, start: () => Subscription): Promise<Usage<unknown>> {
  const subscription = start();
  try {
    await sleep(warmUpMs);
    return await usage(net, () => sleep(idleMs));
  } finally {
    subscription.unsubscribe();
  }
}

async function f4(net: Testnet, idleMs: number, log: (line: string) => void): Promise<Figure> {
  const client = await ThinClient.connect(await loadConfig(net.thinClientToml()), { requestTimeoutMs: 900_000 });
  try {
    const perMinute = (u: Usage<unknown>) => (u.daemonMs * 60_000) / u.wallMs;
    const fail = (error: unknown) => log(`F4: unexpected: ${String(error)}`);
    const warmUp = idleMs / 2;
    log(`F4: kpclientd doing nothing for ${seconds(idleMs / 3)} (decoy traffic only)`);
    const nothing = await usage(net, () => sleep(idleMs / 3));
    const channel = await lastValueFrom(client.newKeypair(random(32)));
    log(`F4: tail$ of an unwritten channel: ${seconds(warmUp)}, then measured for ${seconds(idleMs)} (client-side no-retry polls, the default)`);
    const polling = await idleCost(net, warmUp, idleMs, () => client.tail$(channel.readCap, channel.firstMessageIndex).subscribe({ error: fail }));
    log(`F4: a daemon-side ARQ read of the same box: ${seconds(warmUp)}, then measured for ${seconds(idleMs)}`);
    const arq = await idleCost(net, warmUp, idleMs, () => client.read(channel.readCap, channel.firstMessageIndex).subscribe({ error: fail }));
    const base = perMinute(nothing);
    const raw =
      `kpclientd CPU per minute: idle ${seconds(base)}, tail$ polling ${seconds(perMinute(polling))} (${seconds(perMinute(polling) - base)} above idle), ` +
      `daemon-side ARQ ${seconds(perMinute(arq))} (${seconds(perMinute(arq) - base)} above idle); ${polling.load}`;
    log(`F4: ${raw}`);
    return atLeast('F4', 'testnet: kpclientd CPU per idle minute of tail$, daemon-side ARQ / client-side polling (the default)', (perMinute(arq) - base) / Math.max(1, perMinute(polling) - base), 1, '×', raw);
  } finally {
    await client.close();
  }
}

/** Runs the requested F sections on one testnet; a section that fails becomes a skipped figure with its error. */
export async function runDaemonFloor(options: FloorOptions): Promise<Figure[]> {
  const targets: Record<FloorSection, string> = { F1: `≤ ${F1_TARGET}`, F2: `≥ ${F2_NO_COPY_TARGET}×`, F3: `≤ ${F3_TARGET}`, F4: '≥ 1×' };
  const allSkipped = (sections: Iterable<FloorSection>, reason: string) => [...sections].map((s) => skipped(s, 'testnet: daemon floor', targets[s], reason));
  if (options.skip !== undefined) return allSkipped(options.sections, options.skip);
  const acquired = await acquireTestnet(options.log);
  if ('reason' in acquired) return allSkipped(options.sections, acquired.reason);
  const { net, release } = acquired;
  const figures: Figure[] = [];
  const attempt = async (sections: FloorSection[], run: () => Promise<Figure | Figure[]>) => {
    const wanted = sections.filter((s) => options.sections.has(s));
    if (wanted.length === 0) return;
    try {
      figures.push(...[await run()].flat());
    } catch (error) {
      figures.push(...allSkipped(wanted, `failed: ${error instanceof Error ? error.message : String(error)}`));
    }
  };
  try {
    options.log(`F: ${CORES} cores, ${load()}`);
    await attempt(['F3'], () => f3(net, options.quick ? 16 : 32, options.log));
    await attempt(['F4'], () => f4(net, options.quick ? 30_000 : 60_000, options.log));
    await attempt(['F1', 'F2'], () => f1f2(net, options.sections, options.rustPigeonholeCp, options.quick ? 16 * 1024 : 64 * 1024, options.log));
  } finally {
    await release();
  }
  return figures;
}
