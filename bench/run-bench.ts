/**
 * The benchmark suite (`npm run bench`; not part of `npm test`). Prints one
 * line per figure — a ratio measured in this run against a baseline also
 * measured in this run (or a count against an absolute target), its
 * target, MET / NOT MET, and the raw numbers. A complete run also writes
 * them to bench/RESULTS.md and the README's Performance table; a partial
 * one (--only, --quick, --no-…) to .cache/bench/RESULTS.md.
 *
 *   tsc -p tsconfig.build.json && tsc -p bench/tsconfig.json &&
 *   node --expose-gc .cache/bench/build/bench/run-bench.js [--only P1,P2,…,R1,…] [--quick] [--no-real] [--no-sim] [--no-peers] [--no-testnet]
 *
 * (compiled code is measured, see bench/tsconfig.json.)
 *
 * Sections: P1 + Peers (pipelined local requests; on the simulator always,
 * on the real kpclientd when installed), P2 (10 MiB frames), P3
 * (readStream$ window), P4 (1,000,000 requests: heap, pending map), P5
 * (events$ fan-out), CBOR (what cbor-x's native addon would be worth), R1–R3
 * (on a real Katzenpost network: see r-real-network.ts; about 20 minutes),
 * F1–F4 (Pigeonhole against kpclientd's CPU floor on the same kind of
 * network: see f-daemon-floor.ts; about an hour, most of it upstream's Rust CLI).
 * Each section except P1-on-kpclientd and R runs in a fresh
 * child process (`--section`), so that one section's heap, JIT state and
 * buffers do not colour the next; the real daemon's clients stay in this
 * process, because each of their connections costs the daemon 30 s.
 */
import { fork } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ThinClient } from 'katzenpost-rx';
import { benchIndex, measurePipelined, peerContender, pipelinedFigures, rawContender, sdkContender, type Contender, type Entry } from './p1-pipelined-requests.js';
import { runP2 } from './p2-large-frames.js';
import { runP3 } from './p3-read-stream-window.js';
import { runP4 } from './p4-million-requests.js';
import { runP5 } from './p5-events-fan-out.js';
import { runCbor } from './cbor-native.js';
import { formatLine, markdownTable, type Figure } from './support/figure.js';
import { cacheDir, repoRoot } from './support/paths.js';
import { startRealDaemon } from './support/real-daemon.js';
import { startSimProcess } from './support/sim-process.js';
import { installGoPeer, installPythonPeer, installRustPigeonholeCp, type PeerInstall } from './peers/install-peers.js';
import { REAL_NETWORK_SECTIONS, runRealNetwork } from './r-real-network.js';
import { FLOOR_SECTIONS, runDaemonFloor } from './f-daemon-floor.js';
import { PeerProcess } from './peers/peer-process.js';

interface Args {
  readonly only: ReadonlySet<string> | null;
  readonly quick: boolean;
  readonly real: boolean;
  readonly sim: boolean;
  readonly peers: boolean;
  readonly testnet: boolean;
}

interface Peers {
  readonly python: PeerInstall;
  readonly go: PeerInstall;
}

const SECTIONS = ['P1', 'P2', 'P3', 'P4', 'P5', 'CBOR'] as const;
const IN_FLIGHT = [1, 64] as const;

function parseArgs(argv: readonly string[]): Args {
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? '').split(',').map((s) => s.trim().toUpperCase())) : null;
  const has = (flag: string) => argv.includes(flag);
  return { only, quick: has('--quick'), real: !has('--no-real'), sim: !has('--no-sim'), peers: !has('--no-peers'), testnet: !has('--no-testnet') };
}

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

// ---- the P1 contenders --------------------------------------------------

/** Spawns a peer on a daemon and waits for its handshake; a null contender + reason if it cannot. */
async function connectPeer(name: string, install: PeerInstall, tomlPath: string, handshakeMs: number): Promise<Entry> {
  if (install.status === 'skipped') return { name, contender: null, reason: install.reason };
  // Go prints every goroutine's stack on SIGQUIT: that is how a hung Go peer is stopped.
  const peer = PeerProcess.spawn(name, install.command, [...install.args, tomlPath], { timeoutSignal: name === 'Go' ? 'SIGQUIT' : 'SIGKILL' });
  try {
    await peer.ready(handshakeMs);
    return { name, contender: peerContender(name, peer) };
  } catch (error) {
    peer.kill();
    return { name, contender: null, reason: `${install.version}: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** SDK, raw loop, Python, Go: each its own connection, all at once. */
function connectAll(address: string, tomlPath: string, peers: Peers | null, handshakeMs: number): Promise<Entry[]> {
  const attempt = async (name: string, make: () => Promise<Contender>): Promise<Entry> => {
    try {
      return { name, contender: await make() };
    } catch (error) {
      return { name, contender: null, reason: error instanceof Error ? error.message : String(error) };
    }
  };
  const noPeer = (name: string): Promise<Entry> => Promise.resolve({ name, contender: null, reason: 'not run (--no-peers)' });
  return Promise.all([
    attempt('SDK', () => sdkContender(address)),
    attempt('raw loop', () => rawContender(address)),
    peers ? connectPeer('Python', peers.python, tomlPath, handshakeMs) : noPeer('Python'),
    peers ? connectPeer('Go', peers.go, tomlPath, handshakeMs) : noPeer('Go'),
  ]);
}

async function closeAll(entries: readonly Entry[]): Promise<void> {
  await Promise.all(entries.map((e) => e.contender?.close().catch(() => undefined)));
}

async function pipelinedOn(daemon: string, daemonPid: number | undefined, entries: readonly Entry[], args: Args): Promise<Figure[]> {
  const sdk = entries.find((e) => e.name === 'SDK');
  const client = (sdk?.contender as { client?: ThinClient } | null)?.client;
  if (!client) {
    const reason = sdk?.reason ?? 'the SDK did not connect';
    return pipelinedFigures(daemon, entries.map((e) => ({ name: e.name, contender: null, reason })), new Map(), IN_FLIGHT);
  }
  const index = await benchIndex(client);
  const results = await measurePipelined(entries, index, {
    daemon,
    daemonPid,
    inFlight: IN_FLIGHT,
    rounds: args.quick ? 3 : 11,
    secondsPerRun: args.quick ? 0.3 : 0.5,
    log,
  });
  return pipelinedFigures(daemon, entries, results, IN_FLIGHT);
}

async function p1OnSimulator(args: Args, peers: Peers | null): Promise<Figure[]> {
  const sim = await startSimProcess({ seed: 'bench-p1', autoAdvanceEpochs: false });
  const tomlPath = cacheDir('bench', 'simulator-thinclient.toml');
  await writeFile(tomlPath, sim.toml);
  const entries = await connectAll(sim.address, tomlPath, peers, 30_000);
  try {
    return await pipelinedOn('simulator', sim.pid, entries, args);
  } finally {
    await closeAll(entries);
    await sim.close();
  }
}

// ---- sections in child processes ------------------------------------------

/** Runs one section in this process (the child side of `inChild`). */
async function runSection(section: string, args: Args, peers: Peers | null): Promise<Figure[]> {
  switch (section) {
    case 'P1':
      return p1OnSimulator(args, peers);
    case 'P2':
      return runP2({ runs: args.quick ? 9 : 31, log });
    case 'P3':
      return runP3({ windowedRuns: args.quick ? 3 : 5, sequentialRuns: args.quick ? 1 : 3, log });
    case 'P4':
      return runP4({ requests: 1_000_000, log });
    case 'P5':
      return runP5({ events: 200_000, runs: args.quick ? 3 : 7, log });
    case 'CBOR':
      return runCbor({ runs: args.quick ? 5 : 15, log });
    default:
      throw new Error(`unknown section ${section}`);
  }
}

/** Forks this script with `--section`, collects the figures it sends. */
function inChild(section: string, args: Args, peers: Peers | null): Promise<Figure[]> {
  const script = fileURLToPath(import.meta.url);
  const child = fork(script, ['--section', section, JSON.stringify({ args: { ...args, only: null }, peers })], {
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    let figures: Figure[] | null = null;
    child.on('message', (message) => (figures = message as Figure[]));
    child.on('error', reject);
    child.on('exit', (code) => (figures ? resolve(figures) : reject(new Error(`section ${section} failed (exit ${String(code)})`))));
  });
}

// ---- the orchestrator -----------------------------------------------------

async function orchestrate(args: Args): Promise<void> {
  const wants = (section: string) => args.only === null || args.only.has(section);
  const started = Date.now();
  const figures: Figure[] = [];
  await mkdir(cacheDir('bench'), { recursive: true });
  const report = (produced: readonly Figure[]): void => {
    for (const figure of produced) {
      figures.push(figure);
      console.log(formatLine(figure));
    }
  };

  // Peers are installed once (cached under .cache/bench-peers); both daemons use them.
  let peers: Peers | null = null;
  const realNetworkSections = new Set(REAL_NETWORK_SECTIONS.filter((section) => wants(section)));
  if ((wants('P1') || realNetworkSections.size > 0) && args.peers) {
    const dir = cacheDir('bench-peers');
    const [python, go] = await Promise.all([installPythonPeer(dir, log), wants('P1') ? installGoPeer(dir, log) : Promise.resolve<PeerInstall>({ status: 'skipped', reason: 'not needed' })]);
    for (const [name, install] of [['Python', python], ['Go', go]] as const) {
      log(install.status === 'ready' ? `${name} peer: ${install.version}` : `${name} peer skipped: ${install.reason}`);
    }
    peers = { python, go };
  }

  // The real daemon first, in the background: each connection costs it 30 s
  // (offline PKI wait) and it accepts them one at a time, so its four
  // clients connect while the other sections run.
  const real = wants('P1') && args.real ? await startRealDaemon() : null;
  const realEntries = real?.status === 'ready' ? connectAll(real.daemon.address, real.daemon.thinClientTomlPath, peers, 300_000) : null;
  if (real?.status === 'ready') log(`kpclientd listening on ${real.daemon.address}; its 4 clients connect in the background (~30 s each)`);

  try {
    for (const section of SECTIONS) {
      if (!wants(section) || (section === 'P1' && !args.sim)) continue;
      log(`${section}${section === 'P1' ? ' on the simulator' : ''} …`);
      try {
        report(await inChild(section, args, peers));
      } catch (error) {
        log(`${section} failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exitCode = 1;
      }
    }
    if (wants('P1')) {
      if (real === null || real.status === 'skipped') {
        const reason = real?.status === 'skipped' ? real.reason : 'not run (--no-real)';
        report(pipelinedFigures('kpclientd', ['SDK', 'raw loop', 'Python', 'Go'].map((name) => ({ name, contender: null, reason })), new Map(), IN_FLIGHT));
      } else {
        log('P1 on kpclientd: waiting for its clients to finish their handshakes');
        const entries = await realEntries!;
        try {
          report(await pipelinedOn('kpclientd', real.daemon.pid, entries, args));
        } finally {
          await closeAll(entries);
        }
      }
    }
  } finally {
    if (real?.status === 'ready') await real.daemon.stop();
  }
  if (realNetworkSections.size > 0) {
    const noPeer = (reason: string): PeerInstall => ({ status: 'skipped', reason });
    if (!args.testnet) {
      report(await runRealNetwork({ sections: realNetworkSections, quick: args.quick, python: noPeer('not run'), rustPigeonholeCp: noPeer('not run'), log, skip: 'not run (--no-testnet)' }));
    } else {
      log(`${[...realNetworkSections].join(', ')} on a real Katzenpost network …`);
      const rust = args.peers && realNetworkSections.has('R3') ? await installRustPigeonholeCp(cacheDir('bench-peers'), log) : noPeer('not run (--no-peers)');
      report(await runRealNetwork({ sections: realNetworkSections, quick: args.quick, python: peers?.python ?? noPeer('not run (--no-peers)'), rustPigeonholeCp: rust, log }));
    }
  }
  const floorSections = new Set(FLOOR_SECTIONS.filter((section) => wants(section)));
  if (floorSections.size > 0) {
    const noPeer = (reason: string): PeerInstall => ({ status: 'skipped', reason });
    const rust = args.peers && floorSections.has('F2') ? await installRustPigeonholeCp(cacheDir('bench-peers'), log) : noPeer('not run (--no-peers)');
    report(await runDaemonFloor({ sections: floorSections, quick: args.quick, rustPigeonholeCp: rust, log, ...(args.testnet ? {} : { skip: 'not run (--no-testnet)' }) }));
  }

  await writeResults(args, figures, Date.now() - started);
}

async function writeResults(args: Args, figures: readonly Figure[], elapsedMs: number): Promise<void> {
  const order = (f: Figure) => ['P1', 'Peers', 'P2', 'P3', 'P4', 'P5', 'CBOR', 'R1', 'R2', 'R3', 'F1', 'F2', 'F3', 'F4'].indexOf(f.id);
  const sorted = [...figures].sort((a, b) => order(a) - order(b));
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const flags = [args.only ? `--only ${[...args.only].join(',')}` : '', args.quick ? '--quick' : '', args.real ? '' : '--no-real', args.sim ? '' : '--no-sim', args.peers ? '' : '--no-peers', args.testnet ? '' : '--no-testnet'].filter(Boolean);
  const command = `npm run bench${flags.length ? ` -- ${flags.join(' ')}` : ''}`;
  const met = sorted.filter((f) => f.met === true).length;
  const notMet = sorted.filter((f) => f.met === false).length;
  const text = [
    '# Benchmark results',
    '',
    `Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)} (${Math.round(elapsedMs / 1000)} s):`,
    `Node ${process.version}, ${os.cpus().length} × ${cpu}, ${os.platform()} ${os.release()}.`,
    `${met} met, ${notMet} not met, ${sorted.length - met - notMet} skipped.`,
    '',
    'Machine caveat: every ratio compares two measurements taken in the same run on',
    'the same machine, and so travels between machines better than absolute',
    'numbers do; the req/s, ms and MB/s in the raw numbers are this machine\'s, on a',
    'shared 2-core VM where the client and the daemon each get about one core.',
    'Reruns vary by about ±10%. P1/Peers throughput is bounded by the daemon: see',
    'the daemon CPU and the raw loop\'s own ratio ("ceiling") in the raw numbers.',
    '',
    markdownTable(sorted),
    '',
  ].join('\n');
  // Only a complete run replaces the committed results (bench/RESULTS.md and the README's
  // table): a partial or quick run would drop or blur figures, so it goes to .cache/bench.
  const complete = args.only === null && !args.quick && args.real && args.sim && args.peers && args.testnet;
  const resultsFile = complete ? path.join(repoRoot(), 'bench', 'RESULTS.md') : cacheDir('bench', 'RESULTS.md');
  await writeFile(resultsFile, text);
  log(`wrote ${path.relative(repoRoot(), resultsFile)} (${sorted.length} figures: ${met} met, ${notMet} not met)`);
  if (complete) {
    const summary = [`Produced by \`${command}\` on ${new Date().toISOString().slice(0, 10)} (Node ${process.version}, ${os.cpus().length} × ${cpu}); raw numbers in [bench/RESULTS.md](bench/RESULTS.md).`, '', markdownTable(sorted, false)].join('\n');
    await replaceReadmeResults(summary);
    log('updated the README\'s Performance table');
  } else {
    log('bench/RESULTS.md and the README not updated (only a complete `npm run bench` updates them)');
  }
}

const README_START = '<!-- bench:results:start -->';
const README_END = '<!-- bench:results:end -->';

/** Replaces the text between the README's bench markers. */
async function replaceReadmeResults(summary: string): Promise<void> {
  const file = path.join(repoRoot(), 'README.md');
  const readme = await readFile(file, 'utf8');
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${README_START} … ${README_END} region`);
  await writeFile(file, `${readme.slice(0, start + README_START.length)}\n${summary}\n${readme.slice(end)}`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const sectionAt = argv.indexOf('--section');
  if (sectionAt >= 0) {
    const { args, peers } = JSON.parse(argv[sectionAt + 2] ?? '{}') as { args: Args; peers: Peers | null };
    const figures = await runSection(argv[sectionAt + 1] ?? '', args, peers);
    // Exit once the figures are on their way: a lingering handle must not hold the parent.
    process.send?.(figures, () => process.exit(0));
    return;
  }
  await orchestrate(parseArgs(argv));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
