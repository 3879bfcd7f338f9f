/**
 * The little runtime every example shares: connect to the daemon of a
 * `thinclient.toml` — or, without one, to an embedded simulator — and run
 * the example's `main()` when its file is executed directly.
 *
 * @example
 * // in an example file:
 * export async function main(config?: ThinClientConfig) {
 *   return withClient(config, async (client) => client.isConnected());
 * }
 * runIfMain(import.meta.url, main);
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { inspect, parseArgs } from 'node:util';
import { ThinClient, loadConfig, type ThinClientConfig } from 'katzenpost-rx';
import { startSimulator } from 'katzenpost-rx/sim';

/**
 * Runs `body` with a connected client, then closes it. Without `config`,
 * starts an embedded daemon simulator at a hundredth of mixnet time (a
 * write takes ~30 ms instead of ~3 s) and stops it afterwards.
 *
 * @example
 * const connected = await withClient(undefined, async (client) => client.isConnected());
 */
export async function withClient<T>(config: ThinClientConfig | undefined, body: (client: ThinClient) => Promise<T>): Promise<T> {
  const sim = config ? null : await startSimulator({ timeScale: 0.01 });
  const client = await ThinClient.connect(config ?? sim!.config);
  try {
    return await body(client);
  } finally {
    await client.close();
    await sim?.close();
  }
}

/** Whether an example runs as a script (it then narrates); imported by a test it stays quiet. */
let narrating = false;

/**
 * Prints a line when the example runs as a script.
 *
 * @example
 * say(`Bob read: ${text}`);
 */
export function say(line: string): void {
  if (narrating) console.log(line);
}

/** Rewrites the current line (progress) when the example runs as a script. */
export function sayProgress(line: string, done = false): void {
  if (narrating) process.stdout.write(`\r${line}${done ? '\n' : ''}`);
}

/**
 * The script's `--name value` option, if given.
 *
 * @example
 * const file = scriptOption('file'); // from `--file notes.txt`
 */
export function scriptOption(name: string): string | undefined {
  const { values } = parseArgs({ options: { [name]: { type: 'string' } }, strict: false });
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * When `moduleUrl` is the file node was started with, parses
 * `[--config thinclient.toml]`, runs `main`, prints its result and sets the
 * exit code. Does nothing when the module is imported (e.g. by a test).
 */
export function runIfMain<T>(moduleUrl: string, main: (config?: ThinClientConfig) => Promise<T>): void {
  const entry = process.argv[1];
  if (entry === undefined || realpath(entry) !== realpath(fileURLToPath(moduleUrl))) return;
  narrating = true;
  const { values } = parseArgs({ options: { config: { type: 'string', short: 'c' } }, strict: false });
  (async () => {
    const config = typeof values.config === 'string' ? await loadConfig(values.config) : undefined;
    const result = await main(config);
    console.log('result:', inspect(result, { maxStringLength: 100, depth: 4 }));
  })().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

function realpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
