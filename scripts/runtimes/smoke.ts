/**
 * The smoke suite of the runtime matrix: what an application does with the
 * SDK, through its public API only. Compiled into a blank project that has
 * the packed package installed (scripts/runtimes/runtime-matrix.ts) and run
 * there on each runtime — so it may import nothing but `katzenpost-rx`,
 * rxjs (the package's dependency) and `node:` built-ins that Bun and Deno
 * provide.
 *
 * It starts its own `kpsim` from the installed package on the Node given in
 * KPRX_SMOKE_NODE (the simulator may run on the default Node; its `stats`
 * command shows the cancel at the daemon), and runs `pigeonhole-cp` on this
 * runtime (KPRX_SMOKE_RUN_ARGS: the arguments before a script, e.g. Deno's
 * `run -A`).
 *
 * Output: one line per check, `SMOKE <check> ok <ms> <detail>` or
 * `SMOKE <check> FAIL <ms> <reason>`; exit code 1 if any failed.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ChannelManager, FileChannelStore, SqliteChannelStore, ThinClient, loadConfig, type ChannelStore, type ClientEvent, type ThinClientConfig } from 'katzenpost-rx';
import { concatMap, firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';

/** A hang is a failure, not a stuck CI run. */
const CHECK_DEADLINE_MS = 120_000;
const smokeNode = process.env['KPRX_SMOKE_NODE'] ?? 'node';
const runArgs = JSON.parse(process.env['KPRX_SMOKE_RUN_ARGS'] ?? '[]') as string[];
const packageDir = join(process.cwd(), 'node_modules', 'katzenpost-rx');
const work = mkdtempSync(join(tmpdir(), 'kprx-smoke-'));
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const equal = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
/** Deterministic bytes (no crypto needed for test data). */
const pattern = (length: number, salt: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (i * 31 + salt) & 0xff);

let failures = 0;

/** Runs one check under a deadline and prints its line. */
async function check(name: string, body: () => Promise<string>): Promise<void> {
  const started = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result after ${CHECK_DEADLINE_MS / 1000} s`)), CHECK_DEADLINE_MS);
  });
  try {
    const detail = await Promise.race([body(), deadline]);
    console.log(`SMOKE ${name} ok ${Math.round(performance.now() - started)} ${detail}`);
  } catch (error) {
    failures++;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.log(`SMOKE ${name} FAIL ${Math.round(performance.now() - started)} ${reason.replace(/\s+/g, ' ')}`);
  } finally {
    clearTimeout(timer);
  }
}

function expectTrue(condition: boolean, what: string): void {
  if (!condition) throw new Error(what);
}

/** kpsim from the installed package, answering `stats` on its stdin. */
class Kpsim {
  private readonly lines: string[] = [];
  private waiting: { resolve: (line: string) => void; reject: (error: Error) => void } | null = null;
  private exited: Error | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const waiting = this.waiting;
      this.waiting = null;
      if (waiting) waiting.resolve(line);
      else this.lines.push(line);
    });
    child.once('exit', (code) => {
      this.exited = new Error(`kpsim exited (${String(code)})`);
      this.waiting?.reject(this.exited);
    });
  }

  static async start(toml: string): Promise<Kpsim> {
    // 1000× real time; a week-long epoch and a day of session grace: nothing changes under the checks.
    const args = ['--tcp', '127.0.0.1:0', '--time-scale', '0.001', '--epoch-period-ms', '604800000', '--grace-period-ms', '86400000', '--seed', 'runtime-matrix', '--write-config', toml];
    const sim = new Kpsim(spawn(smokeNode, [join(packageDir, 'dist', 'cli', 'kpsim.js'), ...args], { stdio: 'pipe' }));
    while (!(await sim.nextLine()).startsWith('kpsim: wrote ')) {
      // the listening line and the config come first
    }
    return sim;
  }

  private nextLine(): Promise<string> {
    const line = this.lines.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  /** The simulator's counters (`stats` command). */
  async stats(): Promise<{ arqInFlight: number }> {
    this.child.stdin.write('stats\n');
    for (;;) {
      const line = await this.nextLine();
      if (line.startsWith('kpsim: {')) return JSON.parse(line.slice('kpsim: '.length)) as { arqInFlight: number };
    }
  }

  /** Asks `stats` until `predicate` holds (bounded: each answer takes a round trip to the simulator). */
  async until(predicate: (stats: { arqInFlight: number }) => boolean, what: string): Promise<void> {
    for (let i = 0; i < 2000; i++) if (predicate(await this.stats())) return;
    throw new Error(`kpsim never reported ${what}`);
  }

  stop(): void {
    this.child.stdin.end('quit\n');
  }
}

/** Runs `pigeonhole-cp` on this runtime; its stdout. */
function pigeonholeCp(args: readonly string[]): Promise<string> {
  const child = spawn(process.execPath, [...runArgs, join(packageDir, 'dist', 'cli', 'pigeonhole-cp.js'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Uint8Array) => (stdout += new TextDecoder().decode(chunk)));
  child.stderr.on('data', (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`pigeonhole-cp ${args[0]!} exited ${String(code)}: ${stderr.trim().split('\n').pop() ?? ''}`))));
  });
}

/** The durable store the application would pick: SQLite where a driver works, else the file store. */
async function openDurableStore(name: string): Promise<{ store: ChannelStore; kind: string }> {
  if (await SqliteChannelStore.isAvailable()) {
    const store = await SqliteChannelStore.open(join(work, `${name}.db`));
    return { store, kind: `SqliteChannelStore on ${store.backend}` };
  }
  return { store: await FileChannelStore.open(join(work, `${name}.json`)), kind: 'FileChannelStore (no SQLite driver here)' };
}

const toml = join(work, 'thinclient.toml');
const sim = await Kpsim.start(toml);
let client: ThinClient | undefined;
try {
  const config: ThinClientConfig = await loadConfig(toml);

  await check('connect-and-events', async () => {
    client = new ThinClient(config);
    const seen: string[] = [];
    const subscription = client.events$.subscribe((event: ClientEvent) => seen.push(event.type));
    await client.connect();
    subscription.unsubscribe();
    const state = await firstValueFrom(client.state$);
    expectTrue(state.daemon === 'connected' && state.mixnet, `state ${state.daemon}/${String(state.mixnet)}`);
    for (const type of ['connection_status_event', 'new_pki_document_event']) expectTrue(seen.includes(type), `no ${type} (saw ${seen.join(', ')})`);
    return `events: ${[...new Set(seen)].join(', ')}`;
  });
  if (client === undefined || !client.isConnected()) throw new Error('not connected: the other checks need a client');
  const c = client;

  await check('echo-send', async () => {
    const echo = c.getService('echo').toDestination();
    const reply = await firstValueFrom(c.send(utf8('ping from the matrix'), echo));
    expectTrue(new TextDecoder().decode(reply.subarray(0, 20)) === 'ping from the matrix', 'the echo did not return the payload');
    return `${reply.length}-byte reply`;
  });

  await check('write-read', async () => {
    const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(c.newKeypair(pattern(32, 1)));
    await firstValueFrom(c.write(writeCap, firstMessageIndex, utf8('hello Bob')));
    const read = await firstValueFrom(c.read(readCap, firstMessageIndex));
    expectTrue(new TextDecoder().decode(read) === 'hello Bob', 'read back something else');
    return 'one box written and read back';
  });

  await check('readStream-multi-box', async () => {
    const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(c.newKeypair(pattern(32, 2)));
    const payload = pattern(4 * c.pigeonholeGeometry().maxPlaintextPayloadLength, 3);
    const progress = await lastValueFrom(c.writeStream$(writeCap, firstMessageIndex, payload));
    const chunks = await lastValueFrom(c.readStream$(readCap, firstMessageIndex).pipe(toArray()));
    const joined = new Uint8Array(chunks.reduce((n, chunk) => n + chunk.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      joined.set(chunk, at);
      at += chunk.length;
    }
    expectTrue(progress.totalBoxes > 1 && equal(joined, payload), `${payload.length} bytes written in ${progress.totalBoxes} boxes, ${joined.length} read back`);
    return `${payload.length} bytes over ${progress.totalBoxes} boxes`;
  });

  await check('cancel-by-unsubscribe', async () => {
    const { readCap, firstMessageIndex } = await firstValueFrom(c.newKeypair(pattern(32, 4)));
    // A read of a box nobody writes: the daemon retries it until cancelled.
    const subscription = c.read(readCap, firstMessageIndex).subscribe({ error: () => undefined });
    await sim.until((s) => s.arqInFlight === 1, 'the read in flight');
    subscription.unsubscribe();
    await sim.until((s) => s.arqInFlight === 0, 'the read cancelled');
    // The daemon answers in order: once this reply is in, so is the cancel's.
    await firstValueFrom(c.nextMessageBoxIndex(firstMessageIndex));
    expectTrue(c.pendingRequestCount === 0, `${c.pendingRequestCount} requests still pending`);
    return 'the daemon stopped retrying the read';
  });

  await check('durable-channel', async () => {
    const writer = await openDurableStore('writer');
    const reader = await openDurableStore('reader');
    try {
      const channel = await new ChannelManager(c, writer.store).createChannel('smoke');
      for (const text of ['first', 'second']) await firstValueFrom(channel.send(utf8(text)));
      const inbox = await new ChannelManager(c, reader.store).importChannel('from-smoke', await channel.shareReadCapability());
      const got = await firstValueFrom(
        inbox.messages$().pipe(
          concatMap(async (m) => {
            await inbox.markRead(m.id);
            return new TextDecoder().decode(m.plaintext);
          }),
          take(2),
          toArray(),
        ),
      );
      expectTrue(got.join(',') === 'first,second', `received ${got.join(',')}`);
    } finally {
      await writer.store.close();
      await reader.store.close();
    }
    // Reopened: the indices survived.
    const again = await openDurableStore('writer');
    try {
      const info = await (await new ChannelManager(c, again.store).get('smoke')).info();
      expectTrue(info.writePosition === 2 && info.pending === 0, `after reopening: write position ${info.writePosition}, ${info.pending} pending`);
    } finally {
      await again.store.close();
    }
    return writer.kind;
  });

  await check('pigeonhole-cp', async () => {
    const key = join(work, 'alice.key');
    const file = join(work, 'report.bin');
    const inbox = mkdtempSync(join(work, 'inbox-'));
    const content = pattern(3 * c.pigeonholeGeometry().maxPlaintextPayloadLength, 5);
    writeFileSync(file, content);
    const genkey = await pigeonholeCp(['genkey', '--key', key, '--config', toml]);
    const cap = genkey.split('\n').find((line) => line.startsWith('kprx1:'));
    if (cap === undefined) throw new Error(`genkey printed no read capability: ${genkey}`);
    await pigeonholeCp(['send', file, '--key', key, '--config', toml]);
    await pigeonholeCp(['receive', inbox, '--cap', cap, '--config', toml]);
    expectTrue(equal(readFileSync(join(inbox, 'report.bin')), content), 'the received file differs');
    return `${content.length} bytes sent and received`;
  });
} finally {
  await client?.close();
  sim.stop();
  rmSync(work, { recursive: true, force: true });
}
process.exit(failures === 0 ? 0 : 1);
