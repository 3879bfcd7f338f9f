/**
 * Free TCP ports for a testnet, chosen at run time.
 *
 * Ports are drawn at random BELOW the kernel's ephemeral range: a port the
 * kernel hands out for outgoing connections (every node dials every other
 * one) could be taken between our check and the node's bind, and other jobs
 * on the machine use the ephemeral range all the time. Each candidate is
 * checked by binding it on 127.0.0.1; all of them stay bound until the whole
 * set is chosen, so one call never returns the same port twice. 64331 — the
 * port upstream's configs hard-code for kpclientd — is never chosen.
 */
import { readFile } from 'node:fs/promises';
import net from 'node:net';

/** kpclientd's hard-coded port in upstream configs: never ours. */
export const UPSTREAM_KPCLIENTD_PORT = 64331;

/** The lowest port we draw from (well above the registered-services crowd below 10000). */
const LOWEST = 10_000;

/**
 * The kernel's ephemeral port range (`/proc/sys/net/ipv4/ip_local_port_range`),
 * Linux's default 32768–60999 when it cannot be read.
 *
 * @example
 * await ephemeralPortRange(); // [32768, 60999]
 */
export async function ephemeralPortRange(): Promise<readonly [number, number]> {
  const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '');
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return low && high && low < high ? [low, high] : [32_768, 60_999];
}

/** Binds `port` on 127.0.0.1; resolves the server, or null if it is taken. */
function tryBind(port: number): Promise<net.Server | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

/**
 * `count` distinct free ports below the ephemeral range.
 *
 * @example
 * const [dirauth1, dirauth2] = await allocatePorts(2);
 */
export async function allocatePorts(count: number, random: () => number = Math.random): Promise<number[]> {
  const [ephemeralLow] = await ephemeralPortRange();
  const high = ephemeralLow - 1;
  if (high - LOWEST < count * 10) throw new Error(`too few ports below the ephemeral range (${ephemeralLow}) to choose ${count}`);
  const held: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempts = 0; ports.length < count; attempts++) {
      if (attempts > count * 50) throw new Error(`could not find ${count} free ports in ${LOWEST}–${high}`);
      const port = LOWEST + Math.floor(random() * (high - LOWEST + 1));
      if (port === UPSTREAM_KPCLIENTD_PORT || ports.includes(port)) continue;
      const server = await tryBind(port);
      if (!server) continue;
      held.push(server);
      ports.push(port);
    }
    return ports;
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
