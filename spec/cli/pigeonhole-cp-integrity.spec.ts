import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lastValueFrom } from 'rxjs';
import { encodeFileHeader } from '../../src/cli/pigeonhole-cp/file-header.js';
import { loadKeyFile } from '../../src/cli/pigeonhole-cp/key-file.js';
import { defaultStatePath, loadReceiveState } from '../../src/cli/pigeonhole-cp/receive-state.js';
import { ThinClient } from '../../src/client/thin-client.js';
import { streamBoxCount } from '../../src/client/streams/stream-framing.js';
import { blake2b256 } from '../../src/pki/blake2b256.js';
import { thinClientToml, type SimulatorHandle } from '../../src/sim/index.js';
import { FaultProxy } from '../faults/support/fault-proxy.js';
import { countBoxOperations, describeFigures, randomBox, resultEvent, runCli, stopAt, stoppedAt, type ResumeFigures } from './support/interrupted-transfer.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

/**
 * pigeonhole-cp loses nothing (issue 13): a stale key file fails loudly at
 * send time and a receiver recovers; an interrupted 3 MB transfer resumes
 * within a few boxes, both directions; a foreign stream can be stepped
 * past; the daemon going away shows and, past --daemon-timeout, fails
 * resumably; missing files and directories get clear errors.
 */
let sim: SimulatorHandle;
let dir: string;
let config: string;

beforeAll(async () => {
  // Fixed latency, no send slots: the transfer is quick and its pace regular.
  sim = await startSpecSimulator({ realTime: 'the tool is stopped at box counts, not times; files and boxes are asserted', fixedLatencyMs: 20, seed: 'pigeonhole-cp-integrity' });
  dir = mkdtempSync(join(tmpdir(), 'kprx-pcp-integrity-'));
  config = join(dir, 'sim.toml');
  writeFileSync(config, sim.thinClientToml());
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A fresh work directory with an inbox and a new channel. */
async function channel(name: string): Promise<{ work: string; inbox: string; key: string; cap: string }> {
  const work = join(dir, name);
  const inbox = join(work, 'inbox');
  mkdirSync(inbox, { recursive: true });
  const key = join(work, 'alice.key');
  const genkey = await runCli(['genkey', '--key', key, '--config', config]);
  expect(genkey.code).toBe(0);
  return { work, inbox, key, cap: resultEvent(genkey, 'genkey')['readCapability'] as string };
}

function randomFile(path: string, size: number): Uint8Array {
  const content = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) globalThis.crypto.getRandomValues(content.subarray(i, Math.min(size, i + 65536)));
  writeFileSync(path, content);
  return content;
}

const THREE_MB = 3 * 1024 * 1024;

/** Boxes of a file's stream (header and content) at the simulator's geometry. */
async function boxesOf(size: number, name: string): Promise<number> {
  const client = await ThinClient.connect(sim.config);
  try {
    const header = encodeFileHeader({ name, size, digest: new Uint8Array(32) });
    return streamBoxCount(header.length + size, client.pigeonholeGeometry().maxPlaintextPayloadLength);
  } finally {
    await client.close();
  }
}

describe('a stale key file (issue 13, defect 1)', () => {
  it('fails the send loudly, before writing anything, and the receiver gets every file once the key file is resynced', async () => {
    const { work, inbox, key, cap } = await channel('stale');
    const copy = join(work, 'backup.key');
    copyFileSync(key, copy); // a backup, or the key on a second machine
    writeFileSync(join(work, 'a.txt'), 'file A, sent with the copy');
    writeFileSync(join(work, 'b.txt'), 'file B, sent with the original: it must not vanish');

    expect((await runCli(['send', join(work, 'a.txt'), '--key', copy, '--config', config])).code).toBe(0);
    const boxesBefore = sim.stats().boxes;
    const stale = await runCli(['send', join(work, 'b.txt'), '--key', key, '--config', config]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toMatch(/StaleKeyFileError: the channel's next box already holds other content/);
    expect(stale.stderr).toMatch(/pigeonhole-cp resync --key/);
    expect(sim.stats().boxes).toBe(boxesBefore); // nothing written
    expect((await loadKeyFile(key)).pending).toBeNull(); // and no trace of the refused send

    // The receiver gets A, undisturbed.
    const first = await runCli(['receive', inbox, '--cap', cap, '--config', config]);
    expect(resultEvent(first, 'received')).toMatchObject({ name: 'a.txt', verified: true });

    // The way out the error names: resync the original past A, then B goes after it — and arrives.
    expect(resultEvent(await runCli(['resync', '--key', key, '--config', config]), 'resync')).toMatchObject({ streams: 1, boxes: 1 });
    expect((await runCli(['send', join(work, 'b.txt'), '--key', key, '--config', config])).code).toBe(0);
    const second = await runCli(['receive', inbox, '--cap', cap, '--config', config]);
    expect(resultEvent(second, 'received')).toMatchObject({ name: 'b.txt', verified: true });
    expect(readFileSync(join(inbox, 'b.txt'), 'utf8')).toBe('file B, sent with the original: it must not vanish');
  });

  it('resync moves a stale key file past the streams already in the channel; its next send arrives', async () => {
    const { work, inbox, key, cap } = await channel('resync');
    const copy = join(work, 'backup.key');
    copyFileSync(key, copy);
    writeFileSync(join(work, 'one.txt'), 'one');
    writeFileSync(join(work, 'two.bin'), new Uint8Array(5000).fill(2)); // several boxes
    writeFileSync(join(work, 'three.txt'), 'three');
    for (const f of ['one.txt', 'two.bin']) expect((await runCli(['send', join(work, f), '--key', copy, '--config', config])).code).toBe(0);

    const resync = await runCli(['resync', '--key', key, '--config', config]);
    expect(resultEvent(resync, 'resync')).toMatchObject({ streams: 2, boxes: 1 + 4 });
    expect((await runCli(['send', join(work, 'three.txt'), '--key', key, '--config', config])).code).toBe(0);
    const received = await runCli(['receive', inbox, '--cap', cap, '--config', config, '--count', '3']);
    expect(received.events.filter((e) => e['event'] === 'received').map((e) => e['name'])).toEqual(['one.txt', 'two.bin', 'three.txt']);
  });
});

describe('an interrupted 3 MB transfer resumes within a few boxes (issue 13, defect 4)', () => {
  const figures: ResumeFigures[] = [];
  afterAll(() => {
    for (const f of figures) process.stdout.write(`pigeonhole-cp resume, ${describeFigures(f)}\n`);
  });

  /** A config through a proxy that counts the box operations reaching the daemon. */
  async function countingDaemon(work: string): Promise<{ config: string; operations: () => number; proxy: FaultProxy }> {
    const proxy = await FaultProxy.start(sim.address);
    const path = join(work, 'counting.toml');
    writeFileSync(path, thinClientToml(proxy.config));
    return { config: path, operations: countBoxOperations(proxy), proxy };
  }

  it('send: stopped at a random box, the same command continues from the last confirmed box', async () => {
    const { work, inbox, key, cap } = await channel('resume-send');
    const content = randomFile(join(work, 'big.bin'), THREE_MB);
    const total = await boxesOf(THREE_MB, 'big.bin');
    const counting = await countingDaemon(work);
    try {
      const stopAtBox = randomBox(total);
      const stopped = await runCli(['send', join(work, 'big.bin'), '--key', key, '--config', counting.config], stopAt(stopAtBox));
      expect(stopped.code).toBe(130);
      const when = stoppedAt(stopped);
      expect(when.totalBoxes).toBe(total);
      expect((await loadKeyFile(key)).pending!.resumeFrom!.box).toBe(when.resumeAtBox);

      const resumed = await runCli(['send', join(work, 'big.bin'), '--key', key, '--config', counting.config]);
      expect(resumed.code).toBe(0);
      expect(resultEvent(resumed, 'sent')).toMatchObject({ resumed: true, resumedAtBox: when.resumeAtBox, boxesWritten: total - when.resumeAtBox, boxes: total });
      const f: ResumeFigures = { direction: 'send', totalBoxes: total, stopAtBox, doneWhenStopped: when.boxes, resumedAtBox: when.resumeAtBox, operations: counting.operations() };
      figures.push(f);
      // Within a few boxes: behind by what finished out of order, repeating at most what was in flight.
      expect(f.doneWhenStopped - f.resumedAtBox).toBeLessThanOrEqual(8);
      expect(f.operations - total).toBeLessThanOrEqual(16);
    } finally {
      await counting.proxy.stop();
    }
    const received = await runCli(['receive', inbox, '--cap', cap, '--config', config]);
    expect(resultEvent(received, 'received')).toMatchObject({ name: 'big.bin', verified: true });
    expect(Buffer.compare(readFileSync(join(inbox, 'big.bin')), Buffer.from(content))).toBe(0);
  });

  it('receive: stopped at a random box, the same command continues at the box after the last one saved', async () => {
    const { work, inbox, key, cap } = await channel('resume-receive');
    const content = randomFile(join(work, 'big.bin'), THREE_MB);
    expect((await runCli(['send', join(work, 'big.bin'), '--key', key, '--config', config])).code).toBe(0);
    const total = await boxesOf(THREE_MB, 'big.bin');
    const counting = await countingDaemon(work);
    try {
      const stopAtBox = randomBox(total);
      const stopped = await runCli(['receive', inbox, '--cap', cap, '--config', counting.config], stopAt(stopAtBox));
      expect(stopped.code).toBe(130);
      const when = stoppedAt(stopped);
      const { readCap } = await loadKeyFile(key);
      const partial = (await loadReceiveState(defaultStatePath(inbox, readCap), readCap))!.partial!;
      expect(partial.resumeFrom.box).toBe(when.resumeAtBox);
      // The temporary file holds at least what the state vouches for; nothing is published yet.
      expect(statSync(join(inbox, partial.tempName)).size).toBeGreaterThanOrEqual(partial.contentBytes);
      expect(readdirSync(inbox).filter((n) => !n.startsWith('.'))).toEqual([]);

      const resumed = await runCli(['receive', inbox, '--cap', cap, '--config', counting.config]);
      expect(resumed.code).toBe(0);
      expect(resultEvent(resumed, 'received')).toMatchObject({ name: 'big.bin', verified: true, resumedAtBox: when.resumeAtBox, boxes: total });
      const f: ResumeFigures = { direction: 'receive', totalBoxes: total, stopAtBox, doneWhenStopped: when.boxes, resumedAtBox: when.resumeAtBox, operations: counting.operations() };
      figures.push(f);
      // Saved box by box; repeated: at most the reads in flight or held for order (the window, 16).
      expect(f.doneWhenStopped - f.resumedAtBox).toBeLessThanOrEqual(1);
      expect(f.operations - total).toBeLessThanOrEqual(32);
    } finally {
      await counting.proxy.stop();
    }
    expect(Buffer.compare(readFileSync(join(inbox, 'big.bin')), Buffer.from(content))).toBe(0);
    expect(readdirSync(inbox).filter((n) => n.endsWith('.part'))).toEqual([]);
  });
});

describe('a foreign or damaged stream (issue 13, defect 1)', () => {
  it('stops the receive with a way past it; --skip-bad steps past it and later files arrive', async () => {
    const { work, inbox, key, cap } = await channel('foreign');
    const client = await ThinClient.connect(sim.config);
    try {
      const keys = await loadKeyFile(key);
      // Someone with the write cap puts a stream that is not a pigeonhole-cp file first…
      const progress = await lastValueFrom(client.writeStream$(keys.writeCap, keys.nextIndex, new Uint8Array(4000).fill(0x41)));
      // …and one whose digest does not match.
      const header = encodeFileHeader({ name: 'damaged.txt', size: 5, digest: blake2b256(new TextEncoder().encode('other')) });
      const damaged = await lastValueFrom(client.writeStream$(keys.writeCap, progress.nextIndex!, new Uint8Array([...header, ...new TextEncoder().encode('hello')])));
      // The key file continues after them (as a resync would).
      const { saveKeyFile } = await import('../../src/cli/pigeonhole-cp/key-file.js');
      await saveKeyFile(key, { ...keys, nextIndex: damaged.nextIndex! });
    } finally {
      await client.close();
    }
    writeFileSync(join(work, 'good.txt'), 'the file after them');
    expect((await runCli(['send', join(work, 'good.txt'), '--key', key, '--config', config])).code).toBe(0);

    const stuck = await runCli(['receive', inbox, '--cap', cap, '--config', config]);
    expect(stuck.code).toBe(1);
    expect(stuck.stderr).toMatch(/ForeignStreamError: not a pigeonhole-cp stream \(bad magic\).*--skip-bad/);

    const past = await runCli(['receive', inbox, '--cap', cap, '--config', config, '--skip-bad']);
    expect(past.code).toBe(0);
    expect(past.events.filter((e) => e['event'] === 'skipped').map((e) => e['reason'])).toEqual(['not a pigeonhole-cp stream (bad magic)', 'BLAKE2b-256 mismatch']);
    expect(resultEvent(past, 'received')).toMatchObject({ name: 'good.txt', verified: true });
    expect(readdirSync(inbox).filter((n) => !n.startsWith('.'))).toEqual(['good.txt']);
  });
});

describe('the daemon going away during a transfer (issue 13, defect 5)', () => {
  it('shows "daemon lost" and "back" in the progress and the JSON, and completes', async () => {
    const { work, inbox, key, cap } = await channel('daemon-drop');
    randomFile(join(work, 'mid.bin'), 400_000);
    let dropped = false;
    // The connection drops once the transfer is under way.
    const run = await runCli(['send', join(work, 'mid.bin'), '--key', key, '--config', config], (event) => {
      if (!dropped && event['event'] === 'progress') {
        dropped = true;
        sim.dropConnections();
      }
    });
    expect(dropped).toBe(true);
    expect(run.code).toBe(0);
    const notes = run.events.filter((e) => e['event'] === 'connection');
    expect(notes[0]).toMatchObject({ event: 'connection', direction: 'send', state: 'lost' });
    // Resumed, or — the simulator's clock runs 1000× fast and its 10-minute grace period passes in 0.6 s — a new session.
    expect(notes[1]).toMatchObject({ event: 'connection', direction: 'send', state: 'back' });
    expect(['resumed', 'new']).toContain(notes[1]!['session']);
    expect((await runCli(['receive', inbox, '--cap', cap, '--config', config])).code).toBe(0);
  });

  it('fails with a clear error and exit 1 after --daemon-timeout without it, and the same command resumes later', async () => {
    const { work, key } = await channel('daemon-gone');
    randomFile(join(work, 'mid.bin'), 400_000);
    const proxy = await FaultProxy.start(sim.address);
    const viaProxy = join(work, 'proxy.toml');
    writeFileSync(viaProxy, thinClientToml(proxy.config));
    const gone = await runCliStoppingDaemon(['send', join(work, 'mid.bin'), '--key', key, '--config', viaProxy, '--daemon-timeout', '1'], proxy);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/DaemonUnavailableError: no connection to the daemon for 1 s.*is kpclientd running\? Nothing is lost: run the same command again/);
    expect(gone.events.some((e) => e['event'] === 'connection' && e['state'] === 'lost')).toBe(true);
    expect(gone.events.at(-1)).toMatchObject({ event: 'error' });

    const again = await runCli(['send', join(work, 'mid.bin'), '--key', key, '--config', config]);
    expect(resultEvent(again, 'sent')).toMatchObject({ resumed: true });
  });
});

/** Runs the CLI and stops the proxy (the daemon vanishes) at its first progress event. */
async function runCliStoppingDaemon(args: string[], proxy: FaultProxy) {
  const { runPigeonholeCp } = await import('../../src/cli/pigeonhole-cp/run-pigeonhole-cp.js');
  let stdout = '';
  let stderr = '';
  let stopping: Promise<void> | null = null;
  const code = await runPigeonholeCp([...args, '--json'], {
    stdout: (text) => {
      stdout += text;
      if (stopping === null && text.includes('"event":"progress"')) stopping = proxy.stop();
    },
    stderr: (text) => (stderr += text),
    stderrIsTTY: false,
  });
  await stopping;
  const events = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stdout, stderr, events };
}

describe('clear errors for what is missing (issue 13, defect 8), and safe names (defect 9)', () => {
  it('names the missing file, key file or directory, before dialling any daemon', async () => {
    const { work, key } = await channel('missing');
    const noFile = await runCli(['send', join(work, 'nofile.bin'), '--key', key, '--config', config]);
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toMatch(/InvalidArgumentError: file: no such file: .*nofile\.bin/);
    const noKey = await runCli(['send', join(work, 'nofile.bin'), '--key', join(work, 'none.key')]);
    expect(noKey.stderr).toMatch(/none\.key: no such key file \(make one with: pigeonhole-cp genkey --key/);
    expect(noKey.stderr).not.toMatch(/embedded simulator/); // checked before starting one
    const noDir = await runCli(['receive', join(work, 'nodir'), '--cap', 'kprx1:x']);
    expect(noDir.stderr).toMatch(/InvalidArgumentError: dir: the destination directory .*nodir does not exist \(create it first: mkdir/);
    expect(noDir.stderr).not.toMatch(/realpath|embedded simulator/);
  });

  it('never lets a sender drop a hidden file into the inbox', async () => {
    const { inbox, key, cap } = await channel('hidden');
    const client = await ThinClient.connect(sim.config);
    try {
      const keys = await loadKeyFile(key);
      const content = new TextEncoder().encode('alias ls="rm -rf ~"\n');
      const header = encodeFileHeader({ name: '.bashrc', size: content.length, digest: blake2b256(content) });
      await lastValueFrom(client.writeStream$(keys.writeCap, keys.nextIndex, new Uint8Array([...header, ...content])));
    } finally {
      await client.close();
    }
    const run = await runCli(['receive', inbox, '--cap', cap, '--config', config]);
    expect(resultEvent(run, 'received')).toMatchObject({ name: '.bashrc', path: join(inbox, '_bashrc') });
    expect(readdirSync(inbox).filter((n) => !n.startsWith('.pigeonhole-cp-'))).toEqual(['_bashrc']);
    expect(statSync(join(inbox, '_bashrc')).mode & 0o777).toBe(0o600);
  });
});
