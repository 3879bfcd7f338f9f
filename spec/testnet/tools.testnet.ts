/**
 * The project's tools on the real network, as a user runs them:
 * `pigeonhole-cp` (separate processes: genkey, send, receive) and
 * `ChannelManager` with the SQLite store (Alice and Bob, each with their
 * own client and database).
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, take, toArray } from 'rxjs';
import { ChannelManager, SqliteChannelStore, blake2b256, bytesEqual, toHex, type ThinClient } from 'katzenpost-rx';
import type { Testnet } from '../../testnet/testnet.js';
import { attachTestnet, check, connectTo, pattern, text, utf8 } from './support/testnet-env.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let net: Testnet;
let work: string;

beforeAll(async () => {
  net = await attachTestnet();
  work = await mkdtemp(path.join(os.tmpdir(), 'kprx-testnet-tools-'));
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Runs the `pigeonhole-cp` bin in its own process (through tsx, like `npx pigeonhole-cp`). */
function pigeonholeCp(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  const child = spawn(process.execPath, ['--import', path.join(root, 'node_modules/tsx/dist/loader.mjs'), path.join(root, 'src/cli/pigeonhole-cp.ts'), ...args], { cwd: work, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((done) => child.on('exit', (code) => done({ code, stdout, stderr })));
}

describe('pigeonhole-cp', () => {
  check('send then receive a file: byte-identical, BLAKE2b-256 checked', 420_000, async () => {
    const config = net.thinClientToml();
    const content = pattern(3 * 1549, 11);
    await writeFile(path.join(work, 'report.bin'), content);
    const genkey = await pigeonholeCp(['genkey', '--key', 'alice.key', '--config', config]);
    expect(genkey.code).toBe(0);
    const cap = (genkey.stdout + genkey.stderr).match(/kprx1:\S+/)?.[0];
    expect(cap).toBeDefined();
    const sent = await pigeonholeCp(['send', 'report.bin', '--key', 'alice.key', '--config', config]);
    expect({ code: sent.code, output: sent.stderr + sent.stdout }).toEqual({ code: 0, output: expect.stringMatching(/sent report\.bin/) });
    await mkdir(path.join(work, 'inbox'));
    const received = await pigeonholeCp(['receive', 'inbox', '--cap', cap!, '--config', config]);
    expect({ code: received.code, stderr: received.stderr }).toEqual({ code: 0, stderr: expect.any(String) });
    const digest = toHex(blake2b256(content));
    expect(received.stderr + received.stdout).toContain(`blake2b-256 verified ${digest}`);
    expect(await readdir(path.join(work, 'inbox'))).toContain('report.bin');
    expect(bytesEqual(new Uint8Array(await readFile(path.join(work, 'inbox', 'report.bin'))), content)).toBe(true);
  });
});

describe('ChannelManager with SQLite', () => {
  check('Alice sends two messages, Bob imports the shared capability and receives them in order', 300_000, async () => {
    let alice: ThinClient | null = null;
    let bob: ThinClient | null = null;
    const aliceStore = await SqliteChannelStore.open(path.join(work, 'alice.db'));
    const bobStore = await SqliteChannelStore.open(path.join(work, 'bob.db'));
    try {
      alice = await connectTo(net);
      bob = await connectTo(net);
      const aliceManager = new ChannelManager(alice, aliceStore);
      const bobManager = new ChannelManager(bob, bobStore);
      await aliceManager.recover();
      const toBob = await aliceManager.createChannel('to-bob');
      const first = await firstValueFrom(toBob.send(utf8('hi Bob')));
      const second = await firstValueFrom(toBob.send(utf8('it is a real mixnet')));
      expect([first.position, second.position]).toEqual([0, 1]);
      expect((await toBob.sentHistory()).length).toBe(2);

      const fromAlice = await bobManager.importChannel('from-alice', await toBob.shareReadCapability());
      const messages = await firstValueFrom(fromAlice.messages$().pipe(take(2), toArray()));
      expect(messages.map((m) => text(m.plaintext))).toEqual(['hi Bob', 'it is a real mixnet']);
      await fromAlice.markRead(messages.map((m) => m.id));
      expect(await fromAlice.unread()).toEqual([]);
      // Persisted: the history survives in Bob's database.
      expect((await fromAlice.history()).map((m) => text(m.plaintext))).toEqual(['hi Bob', 'it is a real mixnet']);
    } finally {
      await alice?.close();
      await bob?.close();
      await aliceStore.close();
      await bobStore.close();
    }
  });
});
