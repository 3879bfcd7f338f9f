/**
 * Smoke test of the harness against the REAL kpclientd. Opt-in because the
 * first build takes minutes and every offline handshake costs ~30 s:
 *   KPCLIENTD_REAL=1 NODE_OPTIONS=--experimental-vm-modules npx jest spec/conformance/harness
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { decode } from 'cbor-x';
import { installKatzenpost, type KatzenpostBinaries } from '../../../testnet/install-katzenpost.js';
import { validateDaemonConfig, writeDaemonConfig } from './daemon-config.js';
import type { ListenTransport } from '../../../testnet/daemon-toml.js';
import { KpclientdProcess } from './kpclientd-process.js';
import { ConfigError } from '../../../src/errors/local-errors.js';

const enabled = process.env['KPCLIENTD_REAL'] === '1';
const describeReal = enabled ? describe : describe.skip;

/** Reads one length-prefixed frame from a fresh TCP connection. */
function firstFrame(port: number, timeoutMs: number): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('no first frame'));
    }, timeoutMs);
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 4 && buf.length >= 4 + buf.readUInt32BE(0)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(decode(buf.subarray(4, 4 + buf.readUInt32BE(0))) as Record<string, unknown>);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describeReal('real kpclientd harness', () => {
  let bins: KatzenpostBinaries;
  let dir: string;

  beforeAll(async () => {
    const result = await installKatzenpost();
    if (result.status === 'skipped') throw new Error(result.reason);
    bins = result.binaries;
    dir = await mkdtemp(path.join(os.tmpdir(), 'kpd-'));
  }, 30 * 60_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it.each<ListenTransport>(['tcp', 'unix', 'ws'])('writes a valid %s config and starts/stops the daemon', async (transport) => {
    const cfg = await writeDaemonConfig({ genconfig: bins.genconfig, dir: path.join(dir, transport), transport });
    await validateDaemonConfig(bins, cfg);
    const daemon = await KpclientdProcess.start({ binary: bins.kpclientd, configPath: cfg.clientToml, logPath: path.join(cfg.dir, 'kpclientd.log'), listen: cfg.listen });
    expect(daemon.running).toBe(true);
    const firstPid = daemon.pid;
    await daemon.restart();
    expect(daemon.pid).not.toBe(firstPid);
    const exit = await daemon.stop();
    expect(exit).toEqual({ code: 0, signal: null, killed: false });
    const log = await daemon.readLog();
    expect(log.match(/Listening on: /g)).toHaveLength(2);
    expect(log).toContain('Daemon shutdown complete');
  }, 120_000);

  it('restarts a unix daemon after SIGKILL left its socket file behind', async () => {
    const cfg = await writeDaemonConfig({ genconfig: bins.genconfig, dir: path.join(dir, 'kill'), transport: 'unix' });
    const daemon = await KpclientdProcess.start({ binary: bins.kpclientd, configPath: cfg.clientToml, logPath: path.join(cfg.dir, 'kpclientd.log'), listen: cfg.listen });
    process.kill(daemon.pid ?? -1, 'SIGKILL');
    const killed = await daemon.stop();
    expect(killed.signal).toBe('SIGKILL');
    await daemon.restart(); // would fail with "bind: address already in use" without the unlink
    expect(daemon.running).toBe(true);
    expect((await daemon.stop()).code).toBe(0);
  }, 120_000);

  it('reports a config the daemon rejects', async () => {
    const cfg = await writeDaemonConfig({ genconfig: bins.genconfig, dir: path.join(dir, 'bad'), transport: 'tcp' });
    await writeFile(cfg.clientToml, (await readFile(cfg.clientToml, 'utf8')).replace('[Listen.Tcp]', '[Listen.Tcpx]'));
    await expect(validateDaemonConfig(bins, cfg)).rejects.toThrow(ConfigError);
  }, 120_000);

  it('serves the offline handshake on TCP', async () => {
    const cfg = await writeDaemonConfig({ genconfig: bins.genconfig, dir: path.join(dir, 'hs'), transport: 'tcp' });
    if (cfg.listen.transport !== 'tcp') throw new Error('unreachable');
    const daemon = await KpclientdProcess.start({ binary: bins.kpclientd, configPath: cfg.clientToml, logPath: path.join(cfg.dir, 'kpclientd.log'), listen: cfg.listen });
    try {
      const started = Date.now();
      const msg = await firstFrame(cfg.listen.port, 45_000);
      expect(Date.now() - started).toBeGreaterThan(25_000); // the 30 s PKI wait
      const status = msg['connection_status_event'] as Record<string, unknown>;
      expect(status['is_connected']).toBe(false);
      expect(Object.keys(msg)).toHaveLength(25);
    } finally {
      await daemon.stop();
    }
  }, 120_000);
});
