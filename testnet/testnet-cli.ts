/**
 * `npm run testnet -- up|down|status`: a real Katzenpost mix network on
 * this machine for app developers (no docker).
 *
 *   up      builds Katzenpost v0.0.99 on first use (minutes), starts the
 *           network, waits until it is usable and prints the
 *           thinclient.toml to use; the network keeps running
 *   status  the network `up` started: its processes, the toml path
 *   down    stops exactly the processes `up` started (by PID)
 *   calibrate [--samples N]
 *           times each daemon operation on the running network and on the
 *           simulator with its default delays (see calibrate.ts)
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { calibrate } from './calibrate.js';
import { installKatzenpost } from './install-katzenpost.js';
import { guardTestnet } from './stop-guard.js';
import { Testnet, newRunDir, pruneRuns, testnetRoot } from './testnet.js';

const say = (line: string) => console.log(line);
const progress = (line: string) => console.error(`[testnet] ${line}`);

/** The file naming the state file of the network `up` started. */
const currentFile = () => path.join(testnetRoot(), 'current');

async function current(): Promise<Testnet | null> {
  const statePath = (await readFile(currentFile(), 'utf8').catch(() => '')).trim();
  return statePath ? Testnet.attach(statePath).catch(() => null) : null;
}

function printUsage(net: Testnet): void {
  const toml = net.thinClientToml();
  say(`thinclient.toml: ${toml}`);
  say('');
  say(`  ThinClient.connect(await loadConfig('${toml}'))`);
  say(`  npm run demo -- --config ${toml}`);
  say(`  npx pigeonhole-cp genkey --key alice.key --config ${toml}`);
  say('');
  say(`logs: ${net.runDir}`);
  say('stop it: npm run testnet -- down');
}

async function up(epochDuration: string): Promise<number> {
  const running = await current();
  if (running?.processStatus().every((p) => p.running)) {
    say('a testnet is already running');
    printUsage(running);
    return 0;
  }
  if (running) {
    progress(`the previous testnet (${running.runDir}) is partly gone: stopping what is left of it`);
    await running.stop();
  }
  const built = await installKatzenpost({ log: progress });
  if (built.status === 'skipped') {
    say(`cannot start a testnet: ${built.reason.replace(/^skipped: /, '')} (needs Go ≥ 1.26 and a C compiler)`);
    return 1;
  }
  await pruneRuns(5);
  const runDir = newRunDir();
  const release = guardTestnet(Testnet.statePath(runDir), progress);
  const started = Date.now();
  try {
    const net = await Testnet.start({ binaries: built.binaries, runDir, epochDuration, log: progress });
    await writeFile(currentFile(), net.statePath + '\n');
    say(`testnet up in ${Math.round((Date.now() - started) / 1000)} s (epochs of ${epochDuration})`);
    printUsage(net);
    return 0;
  } catch (error) {
    say(`testnet did not start: ${error instanceof Error ? error.message : String(error)}`);
    say(`logs kept in ${runDir}`);
    return 1;
  } finally {
    release();
  }
}

async function status(): Promise<number> {
  const net = await current();
  if (!net) {
    say('no testnet running (npm run testnet -- up)');
    return 1;
  }
  const processes = net.processStatus();
  for (const p of processes) say(`${p.name.padEnd(14)} pid ${String(p.pid).padEnd(8)} ${p.running ? 'running' : 'stopped'}`);
  const { firstEpoch, readyAt } = net.snapshot;
  say(`ready since ${readyAt ?? '—'} (first epoch ${firstEpoch ?? '—'})`);
  printUsage(net);
  return processes.every((p) => p.running) ? 0 : 1;
}

async function down(): Promise<number> {
  const net = await current();
  if (!net) {
    say('no testnet running');
    return 0;
  }
  const outcomes = await net.stop();
  for (const o of outcomes) say(`${o.name.padEnd(14)} pid ${String(o.pid).padEnd(8)} ${o.how === 'gone' ? 'was not running' : o.how === 'killed' ? 'killed (SIGKILL)' : 'stopped'}`);
  await rm(currentFile(), { force: true });
  say(`testnet down; logs kept in ${net.runDir}`);
  return 0;
}

async function calibrateRunning(samples: number): Promise<number> {
  const net = await current();
  if (!net?.processStatus().every((p) => p.running)) {
    say('no testnet running (npm run testnet -- up)');
    return 1;
  }
  say(await calibrate(net.thinClientToml(), samples, progress));
  return 0;
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { epoch: { type: 'string', default: '1m' }, samples: { type: 'string', default: '10' }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  const samples = Number(values.samples);
  if (values.help || !command || !['up', 'down', 'status', 'calibrate'].includes(command) || !(Number.isSafeInteger(samples) && samples > 0)) {
    say('usage: npm run testnet -- up [--epoch 1m] | status | down | calibrate [--samples 10]');
    return values.help ? 0 : 2;
  }
  if (command === 'up') return up(values.epoch);
  if (command === 'status') return status();
  if (command === 'calibrate') return calibrateRunning(samples);
  return down();
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
