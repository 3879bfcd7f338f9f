import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { ByteStream } from '../../src/transport/byte-stream.js';
import { ConfigError, TransportError } from '../../src/errors/local-errors.js';
import { connectUnix } from '../../src/transport/unix-transport.js';
import { nodeSocketBehaviour } from './support/node-socket-behaviour.js';
import { startServer } from './support/servers.js';
import { bytes, dialError } from './support/streams.js';

const linux = process.platform === 'linux';
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'krx-unix-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * A Unix-socket write lands in the peer's receive queue during the
 * syscall, which libuv attempts at once; the paused peer never reads it,
 * and closing with unread data makes Linux report ECONNRESET to us.
 */
const reset = async (peer: Socket, stream: ByteStream): Promise<void> => {
  stream.write([bytes('unread')]);
  peer.destroy();
};

let counter = 0;
const uniqueName = (): string => `krx-test-${process.pid}-${Date.now()}-${counter++}`; // real-time: a unique name only

describe('connectUnix', () => {
  describe('ByteStream contract over a socket file', () => {
    nodeSocketBehaviour(async () => {
      const path = join(dir, `${counter++}.sock`);
      const server = await startServer({ path }, { pauseOnConnect: true });
      return { server, dial: () => connectUnix({ address: path }), label: `Unix socket ${path}`, reset };
    });
  });

  // Abstract sockets exist only on Linux; elsewhere these tests say so.
  (linux ? describe : describe.skip)('ByteStream contract over an abstract socket (@name, Linux only)', () => {
    nodeSocketBehaviour(async () => {
      const name = uniqueName();
      const server = await startServer({ path: `\0${name}` }, { pauseOnConnect: true });
      return { server, dial: () => connectUnix({ address: `@${name}` }), label: `Unix socket @${name}`, reset };
    });
  });

  it('refuses @name on platforms without an abstract namespace', async () => {
    const error = await dialError(connectUnix({ address: '@kpclientd' }, { platform: 'darwin' }));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(
      'could not connect to Unix socket @kpclientd: abstract sockets (@name) exist only on Linux',
    );
  });

  it('fails the dial to a missing socket file with a TransportError naming the path', async () => {
    const path = join(dir, 'absent.sock');
    const error = await dialError(connectUnix({ address: path }));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(`could not connect to Unix socket ${path} (ENOENT)`);
  });

  (linux ? it : it.skip)('fails the dial to an unbound abstract name', async () => {
    const error = await dialError(connectUnix({ address: `@${uniqueName()}` }));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toMatch(/^could not connect to Unix socket @krx-test-.* \(ECONNREFUSED\)$/);
  });

  it('rejects an empty address as a ConfigError on subscription', async () => {
    const error = await dialError(connectUnix({ address: '' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('dial.unix.address');
  });
});
