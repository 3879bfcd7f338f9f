import { lstatSync, unlinkSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { WebSocketServer } from 'ws';

import type { ThinClientConfig } from '../config/dial-config.js';
import { parseTcpAddress } from '../config/parse-tcp-address.js';
import { ConfigError, TransportError } from '../errors/local-errors.js';
import { NetSimSocket, WsSimSocket, type SimSocket } from './sim-socket.js';

/**
 * Where the simulator listens: exactly one transport, as `[Listen.*]` in
 * kpclientd's config. `tcp` is `host:port` (port 0 = any free port), `unix`
 * a path or `@name` (Linux abstract socket), `ws` a `ws://host:port` URL
 * (served on every path, plain HTTP, like the daemon).
 *
 * @example
 * const listen: SimListen = { tcp: '127.0.0.1:0' };
 */
export type SimListen = { readonly tcp: string } | { readonly unix: string } | { readonly ws: string };

/** A bound listener. */
export interface SimListener {
  /** The address clients dial (the real port when 0 was asked for). */
  readonly address: string;
  /** The thin client configuration that dials it. */
  readonly config: ThinClientConfig;
  /** Stops accepting; existing sockets are the caller's to close. */
  close(): Promise<void>;
}

/**
 * Binds the listener and hands every accepted socket to `onSocket`.
 *
 * @example
 * const listener = await listenSim({ tcp: '127.0.0.1:0' }, (socket) => daemon.accept(socket));
 * listener.address; // '127.0.0.1:40123'
 */
export async function listenSim(listen: SimListen, onSocket: (socket: SimSocket) => void): Promise<SimListener> {
  if ('tcp' in listen) return listenTcp(listen.tcp, onSocket);
  if ('unix' in listen) return listenUnix(listen.unix, onSocket);
  if ('ws' in listen) return listenWs(listen.ws, onSocket);
  throw new ConfigError('listen: expected one of tcp, unix, ws');
}

async function listenTcp(text: string, onSocket: (socket: SimSocket) => void): Promise<SimListener> {
  const { host, port } = splitHostPort(text, 'listen.tcp');
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => onSocket(new NetSimSocket(socket)));
  await bind(server, { host, port });
  const bound = server.address();
  if (bound === null || typeof bound === 'string') throw new TransportError('TCP listener has no address');
  const address = `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`;
  return { address, config: { dial: { tcp: { address } } }, close: () => closeServer(server) };
}

async function listenUnix(path: string, onSocket: (socket: SimSocket) => void): Promise<SimListener> {
  if (path === '' || path === '@') throw new ConfigError('listen.unix: the path is empty');
  const abstract = path.startsWith('@');
  if (!abstract) removeStaleSocket(path);
  const server = createServer({ allowHalfOpen: true }, (socket: Socket) => onSocket(new NetSimSocket(socket)));
  // Go maps a leading '@' to the abstract namespace; Node wants the NUL byte itself.
  await bind(server, { path: abstract ? `\0${path.slice(1)}` : path });
  return { address: path, config: { dial: { unix: { address: path } } }, close: () => closeServer(server) };
}

async function listenWs(text: string, onSocket: (socket: SimSocket) => void): Promise<SimListener> {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new ConfigError(`listen.ws: not a URL: ${text}`, { cause });
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new ConfigError('listen.ws: expected a ws:// URL');
  // Like the daemon: host:port from the URL, default 80 (443 for wss, still plain HTTP).
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port === '' ? (url.protocol === 'wss:' ? 443 : 80) : Number(url.port);
  const http: HttpServer = createHttpServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain' }).end('WebSocket only\n');
  });
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 0 });
  wss.on('connection', (ws, req) => onSocket(new WsSimSocket(ws, `${req.socket.remoteAddress}:${req.socket.remotePort}`)));
  await bind(http, { host, port });
  const bound = http.address();
  if (bound === null || typeof bound === 'string') throw new TransportError('WebSocket listener has no address');
  const hostText = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  const address = `${url.protocol}//${hostText}:${bound.port}`;
  return {
    address,
    config: { dial: { ws: { address } } },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await closeServer(http);
    },
  };
}

/** `host:port` with port 0 allowed (parseTcpAddress, which config validation uses, refuses 0). */
function splitHostPort(text: string, key: string): { host: string; port: number } {
  const zero = /:0$/.test(text);
  const parsed = parseTcpAddress(zero ? `${text.slice(0, -2)}:1` : text);
  if (!parsed.ok) throw new ConfigError(parsed.reason, { key });
  return { host: parsed.address.host, port: zero ? 0 : parsed.address.port };
}

function bind(server: Server, options: { host: string; port: number } | { path: string }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(new TransportError(`cannot listen: ${error.message}`, { cause: error }));
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    // Sockets are closed by the daemon; do not wait for keep-alive HTTP ones.
    (server as HttpServer).closeAllConnections?.();
  });
}

/** A socket file left by a previous run would make listen fail with EADDRINUSE. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch {
    // Absent (or not ours to remove): listen reports any real problem.
  }
}
