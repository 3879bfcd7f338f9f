import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { encodeReadCapability } from '../../src/channels/read-capability.js';
import { encodeFileHeader } from '../../src/cli/pigeonhole-cp/file-header.js';
import { loadReceiveState } from '../../src/cli/pigeonhole-cp/receive-state.js';
import { runPigeonholeCp } from '../../src/cli/pigeonhole-cp/run-pigeonhole-cp.js';
import { ThinClient } from '../../src/client/thin-client.js';
import { toHex } from '../../src/core/hex.js';
import { blake2b256 } from '../../src/pki/blake2b256.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Runs the real bin in its own process (through tsx), as a user would with npx. */
function cli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env['NODE_OPTIONS'];
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', join(root, 'node_modules/tsx/dist/loader.mjs'), join(root, 'src/cli/pigeonhole-cp.ts'), ...args], { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** Runs the program in this process (for the quick cases). */
async function inProcess(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runPigeonholeCp(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), stderrIsTTY: false });
  return { code, stdout, stderr };
}

let sim: SimulatorHandle;
let dir: string;
let config: string;

beforeAll(async () => {
  // No send slots (every operation takes 20 simulated ms): the test measures the tool, not Poisson queueing.
  sim = await startSpecSimulator({ realTime: 'the tool runs as separate processes; only the received files are asserted', fixedLatencyMs: 20, seed: 'pigeonhole-cp' });
  dir = mkdtempSync(join(tmpdir(), 'kprx-pcp-'));
  config = join(dir, 'sim.toml');
  writeFileSync(config, sim.thinClientToml());
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('pigeonhole-cp against one running simulator', () => {
  it('sends a 5 MB file and receives it byte for byte in two separate invocations, digest checked, with progress', async () => {
    const work = join(dir, 'big');
    mkdirSync(join(work, 'inbox'), { recursive: true });
    const content = new Uint8Array(5 * 1024 * 1024);
    for (let i = 0; i < content.length; i += 65536) globalThis.crypto.getRandomValues(content.subarray(i, i + 65536));
    writeFileSync(join(work, 'big.bin'), content);
    const digest = toHex(blake2b256(content));

    const genkey = await cli(['genkey', '--key', 'alice.key', '--config', config], work);
    expect(genkey.code).toBe(0);
    const cap = genkey.stdout.trim().split('\n').pop()!;
    expect(cap).toMatch(/^kprx1:/);
    expect(genkey.stdout).not.toMatch(/writeCap/i);

    // real-time: the durations are printed for the reader, never asserted
    let t = Date.now();
    const send = await cli(['send', 'big.bin', '--key', 'alice.key', '--config', config, '--window', '32'], work);
    expect(send.stderr).not.toMatch(/pigeonhole-cp:/);
    expect(send.code).toBe(0);
    expect(send.stdout).toMatch(new RegExp(`^sent big\\.bin \\(5242880 bytes, 3385 boxes\\) in [\\d.]+ s, .*blake2b-256 ${digest}`));
    const sendLines = send.stderr.trim().split('\n');
    expect(sendLines.length).toBeGreaterThanOrEqual(20);
    for (const line of sendLines) expect(line).toMatch(/^send \d+% \d+\/3385 boxes [\d.]+ [KM]?i?B\/5\.00 MiB ([\d.]+ [KM]?i?B|\?)\/s ETA (\d+s|\?)$/);
    expect(sendLines[sendLines.length - 1]).toMatch(/^send 100% 3385\/3385 boxes 5\.00 MiB\/5\.00 MiB/);

    const sendMs = Date.now() - t; // real-time: printed only
    t = Date.now(); // real-time: printed only
    const receive = await cli(['receive', 'inbox', '--cap', cap, '--config', config, '--window', '32'], work);
    expect(receive.stderr).not.toMatch(/pigeonhole-cp:/);
    expect(receive.code).toBe(0);
    expect(receive.stdout).toMatch(new RegExp(`^received .*inbox/big\\.bin \\(5242880 bytes, 3385 boxes\\).*blake2b-256 verified ${digest}`));
    const receiveLines = receive.stderr.trim().split('\n');
    expect(receiveLines.length).toBeGreaterThanOrEqual(20);
    expect(receiveLines[receiveLines.length - 1]).toMatch(/^receive 100% 3385\/3385 boxes 5\.00 MiB\/5\.00 MiB/);
    // real-time: printed only
    process.stdout.write(`pigeonhole-cp 5 MiB through the simulator: send ${sendMs} ms, receive ${Date.now() - t} ms (each a separate process, incl. start-up)\n`);
    expect(Buffer.compare(readFileSync(join(work, 'inbox', 'big.bin')), Buffer.from(content))).toBe(0);
  });

  it('resumes from the persisted position, never overwrites, does not save a file twice, and speaks JSON', async () => {
    const work = join(dir, 'resume');
    const inbox = join(work, 'inbox');
    mkdirSync(inbox, { recursive: true });
    writeFileSync(join(work, 'one.txt'), 'first file');
    writeFileSync(join(work, 'two.txt'), 'second file');
    writeFileSync(join(inbox, 'two.txt'), 'someone else’s file');
    const key = join(work, 'k.key');
    const genkey = await inProcess(['genkey', '--key', key, '--config', config, '--json']);
    const { readCapability } = JSON.parse(genkey.stdout.trim().split('\n').pop()!) as { readCapability: string };
    for (const f of ['one.txt', 'two.txt']) expect((await inProcess(['send', join(work, f), '--key', key, '--config', config])).code).toBe(0);

    const first = await inProcess(['receive', inbox, '--cap', readCapability, '--config', config, '--json']);
    expect(first.code).toBe(0);
    const events = first.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events.some((e) => e['event'] === 'progress-done' && e['direction'] === 'receive')).toBe(true);
    expect(events[events.length - 1]).toMatchObject({ event: 'received', name: 'one.txt', size: 10, verified: true, duplicate: false });

    const second = await inProcess(['receive', inbox, '--cap', readCapability, '--config', config, '--json']);
    expect(JSON.parse(second.stdout.trim().split('\n').pop()!)).toMatchObject({ event: 'received', name: 'two.txt', path: join(inbox, 'two (1).txt') });
    expect(readFileSync(join(inbox, 'two.txt'), 'utf8')).toBe('someone else’s file');
    expect(readFileSync(join(inbox, 'two (1).txt'), 'utf8')).toBe('second file');

    // Lose the state file (as if the last run died before saving it): the same file is recognised, not saved again.
    for (const name of readdirSync(inbox).filter((n) => n.endsWith('.state.json'))) rmSync(join(inbox, name));
    const again = await inProcess(['receive', inbox, '--cap', readCapability, '--config', config]);
    expect(again.stdout).toMatch(/one\.txt \(10 bytes, 1 boxes, already here: not saved again\)/);
    expect(readdirSync(inbox).filter((n) => !n.startsWith('.')).sort()).toEqual(['one.txt', 'two (1).txt', 'two.txt']);
  });

  it('refuses content whose BLAKE2b-256 does not match, saving nothing and keeping the position', async () => {
    const inbox = join(dir, 'mismatch');
    mkdirSync(inbox);
    const client = await ThinClient.connect(sim.config);
    try {
      const keys = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(7)));
      const header = encodeFileHeader({ name: '../../evil.sh', size: 5, digest: blake2b256(new TextEncoder().encode('other')) });
      await lastValueFrom(client.writeStream$(keys.writeCap, keys.firstMessageIndex, new Uint8Array([...header, ...new TextEncoder().encode('hello')])));
      const cap = encodeReadCapability({ readCap: keys.readCap, startIndex: keys.firstMessageIndex });
      const result = await inProcess(['receive', inbox, '--cap', cap, '--config', config]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/DigestMismatchError: BLAKE2b-256 mismatch.*run receive again with --skip-bad to step past it/);
      // No file, no temporary file; the state (written box by box) keeps the stream's start and no file in progress.
      const left = readdirSync(inbox);
      expect(left.filter((n) => !n.endsWith('.state.json'))).toEqual([]);
      const state = await loadReceiveState(join(inbox, left[0]!), keys.readCap);
      expect(state).toMatchObject({ nextIndex: keys.firstMessageIndex, partial: null, received: [] });
    } finally {
      await client.close();
    }
  });

  it('keeps received names inside the destination directory', async () => {
    const inbox = join(dir, 'names');
    mkdirSync(inbox);
    const client = await ThinClient.connect(sim.config);
    try {
      const keys = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(8)));
      const content = new TextEncoder().encode('#!/bin/sh\n');
      const header = encodeFileHeader({ name: '../../evil.sh', size: content.length, digest: blake2b256(content) });
      await lastValueFrom(client.writeStream$(keys.writeCap, keys.firstMessageIndex, new Uint8Array([...header, ...content])));
      const cap = encodeReadCapability({ readCap: keys.readCap, startIndex: keys.firstMessageIndex });
      expect((await inProcess(['receive', inbox, '--cap', cap, '--config', config])).code).toBe(0);
      expect(readdirSync(inbox).filter((n) => !n.startsWith('.pigeonhole-cp-'))).toEqual(['___.._evil.sh']);
      expect(existsSync(join(dir, 'evil.sh'))).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('reports usage errors with exit code 2 and bad input with 1, without echoing secrets', async () => {
    const noKey = await inProcess(['send', 'x']);
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/required option '--key <file>'/);
    const badCap = await inProcess(['receive', dir, '--cap', 'kprx1:not-a-capability', '--config', config]);
    expect(badCap.code).toBe(1);
    expect(badCap.stderr).toMatch(/ReadCapabilityFormatError/);
    expect(badCap.stderr).not.toContain('not-a-capability');
    expect((await inProcess(['--help'])).code).toBe(0);
  });
});
