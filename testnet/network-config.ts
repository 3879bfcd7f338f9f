/**
 * Generates a minimal Katzenpost v0.0.99 network with upstream's genconfig
 * and rewrites what genconfig gets wrong for a network on one machine
 * without docker (MIXNET.md §2):
 *
 * - every address is a docker hostname (`tcp://mix1:30012`, `auth1:30002`)
 *   whatever `--addr` says: each becomes `127.0.0.1:<free port>`, one free
 *   port per generated port, chosen now (see ports.ts);
 * - the service node runs an `+http` plugin whose binary we do not build:
 *   disabled;
 * - plugins run from `--baseDir`: the courier is linked there.
 *
 * The topology is the smallest that works in v0.0.99: two directory
 * authorities (one never reaches consensus), one mix layer with one mix,
 * a gateway, a service node (echo, courier) and two storage replicas
 * (Pigeonhole shards each box on two).
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { allocatePorts } from './ports.js';

/** What a node is, and the command that runs it. */
export type NodeRole = 'dirauth' | 'mix' | 'gateway' | 'servicenode' | 'replica';

/** One node of the generated network. */
export interface NodeSpec {
  /** genconfig's identifier: `auth1`, `mix1`, `gateway1`, `servicenode1`, `replica1` … */
  readonly name: string;
  readonly role: NodeRole;
  /** The binary to run: `dirauth`, `server` or `replica`. */
  readonly command: 'dirauth' | 'server' | 'replica';
  /** Its config file (`-f`). */
  readonly configPath: string;
  /** Its DataDir (keys, databases, `selfcheck.toml`, its own log). */
  readonly dataDir: string;
  /** The log the node writes itself (`katzenpost.log` in its DataDir). */
  readonly logPath: string;
}

/** A generated network, ready to start. */
export interface GeneratedNetwork {
  /** Where everything is (genconfig's `--outDir` and `--baseDir`). */
  readonly dir: string;
  /** In start order: authorities, mix, gateway, service node, replicas. */
  readonly nodes: readonly NodeSpec[];
  /** genconfig's kpclientd config, addresses rewritten; each daemon gets a copy with its own listener. */
  readonly clientTomlTemplate: string;
  /** Generated port → the free port that replaced it. */
  readonly ports: ReadonlyMap<number, number>;
}

/** Options of {@link generateNetwork}. */
export interface GenerateNetworkOptions {
  readonly genconfig: string;
  /** The courier binary (the service node runs it as a plugin). */
  readonly courier: string;
  /** An empty directory for the network. */
  readonly dir: string;
  /** kpclientd's session grace period; default `2m`. */
  readonly sessionGracePeriod?: string;
  /** Every node's log level; default `DEBUG` (kept for a failing run). */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'NOTICE';
}

/**
 * genconfig flags: upstream's docker Makefile's, with smaller counts. The
 * epoch length is not among them on purpose — genconfig writes it only
 * into docker-compose.yml; the processes read `KATZENPOST_EPOCH_DURATION`.
 */
export function genconfigFlags(options: { readonly sessionGracePeriod: string; readonly logLevel: string }): string[] {
  return [
    '--wirekem', 'xwing', '--addr', '127.0.0.1', '--voting', '--nrVoting', '2',
    '--layers', '1', '--nodes', '1', '--gateways', '1', '--serviceNodes', '1', '--storageNodes', '2',
    '--mu', '0.005', '--lambdaP', '0.001', '--lambdaL', '0.0005', '--lambdaM', '0.0005', '--lambdaR', '0.005',
    '--nike', 'x25519', '--kem', '',
    '--noMixDecoy=true', '--noGatewayDecoy=true', '--noDecoy', '--noMetrics',
    '--sessionGracePeriod', options.sessionGracePeriod, '--UserForwardPayloadLength', '2000', '--logLevel', options.logLevel,
  ];
}

/** A node address as genconfig v0.0.99 writes it: a docker hostname and a port. */
const NODE_ADDRESS = /(tcp:\/\/)?\b(auth|mix|gateway|servicenode|replica)(\d+):(\d+)\b/g;

/**
 * Every port of a node address in `toml`.
 *
 * @example
 * nodeAddressPorts('Addresses = ["tcp://auth1:30001"]\nMetricsAddress = "auth1:30002"'); // [30001, 30002]
 */
export function nodeAddressPorts(toml: string): number[] {
  return [...toml.matchAll(NODE_ADDRESS)].map((m) => Number(m[4]));
}

/**
 * Rewrites every node address to `127.0.0.1` and its port through `ports`.
 * Throws on a port that is not in the map, so no address is left pointing
 * at a docker hostname or at a port nobody chose.
 *
 * @example
 * toLocalhost('Addresses = ["tcp://mix1:30012"]', new Map([[30012, 21873]])); // 'Addresses = ["tcp://127.0.0.1:21873"]'
 */
export function toLocalhost(toml: string, ports: ReadonlyMap<number, number>): string {
  return toml.replace(NODE_ADDRESS, (_all, scheme: string | undefined, _host, _n, port: string) => {
    const mapped = ports.get(Number(port));
    if (mapped === undefined) throw new Error(`no free port chosen for generated port ${port}`);
    return `${scheme ?? ''}127.0.0.1:${mapped}`;
  });
}

const PLUGIN_HEADER = '[[ServiceNode.CBORPluginKaetzchen]]';

/**
 * Sets `Disable = true` on the service node's CBOR plugin with `capability`.
 * Throws when there is no such plugin (a change of genconfig's output must
 * be noticed, not silently ignored).
 *
 * @example
 * disableServicePlugin(serviceNodeToml, 'http');
 */
export function disableServicePlugin(toml: string, capability: string): string {
  const parts = toml.split(PLUGIN_HEADER);
  let found = false;
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i] ?? '';
    // The plugin's own keys come before its first sub-table ([…Config], [ …PKIAdvertizedData]).
    const ownKeys = part.split(/\n\s*\[/)[0] ?? '';
    if (!new RegExp(`^\\s*Capability = "${capability}"\\s*$`, 'm').test(ownKeys)) continue;
    if (!/^\s*Disable = (true|false)\s*$/m.test(ownKeys)) throw new Error(`plugin "${capability}" has no Disable key`);
    parts[i] = ownKeys.replace(/^(\s*Disable = )false(\s*)$/m, '$1true$2') + part.slice(ownKeys.length);
    found = true;
  }
  if (!found) throw new Error(`the service node has no "${capability}" plugin`);
  return parts.join(PLUGIN_HEADER);
}

/** The node's config file name and role, from genconfig's directory name. */
function nodeKind(name: string): { readonly role: NodeRole; readonly file: string; readonly command: NodeSpec['command'] } | null {
  if (/^auth\d+$/.test(name)) return { role: 'dirauth', file: 'authority.toml', command: 'dirauth' };
  if (/^mix\d+$/.test(name)) return { role: 'mix', file: 'katzenpost.toml', command: 'server' };
  if (/^gateway\d+$/.test(name)) return { role: 'gateway', file: 'katzenpost.toml', command: 'server' };
  if (/^servicenode\d+$/.test(name)) return { role: 'servicenode', file: 'katzenpost.toml', command: 'server' };
  if (/^replica\d+$/.test(name)) return { role: 'replica', file: 'replica.toml', command: 'replica' };
  return null;
}

const START_ORDER: readonly NodeRole[] = ['dirauth', 'mix', 'gateway', 'servicenode', 'replica'];

/** Runs genconfig; rejects with the tail of its output. */
function runGenconfig(genconfig: string, args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const child = spawn(genconfig, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', (err) => reject(new Error(`cannot run genconfig: ${err.message}`)));
    child.on('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`genconfig exited with ${String(code)}: ${output.trim().split('\n').slice(-5).join(' | ')}`)),
    );
  });
}

/** Every `*.toml` under `dir` (genconfig's output is two levels deep). */
async function tomlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.toml')).map((e) => path.join(e.parentPath, e.name));
}

/**
 * Generates the network into `options.dir` (see the file comment).
 *
 * @example
 * const network = await generateNetwork({ genconfig: bins.genconfig, courier: bins.courier, dir: '/tmp/run/network' });
 * network.nodes.map((n) => n.name); // ['auth1', 'auth2', 'mix1', 'gateway1', 'servicenode1', 'replica1', 'replica2']
 */
export async function generateNetwork(options: GenerateNetworkOptions): Promise<GeneratedNetwork> {
  const dir = path.resolve(options.dir);
  // The courier listens on <dir>/servicenode1/courier/<pid>.courier.socket; sun_path holds 107 bytes.
  const socketPath = path.join(dir, 'servicenode1', 'courier', '4194304.courier.socket');
  if (Buffer.byteLength(socketPath) > 107) {
    throw new Error(`the network directory's path is too long for the courier's Unix socket (${Buffer.byteLength(socketPath)} > 107 bytes: ${socketPath}); set KPRX_TESTNET_DIR to a shorter directory`);
  }
  await mkdir(dir, { recursive: true });
  const flags = genconfigFlags({ sessionGracePeriod: options.sessionGracePeriod ?? '2m', logLevel: options.logLevel ?? 'DEBUG' });
  // --port only seeds genconfig's numbering: every port is replaced below.
  await runGenconfig(options.genconfig, [...flags, '--port', '30000', '--outDir', dir, '--baseDir', dir], dir);

  const files = await tomlFiles(dir);
  const texts = new Map(await Promise.all(files.map(async (f) => [f, await readFile(f, 'utf8')] as const)));
  const generated = [...new Set([...texts.values()].flatMap(nodeAddressPorts))].sort((a, b) => a - b);
  const free = await allocatePorts(generated.length);
  const ports = new Map(generated.map((port, i) => [port, free[i]!] as const));
  for (const [file, text] of texts) {
    let rewritten = toLocalhost(text, ports);
    if (path.basename(path.dirname(file)).startsWith('servicenode') && file.endsWith('katzenpost.toml')) {
      rewritten = disableServicePlugin(rewritten, 'http');
    }
    if (rewritten !== text) await writeFile(file, rewritten);
  }
  await symlink(options.courier, path.join(dir, 'courier'));

  const nodes: NodeSpec[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const kind = entry.isDirectory() ? nodeKind(entry.name) : null;
    if (!kind) continue;
    const dataDir = path.join(dir, entry.name);
    nodes.push({ name: entry.name, role: kind.role, command: kind.command, configPath: path.join(dataDir, kind.file), dataDir, logPath: path.join(dataDir, 'katzenpost.log') });
  }
  nodes.sort((a, b) => START_ORDER.indexOf(a.role) - START_ORDER.indexOf(b.role) || a.name.localeCompare(b.name));
  const roles = nodes.map((n) => n.role).join(',');
  if (roles !== 'dirauth,dirauth,mix,gateway,servicenode,replica,replica') throw new Error(`genconfig generated an unexpected network: ${roles}`);
  return { dir, nodes, clientTomlTemplate: path.join(dir, 'client', 'client.toml'), ports };
}
