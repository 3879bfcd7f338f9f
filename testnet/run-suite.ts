/**
 * `npm run test:testnet [-- <jest args>]`: the end-to-end suite
 * (spec/testnet/*.testnet.ts) against ONE real network per run.
 *
 * Why a runner and not jest's globalSetup/globalTeardown: the network must
 * be stopped on Ctrl-C and when jest itself dies, and its logs kept when a
 * check failed. globalTeardown runs on neither a signal nor a crash, and
 * does not know whether a test failed. This process owns the network, runs
 * jest as a child (`--runInBand`: one network, checks one after another,
 * since Pigeonhole work is bound by kpclientd's CPU anyway), and then stops
 * exactly the processes recorded in the run's state file.
 *
 * Without Go (or a C compiler) it prints one line and exits 0.
 * `KPRX_TESTNET_REUSE=1` runs the suite on the network `npm run testnet -- up`
 * started (and leaves it running): handy while writing checks.
 */
import { spawn } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { installKatzenpost } from './install-katzenpost.js';
import { guardTestnet } from './stop-guard.js';
import { Testnet, newRunDir, pruneRuns, testnetRoot } from './testnet.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const say = (line: string) => console.log(`testnet suite: ${line}`);
const seconds = (ms: number) => `${Math.round(ms / 1000)} s`;

function runJest(statePath: string, args: readonly string[]): Promise<number> {
  const jest = path.join(repoRoot, 'node_modules', 'jest', 'bin', 'jest.js');
  const child = spawn(process.execPath, ['--experimental-vm-modules', jest, '--config', 'jest.testnet.config.js', '--runInBand', ...args], {
    cwd: repoRoot,
    env: { ...process.env, KPRX_TESTNET_STATE: statePath },
    stdio: 'inherit',
  });
  return new Promise((resolve) => {
    child.on('error', () => resolve(1));
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function reusedNetwork(): Promise<Testnet | null> {
  if (process.env['KPRX_TESTNET_REUSE'] !== '1') return null;
  const statePath = (await readFile(path.join(testnetRoot(), 'current'), 'utf8').catch(() => '')).trim();
  const net = statePath ? await Testnet.attach(statePath).catch(() => null) : null;
  if (!net?.processStatus().every((p) => p.running)) throw new Error('KPRX_TESTNET_REUSE=1 but no testnet is running (npm run testnet -- up)');
  return net;
}

async function main(): Promise<number> {
  const jestArgs = process.argv.slice(2);
  const started = Date.now();
  const reused = await reusedNetwork();
  if (reused) {
    say(`on the running testnet ${reused.runDir}`);
    return runJest(reused.statePath, jestArgs);
  }

  const built = await installKatzenpost({ log: (line) => say(line) });
  if (built.status === 'skipped') {
    say(`skipped: ${built.reason.replace(/^skipped: /, '')}`);
    return 0;
  }
  const buildMs = Date.now() - started;
  await pruneRuns(5);
  const runDir = newRunDir();
  const release = guardTestnet(Testnet.statePath(runDir), say);
  let net: Testnet;
  const startAt = Date.now();
  try {
    net = await Testnet.start({ binaries: built.binaries, runDir, log: say });
  } catch (error) {
    say(`the network did not start: ${error instanceof Error ? error.message : String(error)}`);
    say(`logs kept in ${runDir}`);
    release();
    return 1;
  }
  const startMs = Date.now() - startAt;
  const suiteAt = Date.now();
  let code = 1;
  try {
    code = await runJest(net.statePath, jestArgs);
  } finally {
    const suiteMs = Date.now() - suiteAt;
    const stopAt = Date.now();
    const outcomes = await net.stop();
    release();
    const killed = outcomes.filter((o) => o.how === 'killed').map((o) => o.name);
    say(`stopped ${outcomes.length} processes${killed.length ? ` (SIGKILL needed for ${killed.join(', ')})` : ''}`);
    say(`timings: Katzenpost build ${built.reused ? 'reused' : 'built'} ${seconds(buildMs)}, network start ${seconds(startMs)}, checks ${seconds(suiteMs)}, stop ${seconds(Date.now() - stopAt)}; total ${seconds(Date.now() - started)}`);
    if (code === 0) await rm(runDir, { recursive: true, force: true });
    else say(`a check failed: every node's log is kept in ${runDir} (network/<node>/katzenpost.log, network/<node>.out, daemons/<name>/kpclientd.out)`);
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
