import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { DialConfig } from '../../src/config/dial-config.js';
import { ConfigError } from '../../src/errors/local-errors.js';
import { connectByteStream } from '../../src/transport/connect-byte-stream.js';
import { portOf, startServer } from './support/servers.js';
import { bytes, dialed, dialError, readExactly, text } from './support/streams.js';

describe('connectByteStream', () => {
  it('dials TCP', async () => {
    const server = await startServer({ host: '127.0.0.1', port: 0 });
    try {
      const stream = await dialed(connectByteStream({ tcp: { address: `127.0.0.1:${portOf(server.server)}` } }));
      stream.write([bytes('tcp')]);
      expect(text(await readExactly(await server.nextConnection(), 3))).toBe('tcp');
      stream.close();
    } finally {
      await server.close();
    }
  });

  it('dials a Unix socket', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'krx-cbs-'));
    const path = join(dir, 's.sock');
    const server = await startServer({ path });
    try {
      const stream = await dialed(connectByteStream({ unix: { address: path } }));
      stream.write([bytes('unix')]);
      expect(text(await readExactly(await server.nextConnection(), 4))).toBe('unix');
      stream.close();
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('dials WebSocket, passing the options through', async () => {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => wss.on('listening', () => resolve()));
    const received = new Promise<string>((resolve) =>
      wss.on('connection', (s) => s.on('message', (m: Buffer) => resolve(m.toString()))),
    );
    let constructed = 0;
    class Counting extends WebSocket {
      constructor(url: string) {
        super(url);
        constructed++;
      }
    }
    try {
      const url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
      const stream = await dialed(connectByteStream({ ws: { address: url } }, { WebSocketCtor: Counting }));
      stream.write([bytes('w'), bytes('s')]);
      expect(await received).toBe('ws');
      expect(constructed).toBe(1);
      stream.close();
    } finally {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    }
  });

  it('rejects zero or several transports with a ConfigError on subscription, not at call time', async () => {
    const none = connectByteStream({} as DialConfig);
    expect((await dialError(none)) as ConfigError).toMatchObject({ name: 'ConfigError', key: 'dial' });
    const two = { tcp: { address: 'h:1' }, unix: { address: '/s' } } as unknown as DialConfig;
    const error = await dialError(connectByteStream(two));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('dial: exactly one of tcp, unix, ws is required, found tcp and unix');
  });
});
