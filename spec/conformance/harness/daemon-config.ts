/**
 * Writes a runnable `client.toml` for an OFFLINE kpclientd (no mixnet) and
 * the matching `thinclient.toml`.
 *
 * The daemon config comes from upstream's own `genconfig` (the docker
 * Makefile's flags), because kpclientd insists on `[PinnedGateways]` with a
 * valid Ed25519 identity key and X-Wing link key, and on voting-authority
 * peers; genconfig produces those. Then only the `[Listen]` table and a few
 * scalar keys are rewritten. The pinned gateway (`tcp://gateway1:30007`) is
 * a docker hostname that does not resolve here, so the daemon stays offline
 * and keeps retrying (one `connection_status_event{is_connected:false}`
 * broadcast per failed attempt, with growing backoff).
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../../../src/errors/local-errors.js';
import {
  findFreePort,
  renderListenTable,
  renderThinClientToml,
  replaceListenTable,
  setLogLevel,
  setTopLevelKey,
  tomlString,
  type ListenAddress,
  type ListenTransport,
} from '../../../testnet/daemon-toml.js';

/** genconfig flags of upstream's docker/Makefile (REAL-DAEMON.md), minus output dirs. */
export const GENCONFIG_DOCKER_FLAGS: readonly string[] = [
  '--wirekem', 'xwing', '--addr', '127.0.0.1', '--nrVoting', '3', '--nodes', '3', '--gateways', '1',
  '--serviceNodes', '3', '--storageNodes', '5', '--mu', '0.005', '--lambdaP', '0.001', '--lambdaL', '0.0005',
  '--lambdaM', '0.0005', '--lambdaR', '0.005', '--voting', '--port', '30000', '--nike', 'x25519', '--kem', '',
  '--noDecoy', '--UserForwardPayloadLength', '2000', '--epochDuration', '2m', '--logLevel', 'DEBUG',
];

/** Options of {@link writeDaemonConfig}. */
export interface DaemonConfigOptions {
  /** Path of the genconfig binary (from `installKatzenpost`). */
  readonly genconfig: string;
  /** Scratch directory for this daemon (created if missing). Keep it short for Unix sockets. */
  readonly dir: string;
  /** Listener kind. */
  readonly transport: ListenTransport;
  /** TCP/WS port; default: a free port picked now. */
  readonly port?: number;
  /** Unix socket path; default `<dir>/kpclientd.sock`. `@name` = Linux abstract socket (see findings: Node cannot dial those). */
  readonly socketPath?: string;
  /**
   * Go duration string. Default `"2m"`: resuming needs a grace period longer
   * than the ~30 s every offline handshake costs.
   */
  readonly sessionGracePeriod?: string;
  /** Daemon log level; default `DEBUG`. INFO or DEBUG is needed for readiness detection. */
  readonly logLevel?: 'DEBUG' | 'INFO';
}

/** Result of {@link writeDaemonConfig}. */
export interface DaemonConfig {
  readonly dir: string;
  /** The daemon's config (`kpclientd -c`). */
  readonly clientToml: string;
  /** The thin client's config (`[Dial]` only). */
  readonly thinClientToml: string;
  readonly listen: ListenAddress;
  readonly sessionGracePeriod: string;
}

function runGenconfig(genconfig: string, outDir: string, baseDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(genconfig, [...GENCONFIG_DOCKER_FLAGS, '--outDir', outDir, '--baseDir', baseDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', (err) => reject(new ConfigError(`cannot run genconfig: ${err.message}`, { cause: err })));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new ConfigError(`genconfig exited with ${String(code)}: ${output.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}

/**
 * Generates a network with genconfig in `<dir>/network`, then writes
 * `<dir>/client.toml` (daemon) and `<dir>/thinclient.toml` (thin client).
 *
 * @example
 * const cfg = await writeDaemonConfig({ genconfig: bins.genconfig, dir: '/tmp/kp1', transport: 'tcp' });
 * // cfg.listen → { transport: 'tcp', host: '127.0.0.1', port: 41873 }
 */
export async function writeDaemonConfig(options: DaemonConfigOptions): Promise<DaemonConfig> {
  const dir = path.resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const outDir = path.join(dir, 'network');
  await runGenconfig(options.genconfig, outDir, path.join(dir, 'network-base'));
  const generated = await readFile(path.join(outDir, 'client', 'client.toml'), 'utf8');

  let listen: ListenAddress;
  if (options.transport === 'unix') {
    const socketPath = options.socketPath ?? path.join(dir, 'kpclientd.sock');
    // sockaddr_un.sun_path is 108 bytes on Linux (104 on macOS).
    if (Buffer.byteLength(socketPath) > 100) {
      throw new ConfigError(`unix socket path too long (${Buffer.byteLength(socketPath)} bytes): use a shorter dir`, { key: 'Listen.Unix.Address' });
    }
    listen = { transport: 'unix', path: socketPath };
  } else {
    const port = options.port ?? (await findFreePort());
    listen = options.transport === 'tcp' ? { transport: 'tcp', host: '127.0.0.1', port } : { transport: 'ws', host: '127.0.0.1', port, path: '/' };
  }
  const grace = options.sessionGracePeriod ?? '2m';
  if (!/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(grace)) {
    throw new ConfigError(`not a Go duration: ${grace}`, { key: 'SessionGracePeriod' });
  }
  let toml = replaceListenTable(generated, renderListenTable(listen));
  toml = setTopLevelKey(toml, 'SessionGracePeriod', tomlString(grace));
  toml = setLogLevel(toml, options.logLevel ?? 'DEBUG');

  const clientToml = path.join(dir, 'client.toml');
  const thinClientToml = path.join(dir, 'thinclient.toml');
  await writeFile(clientToml, toml);
  await writeFile(thinClientToml, renderThinClientToml(listen));
  return { dir, clientToml, thinClientToml, listen, sessionGracePeriod: grace };
}

/**
 * Checks both files with upstream's own loaders: `kpclientd --validate-only`
 * and `kpconfig validate --type client|thin`. Throws {@link ConfigError} with
 * the tool's output on failure.
 *
 * @example
 * await validateDaemonConfig({ kpclientd: bins.kpclientd, kpconfig: bins.kpconfig }, cfg);
 */
export async function validateDaemonConfig(
  bins: { readonly kpclientd: string; readonly kpconfig: string },
  config: Pick<DaemonConfig, 'clientToml' | 'thinClientToml'>,
): Promise<void> {
  const checks: [string, string[], string][] = [
    [bins.kpclientd, ['-c', config.clientToml, '--validate-only'], config.clientToml],
    [bins.kpconfig, ['validate', '--type', 'client', config.clientToml], config.clientToml],
    [bins.kpconfig, ['validate', '--type', 'thin', config.thinClientToml], config.thinClientToml],
  ];
  for (const [cmd, args, file] of checks) {
    const output = await new Promise<{ code: number | null; text: string }>((resolve) => {
      let text = '';
      const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d));
      child.on('error', (err) => resolve({ code: null, text: err.message }));
      child.on('close', (code) => resolve({ code, text }));
    });
    if (output.code !== 0) {
      throw new ConfigError(`${path.basename(cmd)} rejected it: ${output.text.replace(/\s+/g, ' ').trim()}`, { file });
    }
  }
}
