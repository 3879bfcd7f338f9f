import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogFile, ReadinessTimeoutError, waitForLog } from './log-watch.js';
import { isRunning, spawnDetached, stopProcesses, type ProcessRecord } from './node-process.js';
import { UPSTREAM_KPCLIENTD_PORT, allocatePorts, ephemeralPortRange } from './ports.js';

let dir: string;
const started: ProcessRecord[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'kprx-testnet-harness-'));
});

afterAll(async () => {
  await stopProcesses(started, 1000);
  await rm(dir, { recursive: true, force: true });
});

/** A Node process that runs until killed; `ignoreTerm` makes it ignore SIGTERM. */
async function idleNode(name: string, ignoreTerm: boolean): Promise<ProcessRecord> {
  const script = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} console.log('up'); setInterval(() => {}, 1000);`;
  const record = await spawnDetached({ name, binary: process.execPath, args: ['-e', script], cwd: dir, env: process.env, outputPath: path.join(dir, `${name}.out`) });
  started.push(record);
  return record;
}

describe('testnet processes', () => {
  it('starts detached with output to a file, and stops by PID: SIGTERM, or SIGKILL after the grace period', async () => {
    const polite = await idleNode('polite', false);
    const stubborn = await idleNode('stubborn', true);
    const log = await LogFile.follow(stubborn.outputPath, true);
    await waitForLog(log, { step: 'stubborn is up', timeoutMs: 10_000, find: (t) => (t.includes('up\n') ? true : undefined) });
    expect(isRunning(polite)).toBe(true);
    expect(isRunning(stubborn)).toBe(true);
    const outcomes = await stopProcesses([polite, stubborn], 500);
    expect(outcomes.map((o) => [o.name, o.how])).toEqual([
      ['polite', 'exited'],
      ['stubborn', 'killed'],
    ]);
    expect(isRunning(polite) || isRunning(stubborn)).toBe(false);
    expect((await stopProcesses([polite], 500))[0]?.how).toBe('gone');
  });

  it('never signals a PID that now runs another program', async () => {
    const idle = await idleNode('idle', false);
    expect(isRunning(idle)).toBe(true);
    // The same PID recorded with another binary (a recycled PID): not ours, so never signalled.
    const recycled = { ...idle, binary: '/nonexistent/dirauth' };
    expect(isRunning(recycled)).toBe(false);
    expect((await stopProcesses([recycled], 500))[0]?.how).toBe('gone');
    expect(isRunning(idle)).toBe(true);
    await stopProcesses([idle], 500);
  });

  it('rejects when the binary cannot be started', async () => {
    await expect(spawnDetached({ name: 'x', binary: path.join(dir, 'missing'), args: [], cwd: dir, env: process.env, outputPath: path.join(dir, 'x.out') })).rejects.toThrow(
      /cannot start x/,
    );
  });
});

describe('readiness waits', () => {
  it('finds a line written later, from where it started following', async () => {
    const file = path.join(dir, 'node.log');
    await writeFile(file, 'old: Connected to gateway\n');
    const log = await LogFile.follow(file);
    const waiting = waitForLog(log, { step: 'connected', timeoutMs: 10_000, pollMs: 10, find: (t) => t.match(/Connected to gateway "(\w+)"/)?.[1] });
    await appendFile(file, 'new: Connected to gateway "gateway1".\n');
    expect(await waiting).toBe('gateway1');
  });

  it('times out naming the step and showing the log tail; stops at once when the step cannot happen', async () => {
    const file = path.join(dir, 'quiet.log');
    await writeFile(file, 'consensus error code 2\n');
    const log = await LogFile.follow(file, true);
    const error = await waitForLog(log, { step: 'consensus (auth1)', timeoutMs: 50, pollMs: 10, find: () => undefined }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReadinessTimeoutError);
    expect((error as Error).message).toMatch(/^testnet not ready: consensus \(auth1\) did not happen within 0 s; log .*quiet\.log:\nconsensus error code 2$/);
    const fatal = await waitForLog(log, { step: 'consensus (auth1)', timeoutMs: 60_000, find: () => undefined, fatal: () => 'auth1 exited' }).catch((e: unknown) => e);
    expect((fatal as Error).message).toMatch(/consensus \(auth1\) cannot happen \(auth1 exited\)/);
  });
});

describe('free ports', () => {
  it('are distinct, below the ephemeral range, and never kpclientd\'s upstream port', async () => {
    const [low] = await ephemeralPortRange();
    const ports = await allocatePorts(30);
    expect(new Set(ports).size).toBe(30);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
      expect(port).not.toBe(UPSTREAM_KPCLIENTD_PORT);
    }
  });

  it('gives up instead of looping when no candidate is free', async () => {
    await expect(allocatePorts(2, () => 0)).rejects.toThrow(/could not find 2 free ports/);
  });
});
