/**
 * What every testnet check shares: the running network (attached through
 * its state file), clients connected to its daemons, one printed line per
 * check with its timing, and small byte helpers. Checks use the SDK's
 * public API only (`katzenpost-rx`); the network itself is driven through
 * the harness (testnet/), e.g. to kill and restart a daemon.
 */
import { writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { firstValueFrom } from 'rxjs';
import { ThinClient, exponentialBackoff, loadConfig, type KeypairResult, type ThinClientOptions } from 'katzenpost-rx';
import { LogFile, waitForLog } from '../../../testnet/log-watch.js';
import { MAIN_DAEMON, Testnet, testnetRoot } from '../../../testnet/testnet.js';

/**
 * The network of this run: `KPRX_TESTNET_STATE` (set by `npm run test:testnet`),
 * else the one `npm run testnet -- up` started.
 */
export async function attachTestnet(): Promise<Testnet> {
  const statePath = process.env['KPRX_TESTNET_STATE'] ?? (await readFile(path.join(testnetRoot(), 'current'), 'utf8').catch(() => '')).trim();
  if (!statePath) throw new Error('no testnet: run the suite with `npm run test:testnet` (it starts one), or `npm run testnet -- up` first');
  return Testnet.attach(statePath);
}

/** Reconnect quickly: the daemons here are restarted on purpose. */
export const testnetClientOptions: ThinClientOptions = {
  reconnect: exponentialBackoff({ initialMs: 250, maxMs: 2000 }),
  requestTimeoutMs: 120_000,
};

/**
 * A client connected to one of the network's daemons (default: the main one).
 *
 * @example
 * const client = await connectTo(net);
 */
export async function connectTo(net: Testnet, daemon = MAIN_DAEMON, options: ThinClientOptions = {}): Promise<ThinClient> {
  return ThinClient.connect(await loadConfig(net.thinClientToml(daemon)), { ...testnetClientOptions, ...options });
}

/**
 * The judge's view of a daemon: its log from now on. Checks read it to see
 * what the daemon did with our requests (e.g. that a cancel reached an ARQ
 * in flight), never to drive the SDK.
 *
 * @example
 * const log = await daemonLog(net);
 * await log.until(/cancelResendingEncryptedMessage: Sending cancellation/, 'the daemon cancels the read', 30_000);
 */
export async function daemonLog(net: Testnet, daemon = MAIN_DAEMON): Promise<{ until(pattern: RegExp, step: string, timeoutMs: number): Promise<RegExpMatchArray>; text(): Promise<string> }> {
  const record = net.snapshot.daemons.find((d) => d.name === daemon);
  if (!record) throw new Error(`no daemon ${daemon}`);
  const log = await LogFile.follow(record.outputPath);
  return {
    until: (pattern, step, timeoutMs) => waitForLog(log, { step, timeoutMs, find: (text) => text.match(pattern) ?? undefined }),
    text: () => log.read(),
  };
}

/**
 * Prints one line, outside jest's console capture (so lines appear as checks
 * finish) and synchronously (jest's forceExit would drop a pending write).
 */
export function line(text: string): void {
  writeSync(1, `testnet: ${text}\n`);
}

/** Runs `body`, printing one line with its outcome and time: `ok` or `FAIL`. */
async function timedLine(name: string, body: () => Promise<void>): Promise<void> {
  const started = performance.now();
  const took = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  try {
    await body();
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    line(`FAIL ${name} (${took()}): ${message}`);
    throw error;
  }
  line(`ok   ${name} (${took()})`);
}

/**
 * A jest test that prints one line with its outcome and timing.
 *
 * @example
 * check('echo via send', 60_000, async () => { … });
 */
export function check(name: string, timeoutMs: number, body: () => Promise<void>): void {
  it(name, () => timedLine(name, body), timeoutMs);
}

/**
 * The network and a client on its main daemon for the checks of one file:
 * attached and connected before them, closed after them. Read the fields
 * inside checks (they are set by then).
 *
 * @example
 * const env = sharedClient();
 * check('…', 60_000, async () => { await firstValueFrom(env.client.newKeypair(freshSeed())); });
 */
export function sharedClient(): { net: Testnet; client: ThinClient; newChannel(): Promise<KeypairResult> } {
  const env = {
    net: undefined as unknown as Testnet,
    client: undefined as unknown as ThinClient,
    newChannel: () => firstValueFrom(env.client.newKeypair(freshSeed())),
  };
  beforeAll(async () => {
    env.net = await attachTestnet();
    env.client = await connectTo(env.net);
  }, 120_000);
  afterAll(async () => {
    await env.client?.close();
  });
  return env;
}

/** A fresh random 32-byte channel seed (every run writes new channels: replicas keep boxes). */
export const freshSeed = (): Uint8Array => crypto.getRandomValues(new Uint8Array(32));

// The byte helpers of the how-to guide's specs.
export { concatBytes as concat, framed, pattern, text, utf8 } from '../../howto/support/howto-env.js';
