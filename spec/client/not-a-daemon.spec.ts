import { createServer, type Server } from 'node:net';
import { FrameTooLargeError, ThinClient } from 'katzenpost-rx';

/**
 * A client pointed at something that is not kpclientd — here a server that
 * answers like an HTTP server does to bytes it cannot parse — fails its
 * connect with an error that says so, rather than a bare "frame length
 * 1213486160" (issue 13, item 8).
 */
describe('connecting to something that is not kpclientd', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('rejects connect() with "not a kpclientd thin-client endpoint"', async () => {
    const failure = await ThinClient.connect({ dial: { tcp: { address: `127.0.0.1:${port}` } } }, { reconnect: false }).then(
      (client) => client.close().then(() => null),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(FrameTooLargeError);
    expect((failure as Error).message).toMatch(/not a kpclientd thin-client endpoint \(it began with "HTTP"\)/);
  });
});
