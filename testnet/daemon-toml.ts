/**
 * The pieces of a kpclientd `client.toml` and a thin client's
 * `thinclient.toml` that this project rewrites: the listener, top-level
 * keys, the log level. Used by the offline conformance daemon
 * (spec/conformance/harness/daemon-config.ts) and by the testnet's daemons.
 */
import http from 'node:http';
import net from 'node:net';
import { ConfigError } from '../src/errors/local-errors.js';

/** The three listener kinds kpclientd v0.0.99 offers. */
export type ListenTransport = 'tcp' | 'unix' | 'ws';

/** Where a daemon listens (and where a thin client dials). */
export type ListenAddress =
  | { readonly transport: 'tcp'; readonly host: string; readonly port: number }
  | { readonly transport: 'unix'; readonly path: string }
  | { readonly transport: 'ws'; readonly host: string; readonly port: number; readonly path: string };

/**
 * Asks the OS for a free TCP port on `host`. There is a window between
 * closing the probe and the daemon binding; tests accept that race.
 *
 * @example
 * const port = await findFreePort(); // e.g. 41873
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

export const tomlString = (s: string) => JSON.stringify(s); // TOML basic strings accept JSON escapes for our inputs

/**
 * The daemon's `[Listen]` table for an address.
 *
 * @example
 * renderListenTable({ transport: 'tcp', host: '127.0.0.1', port: 64331 });
 * // '[Listen]\n  [Listen.Tcp]\n    Address = "127.0.0.1:64331"\n    Network = "tcp"\n'
 */
export function renderListenTable(listen: ListenAddress): string {
  switch (listen.transport) {
    case 'tcp':
      return `[Listen]\n  [Listen.Tcp]\n    Address = ${tomlString(`${listen.host}:${listen.port}`)}\n    Network = "tcp"\n`;
    case 'unix':
      return `[Listen]\n  [Listen.Unix]\n    Address = ${tomlString(listen.path)}\n`;
    case 'ws':
      return `[Listen]\n  [Listen.Ws]\n    Address = ${tomlString(wsUrl(listen))}\n`;
  }
}

/**
 * `ws://host:port/path` for a WebSocket listen address.
 *
 * @example
 * wsUrl({ transport: 'ws', host: '127.0.0.1', port: 7, path: '/' }); // 'ws://127.0.0.1:7/'
 */
export function wsUrl(listen: Extract<ListenAddress, { transport: 'ws' }>): string {
  return `ws://${listen.host}:${listen.port}${listen.path}`;
}

/**
 * Whether kpclientd's WebSocket listener at `listen` is up: it answers a
 * plain HTTP GET with 426 (coder/websocket) without creating a thin-client
 * connection — the listener binds in a goroutine of its own and ignores
 * bind errors, so its log line alone does not prove it listens.
 *
 * @example
 * await wsListenerAnswers({ transport: 'ws', host: '127.0.0.1', port: 7, path: '/' }); // false
 */
export function wsListenerAnswers(listen: Extract<ListenAddress, { transport: 'ws' }>): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(wsUrl(listen).replace(/^ws:/, 'http:'), (res) => {
      res.resume();
      resolve(res.statusCode === 426);
    });
    req.setTimeout(1000, () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/**
 * The thin client's `thinclient.toml` (only `[Dial]`, PROTOCOL.md §1.3).
 *
 * @example
 * renderThinClientToml({ transport: 'unix', path: '/tmp/k.sock' });
 * // '[Dial]\n  [Dial.Unix]\n    Address = "/tmp/k.sock"\n'
 */
export function renderThinClientToml(listen: ListenAddress): string {
  switch (listen.transport) {
    case 'tcp':
      return `[Dial]\n  [Dial.Tcp]\n    Address = ${tomlString(`${listen.host}:${listen.port}`)}\n    Network = "tcp"\n`;
    case 'unix':
      return `[Dial]\n  [Dial.Unix]\n    Address = ${tomlString(listen.path)}\n`;
    case 'ws':
      return `[Dial]\n  [Dial.Ws]\n    Address = ${tomlString(wsUrl(listen))}\n`;
  }
}

/**
 * Replaces the top-level `[Listen]` table (with its indented sub-tables) of a
 * genconfig-style client.toml. Throws if there is none, so a change of
 * genconfig's output shape is noticed.
 *
 * @example
 * replaceListenTable(toml, renderListenTable({ transport: 'unix', path: '/tmp/k.sock' }));
 */
export function replaceListenTable(toml: string, listenTable: string): string {
  const lines = toml.split('\n');
  const start = lines.findIndex((l) => l.trim() === '[Listen]');
  if (start < 0) throw new ConfigError('no [Listen] table in the generated client.toml', { key: 'Listen' });
  // The table ends at the next table header that is not [Listen.*].
  let end = start + 1;
  while (end < lines.length) {
    const t = (lines[end] ?? '').trim();
    if (t.startsWith('[') && !t.startsWith('[Listen.')) break;
    end++;
  }
  const body = listenTable.endsWith('\n') ? listenTable : `${listenTable}\n`;
  return [...lines.slice(0, start), ...body.split('\n').slice(0, -1), '', ...lines.slice(end)].join('\n');
}

/**
 * Sets a top-level scalar key (before the first table header), adding it if absent.
 *
 * @example
 * setTopLevelKey(toml, 'SessionGracePeriod', '"2m"');
 */
export function setTopLevelKey(toml: string, key: string, rawValue: string): string {
  const lines = toml.split('\n');
  const firstTable = lines.findIndex((l) => l.trim().startsWith('['));
  const limit = firstTable < 0 ? lines.length : firstTable;
  const re = new RegExp(`^\\s*${key}\\s*=`);
  for (let i = 0; i < limit; i++) {
    if (re.test(lines[i] ?? '')) {
      lines[i] = `${key} = ${rawValue}`;
      return lines.join('\n');
    }
  }
  lines.splice(limit, 0, `${key} = ${rawValue}`);
  return lines.join('\n');
}

/**
 * Sets `Level` inside `[Logging]`; throws if genconfig wrote no such key.
 *
 * @example
 * setLogLevel(toml, 'INFO');
 */
export function setLogLevel(toml: string, level: string): string {
  const re = /(\[Logging\][^[]*?\n\s*Level\s*=\s*)"[^"]*"/;
  if (!re.test(toml)) throw new ConfigError('no Logging.Level in the generated client.toml', { key: 'Logging.Level' });
  return toml.replace(re, `$1"${level}"`);
}

