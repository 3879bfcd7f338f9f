import { connect } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { ConfigError, TransportError } from '../../src/errors/local-errors.js';
import { nodeSocketStream } from '../../src/transport/node-socket-stream.js';
import { connectTcp } from '../../src/transport/tcp-transport.js';
import { nodeSocketBehaviour } from './support/node-socket-behaviour.js';
import { closedPort, portOf, startServer } from './support/servers.js';
import { bytes, dialed, dialError, readExactly, readToEnd, text } from './support/streams.js';

describe('connectTcp', () => {
  describe('ByteStream contract over 127.0.0.1', () => {
    nodeSocketBehaviour(async () => {
      const server = await startServer({ host: '127.0.0.1', port: 0 });
      const address = `127.0.0.1:${portOf(server.server)}`;
      return {
        server,
        dial: () => connectTcp({ address }),
        label: `TCP ${address}`,
        reset: async (peer, stream) => {
          stream.write([bytes('x')]);
          await readExactly(peer, 1); // the connection is fully up on both sides
          peer.resetAndDestroy();
        },
      };
    });
  });

  it('dials a bracketed IPv6 literal with Network tcp6', async () => {
    const server = await startServer({ host: '::1', port: 0 });
    try {
      const stream = await dialed(connectTcp({ address: `[::1]:${portOf(server.server)}`, network: 'tcp6' }));
      const peer = await server.nextConnection();
      expect(peer.remoteAddress).toBe('::1');
      stream.write([bytes('v6')]);
      expect(text(await readExactly(peer, 2))).toBe('v6');
      stream.close();
    } finally {
      await server.close();
    }
  });

  it('passes Network to name resolution: tcp4 reaches an IPv4-only localhost, tcp6 does not', async () => {
    const server = await startServer({ host: '127.0.0.1', port: 0 });
    try {
      const address = `localhost:${portOf(server.server)}`;
      const stream = await dialed(connectTcp({ address, network: 'tcp4' }));
      expect((await server.nextConnection()).remoteAddress).toBe('127.0.0.1');
      stream.close();
      // With family 6, "localhost" cannot resolve to the IPv4-only server:
      // ENOTFOUND or ECONNREFUSED depending on the resolver — a failure
      // either way, which an ignored `network` would not produce.
      const error = await dialError(connectTcp({ address, network: 'tcp6' }));
      expect(error).toBeInstanceOf(TransportError);
      expect((error as Error).message).toMatch(new RegExp(`^could not connect to TCP ${address} \\((ENOTFOUND|ECONNREFUSED|EADDRNOTAVAIL|ENETUNREACH)\\)$`));
    } finally {
      await server.close();
    }
  });

  it('close() cuts off a peer that never closes its side after the close bound, and whenClosed emits', async () => {
    const server = await startServer({ host: '127.0.0.1', port: 0 });
    try {
      const socket = connect({ host: '127.0.0.1', port: portOf(server.server) });
      await new Promise((resolve) => socket.once('connect', resolve));
      const stream = nodeSocketStream(socket, 'TCP test', 1);
      const peer = await server.nextConnection();
      stream.close();
      await readToEnd(peer); // our FIN; the peer keeps its side open
      await firstValueFrom(stream.whenClosed!);
      expect(socket.destroyed).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('fails the dial to a closed port with a TransportError naming only the address', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const error = await dialError(connectTcp({ address }));
    expect(error).toBeInstanceOf(TransportError);
    const e = error as TransportError;
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.message).toBe(`could not connect to TCP ${address} (ECONNREFUSED)`);
    expect((e.cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('rejects a malformed dial as a ConfigError on subscription, without dialling', async () => {
    const dial$ = connectTcp({ address: 'localhost' }); // no throw at call time
    const error = await dialError(dial$);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('dial.tcp.address');
    const wrongFamily = await dialError(connectTcp({ address: '[::1]:1', network: 'tcp4' }));
    expect((wrongFamily as ConfigError).key).toBe('dial.tcp.network');
  });
});
