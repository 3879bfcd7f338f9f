import { lstatSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeFileHeader, parseFileHeader } from '../../src/cli/pigeonhole-cp/file-header.js';
import { createKeyFile, loadKeyFile, saveKeyFile } from '../../src/cli/pigeonhole-cp/key-file.js';
import { createProgressReporter, etaSeconds, formatBytes, progressLine } from '../../src/cli/pigeonhole-cp/progress.js';
import { RateEstimator } from '../../src/cli/pigeonhole-cp/rate-estimator.js';
import { loadReceiveState, saveReceiveState } from '../../src/cli/pigeonhole-cp/receive-state.js';
import { SafeFileWriter } from '../../src/cli/pigeonhole-cp/safe-file-writer.js';
import { alternativeFileName, sanitizeFileName } from '../../src/cli/pigeonhole-cp/sanitize-file-name.js';
import { ConfigError, ProtocolError } from '../../src/errors/local-errors.js';
import { blake2b256 } from '../../src/pki/blake2b256.js';

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

describe('sanitizeFileName', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', '___.._etc_passwd'],
    ['..\\..\\windows\\system32', '___.._windows_system32'],
    ['/absolute', '_absolute'],
    ['.', 'received-file'],
    ['..', 'received-file'],
    ['...', 'received-file'],
    ['', 'received-file'],
    ['  ', 'received-file'],
    ['a\u0000b\nc\u001bd\u007fe\u0085f', 'a_b_c_d_e_f'],
    ['harmless\u202Etxt.exe', 'harmless_txt.exe'],
    ['.hidden', '_hidden'],
    ['.bashrc', '_bashrc'],
    ['..ssh', '__ssh'],
    [' .profile', '_profile'],
    ['naïve café.txt', 'naïve café.txt'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFileName(input)).toBe(expected);
  });

  it('cuts long names to 255 UTF-8 bytes at a character boundary, keeping the extension', () => {
    const long = `${'é'.repeat(300)}.tar.gz`;
    const clean = sanitizeFileName(long);
    expect(utf8(clean)).toBeLessThanOrEqual(255);
    expect(clean.endsWith('.gz')).toBe(true);
    expect(clean.includes('\uFFFD')).toBe(false);
    expect(utf8(sanitizeFileName('x'.repeat(1000)))).toBe(255);
  });

  it('numbers alternatives within the limit', () => {
    expect(alternativeFileName('report.pdf', 2)).toBe('report (2).pdf');
    expect(alternativeFileName('README', 1)).toBe('README (1)');
    expect(utf8(alternativeFileName('y'.repeat(255), 12))).toBeLessThanOrEqual(255);
  });
});

describe('pigeonhole-cp file header', () => {
  const digest = blake2b256(new TextEncoder().encode('content'));

  it('round-trips and reports its length, also when it arrives in pieces', () => {
    const header = encodeFileHeader({ name: 'ünï.bin', size: 1234567, digest });
    for (let cut = 0; cut < header.length; cut++) expect(parseFileHeader(header.subarray(0, cut))).toBeNull();
    const withData = new Uint8Array([...header, 1, 2, 3]);
    expect(parseFileHeader(withData)).toEqual({ header: { name: 'ünï.bin', size: 1234567, digest }, length: header.length });
  });

  it('refuses another format or version with a ProtocolError', () => {
    expect(() => parseFileHeader(new TextEncoder().encode('PK\u0003\u0004 a zip file'))).toThrow(ProtocolError);
    const header = encodeFileHeader({ name: 'a', size: 1, digest });
    header[4] = 9;
    expect(() => parseFileHeader(header)).toThrow(/version 9/);
  });
});

describe('SafeFileWriter', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kprx-safe-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const write = async (name: string, text: string): Promise<string> => {
    const out = await SafeFileWriter.create(dir);
    await out.write(new TextEncoder().encode(text));
    return out.commit(name);
  };

  it('publishes under the sanitised name and never overwrites an existing file', async () => {
    writeFileSync(join(dir, 'a.txt'), 'original');
    expect(await write('a.txt', 'new')).toBe(join(dir, 'a (1).txt'));
    expect(await write('a.txt', 'newer')).toBe(join(dir, 'a (2).txt'));
    expect(readFileSync(join(dir, 'a.txt'), 'utf8')).toBe('original');
    expect(readFileSync(join(dir, 'a (2).txt'), 'utf8')).toBe('newer');
    expect(await write('../escape', 'x')).toBe(join(dir, '___escape'));
    expect(readdirSync(dir).filter((n) => n.endsWith('.part'))).toEqual([]);
    expect(statSync(join(dir, 'a (1).txt')).mode & 0o777).toBe(0o600);
  });

  it('does not follow a symlink planted at the final name (dangling or not)', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'kprx-outside-'));
    try {
      writeFileSync(join(outside, 'victim'), 'precious');
      symlinkSync(join(outside, 'victim'), join(dir, 'target'));
      symlinkSync(join(outside, 'nothing-here'), join(dir, 'dangling'));
      expect(await write('target', 'evil')).toBe(join(dir, 'target (1)'));
      expect(await write('dangling', 'evil')).toBe(join(dir, 'dangling (1)'));
      expect(readFileSync(join(outside, 'victim'), 'utf8')).toBe('precious');
      expect(readdirSync(outside)).toEqual(['victim']);
      expect(lstatSync(join(dir, 'target')).isSymbolicLink()).toBe(true);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('discards its temporary file', async () => {
    const out = await SafeFileWriter.create(dir);
    await out.write(new Uint8Array([1, 2, 3]));
    expect(readdirSync(dir).filter((n) => n.endsWith('.part'))).toHaveLength(1);
    await out.discard();
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('progress display', () => {
  it('formats bytes, rate and ETA', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.00 MiB');
    expect(progressLine('send', { boxes: 10, totalBoxes: 40, bytes: 1024 * 1024, totalBytes: 4 * 1024 * 1024 }, 512 * 1024)).toBe(
      'send 25% 10/40 boxes 1.00 MiB/4.00 MiB 512.00 KiB/s ETA 6s',
    );
    expect(progressLine('send', { boxes: 1, totalBoxes: 40, bytes: 1024, totalBytes: 4096 }, null)).toBe('send 25% 1/40 boxes 1.00 KiB/4.00 KiB ?/s ETA ?');
  });

  it('estimates the rate from the recent boxes, leaving out the first (issue 13: "ETA 11058s")', () => {
    // The first box took 30 s (cold start); the next ones arrive every 100 ms with 1 KiB each.
    let clock = 0;
    const rate = new RateEstimator(() => clock);
    clock = 30_000;
    rate.add(1024);
    expect(rate.bytesPerSecond()).toBeNull(); // one box: no rate yet, so no absurd ETA
    for (let box = 2; box <= 100; box++) {
      clock += 100;
      rate.add(box * 1024);
    }
    expect(rate.bytesPerSecond()).toBe(10 * 1024);
    const eta = etaSeconds({ boxes: 100, totalBoxes: 1000, bytes: 100 * 1024, totalBytes: 1000 * 1024 }, rate.bytesPerSecond());
    expect(eta).toBe(90); // 900 boxes at 10 a second — where the elapsed-time average said 300 s
    // It follows a change of speed within its window: now 1 box a second.
    for (let box = 101; box <= 200; box++) {
      clock += 1000;
      rate.add(box * 1024);
    }
    expect(rate.bytesPerSecond()).toBe(1024);
  });

  it('shows the daemon going away and coming back, in lines and in JSON', () => {
    const lines: string[] = [];
    const progress = createProgressReporter('lines', 'send', { write: (t) => lines.push(t) }, () => 0);
    progress.connection({ state: 'lost', attempt: 1, reason: 'connection reset' });
    progress.connection({ state: 'back', session: 'resumed', downSeconds: 2.5 });
    expect(lines).toEqual(['send: daemon lost (connection reset), reconnecting (attempt 1)…\n', 'send: daemon back after 2.5 s (session resumed), continuing\n']);
    const json: string[] = [];
    createProgressReporter('json', 'receive', { write: (t) => json.push(t) }, () => 0).connection({ state: 'back', session: 'restarted', downSeconds: 1 });
    expect(JSON.parse(json[0]!)).toEqual({ event: 'connection', direction: 'receive', state: 'back', session: 'restarted', downSeconds: 1 });
  });

  it('writes one line per whole percent (or second), and always the final state; JSON lines with --json', () => {
    let clock = 0;
    const lines: string[] = [];
    const progress = createProgressReporter('lines', 'receive', { write: (t) => lines.push(t) }, () => clock);
    for (let b = 1; b <= 1000; b++) {
      clock += 1;
      progress.update({ boxes: b, totalBoxes: 1000, bytes: b * 10, totalBytes: 10_000 });
    }
    progress.done({ boxes: 1000, totalBoxes: 1000, bytes: 10_000, totalBytes: 10_000 });
    expect(lines.length).toBe(101); // 0 … 99 %, then the final 100 %
    expect(lines[lines.length - 1]).toMatch(/^receive 100% 1000\/1000 boxes/);
    const json: string[] = [];
    const ticks = [0, 500];
    const jsonProgress = createProgressReporter('json', 'send', { write: (t) => json.push(t) }, () => ticks.shift() ?? 500);
    jsonProgress.done({ boxes: 2, totalBoxes: 2, bytes: 3000, totalBytes: 3000 });
    expect(JSON.parse(json[0]!)).toEqual({ event: 'progress-done', direction: 'send', boxes: 2, totalBoxes: 2, bytes: 3000, totalBytes: 3000, bytesPerSecond: 6000, etaSeconds: 0 });
  });
});

describe('key and state files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kprx-keys-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const key = { writeCap: new Uint8Array(168).fill(1), readCap: new Uint8Array(136).fill(2), firstIndex: new Uint8Array(104).fill(3), nextIndex: new Uint8Array(104).fill(3), pending: null };

  it('creates a 0600 key file once, refuses to overwrite it, and round-trips updates', async () => {
    const path = join(dir, 'a.key');
    await createKeyFile(path, key);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await expect(createKeyFile(path, key)).rejects.toBeInstanceOf(ConfigError);
    const pending = { name: 'f', size: 3, digest: 'ab', startIndex: new Uint8Array(104).fill(4), resumeFrom: null };
    await saveKeyFile(path, { ...key, pending });
    expect(await loadKeyFile(path)).toEqual({ ...key, pending });
    const resuming = { ...pending, resumeFrom: { box: 17, index: new Uint8Array(104).fill(5) } };
    await saveKeyFile(path, { ...key, pending: resuming });
    expect(await loadKeyFile(path)).toEqual({ ...key, pending: resuming });
    writeFileSync(join(dir, 'bad.key'), '{"format":"pigeonhole-cp-key","version":1,"writeCap":"AAAA"}');
    await expect(loadKeyFile(join(dir, 'bad.key'))).rejects.toThrow(/writeCap/);
  });

  it('keeps the receive position per channel and refuses another channel’s state', async () => {
    const path = join(dir, 'state.json');
    expect(await loadReceiveState(path, key.readCap)).toBeNull();
    await saveReceiveState(path, key.readCap, { nextIndex: key.nextIndex, received: [], partial: null, skipped: [] });
    expect((await loadReceiveState(path, key.readCap))!.nextIndex).toEqual(key.nextIndex);
    const partial = {
      startIndex: key.nextIndex,
      header: { name: 'big.bin', size: 5000, digest: new Uint8Array(32).fill(6) },
      resumeFrom: { box: 3, index: new Uint8Array(104).fill(7), length: 5060, boxSize: 1549 },
      tempName: '.pigeonhole-cp-0123456789abcdef.part',
      contentBytes: 4551,
    };
    await saveReceiveState(path, key.readCap, { nextIndex: key.nextIndex, received: [], partial, skipped: [] });
    expect((await loadReceiveState(path, key.readCap))!.partial).toEqual(partial);
    await saveReceiveState(path, key.readCap, { nextIndex: key.nextIndex, received: [], partial: { ...partial, tempName: '../../etc/passwd' }, skipped: [] });
    await expect(loadReceiveState(path, key.readCap)).rejects.toThrow(/partial.tempName/);
    await expect(loadReceiveState(path, new Uint8Array(136).fill(9))).rejects.toThrow(/another channel/);
  });
});
