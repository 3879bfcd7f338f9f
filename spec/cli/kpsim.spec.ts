import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { parseKpsimArgs } from '../../src/cli/kpsim-args.js';
import { runKpsim } from '../../src/cli/run-kpsim.js';
import { ConfigError } from '../../src/errors/local-errors.js';
import { connectSession } from '../sim/support/raw-client.js';

describe('kpsim arguments', () => {
  it('defaults to TCP 127.0.0.1:64331, online, with a document', () => {
    expect(parseKpsimArgs([]).options).toEqual({ listen: { tcp: '127.0.0.1:64331' }, online: true, hasDocument: true });
  });

  it('maps every flag', () => {
    const args = parseKpsimArgs([
      '--unix', '/tmp/x.sock', '--time-scale', '0.5', '--offline', '--no-document', '--fixed-latency-ms', '20',
      '--grace-period-ms', '30000', '--epoch-period-ms', '120000', '--seed', 's', '--write-config', 'tc.toml', '--verbose',
    ]);
    expect(args).toEqual({
      options: {
        listen: { unix: '/tmp/x.sock' },
        online: false,
        hasDocument: false,
        timeScale: 0.5,
        fixedLatencyMs: 20,
        sessionGracePeriodMs: 30000,
        epochPeriodMs: 120000,
        seed: 's',
      },
      writeConfig: 'tc.toml',
      verbose: true,
      help: false,
    });
  });

  it.each([
    [['--tcp', 'a:1', '--ws', 'ws://b:2']],
    [['--time-scale', '0']],
    [['--time-scale', 'fast']],
    [['--bogus']],
    [['positional']],
  ])('refuses %j with a ConfigError', (argv) => {
    expect(() => parseKpsimArgs(argv)).toThrow(ConfigError);
  });
});

describe('kpsim program', () => {
  it('prints the address and thinclient.toml, writes it, serves clients, and stops on quit with shutdown_event', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kpsim-cli-'));
    const out: string[] = [];
    const input = new PassThrough();
    try {
      const file = join(dir, 'thinclient.toml');
      const running = await runKpsim(['--tcp', '127.0.0.1:0', '--time-scale', '0.001', '--write-config', file], {
        stdout: (t) => out.push(t),
        stderr: () => undefined,
        input,
      });
      const sim = running.sim!;
      expect(out.join('')).toContain(`listening on ${sim.address}`);
      expect(readFileSync(file, 'utf8')).toBe(sim.thinClientToml());
      const { client } = await connectSession(sim.address);
      input.write('stats\n');
      input.write('quit\n');
      await running.stopped;
      expect((await client.next()).message.type).toBe('shutdown_event');
      await client.waitClosed();
      expect(out.join('')).toMatch(/"connections":1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints usage for --help without starting anything', async () => {
    const out: string[] = [];
    const running = await runKpsim(['--help'], { stdout: (t) => out.push(t), stderr: () => undefined });
    expect(running.sim).toBeNull();
    expect(out.join('')).toContain('Usage: kpsim');
  });
});
