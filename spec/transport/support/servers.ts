import { createServer, type Server, type Socket } from 'node:net';

/** A listening net server that hands out accepted sockets in order. */
export interface TestServer {
  readonly server: Server;
  /** The next accepted connection (already accepted ones first). */
  nextConnection(): Promise<Socket>;
  close(): Promise<void>;
}

/**
 * Starts a net server on `listen` (port 0 / a path / "\0name").
 * `pauseOnConnect` leaves received bytes unread in the kernel until the test
 * reads them (used to provoke ECONNRESET on Unix sockets).
 */
export function startServer(
  listen: { host: string; port: number } | { path: string },
  options: { pauseOnConnect?: boolean } = {},
): Promise<TestServer> {
  const accepted: Socket[] = [];
  const waiting: Array<(s: Socket) => void> = [];
  const all = new Set<Socket>();
  // Half-open like kpclientd (Go): a client's FIN does not close the server's side.
  const server = createServer({ pauseOnConnect: options.pauseOnConnect ?? false, allowHalfOpen: true }, (socket) => {
    all.add(socket);
    socket.on('error', () => undefined); // resets are part of some tests
    socket.on('close', () => all.delete(socket));
    const w = waiting.shift();
    if (w) w(socket);
    else accepted.push(socket);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen, () =>
      resolve({
        server,
        nextConnection: () =>
          new Promise((r) => {
            const s = accepted.shift();
            if (s) r(s);
            else waiting.push(r);
          }),
        close: () =>
          new Promise((r) => {
            for (const s of all) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}

/** The TCP port a server listens on. */
export function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not a TCP server');
  return address.port;
}

/** A TCP port on 127.0.0.1 with nothing listening (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = await startServer({ host: '127.0.0.1', port: 0 });
  const port = portOf(s.server);
  await s.close();
  return port;
}
