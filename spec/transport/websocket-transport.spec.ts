import type { AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ConfigError, TransportError } from '../../src/errors/local-errors.js';
import type { ByteStream } from '../../src/transport/byte-stream.js';
import type { WebSocketCtor } from '../../src/transport/websocket-like.js';
import { connectWebSocket } from '../../src/transport/websocket-transport.js';
import { closedPort } from './support/servers.js';
import { bytes, collect, concat, dialed, dialError, firstBytes, text } from './support/streams.js';

/** A server-side ws connection with its messages queued. */
interface Peer {
  readonly socket: WebSocket;
  /** The next message (binary flag and bytes). */
  nextMessage(): Promise<{ isBinary: boolean; data: Uint8Array }>;
  /** Messages received and not yet taken. */
  queued(): number;
  /** Resolves with the close code the client sent (or 1005/1006). */
  readonly closed: Promise<number>;
}

interface TestWsServer {
  readonly url: string;
  nextPeer(): Promise<Peer>;
  close(): Promise<void>;
}

function startWsServer(): Promise<TestWsServer> {
  const peers: Peer[] = [];
  const waiting: Array<(p: Peer) => void> = [];
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => {
    const messages: Array<{ isBinary: boolean; data: Uint8Array }> = [];
    const readers: Array<(m: { isBinary: boolean; data: Uint8Array }) => void> = [];
    socket.on('message', (raw: RawData, isBinary: boolean) => {
      const data = concat(Array.isArray(raw) ? raw : [new Uint8Array(raw as ArrayBuffer)]);
      const m = { isBinary, data };
      const r = readers.shift();
      if (r) r(m);
      else messages.push(m);
    });
    const peer: Peer = {
      socket,
      nextMessage: () =>
        new Promise((resolve) => {
          const m = messages.shift();
          if (m) resolve(m);
          else readers.push(resolve);
        }),
      queued: () => messages.length,
      closed: new Promise((resolve) => socket.on('close', (code: number) => resolve(code))),
    };
    const w = waiting.shift();
    if (w) w(peer);
    else peers.push(peer);
  });
  return new Promise((resolve) => {
    server.on('listening', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `ws://127.0.0.1:${port}`,
        nextPeer: () =>
          new Promise((r) => {
            const p = peers.shift();
            if (p) r(p);
            else waiting.push(r);
          }),
        close: () =>
          new Promise((r) => {
            for (const c of server.clients) c.terminate();
            server.close(() => r());
          }),
      });
    });
  });
}

/** Wraps ws's WebSocket to record each instance the transport creates. */
function recordingCtor(): { Ctor: WebSocketCtor; instances: WebSocket[] } {
  const instances: WebSocket[] = [];
  class Recording extends WebSocket {
    constructor(url: string) {
      super(url);
      instances.push(this);
    }
  }
  return { Ctor: Recording, instances };
}

describe('connectWebSocket', () => {
  let server: TestWsServer;
  beforeEach(async () => {
    server = await startWsServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('works without an injected WebSocket (globalThis.WebSocket, or ws via import())', async () => {
    const stream = await dialed(connectWebSocket({ address: server.url }));
    const peer = await server.nextPeer();
    stream.write([bytes('ping')]);
    expect(text((await peer.nextMessage()).data)).toBe('ping');
    const reply = firstBytes(stream.chunks$, 4);
    peer.socket.send(bytes('pong'));
    expect(text((await reply).data)).toBe('pong');
    stream.close();
  });

  it('prefers globalThis.WebSocket when present', async () => {
    const { Ctor, instances } = recordingCtor();
    const g = globalThis as { WebSocket?: unknown };
    const saved = Object.getOwnPropertyDescriptor(g, 'WebSocket');
    g.WebSocket = Ctor;
    try {
      const stream = await dialed(connectWebSocket({ address: server.url }));
      expect(instances).toHaveLength(1);
      expect(instances[0]?.binaryType).toBe('arraybuffer');
      stream.close();
    } finally {
      if (saved) Object.defineProperty(g, 'WebSocket', saved);
      else delete g.WebSocket;
    }
  });

  it('write(buffers) sends exactly one binary message per call', async () => {
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: WebSocket }));
    const peer = await server.nextPeer();
    stream.write([bytes('\x00\x00\x00\x05'), bytes('hello')]); // prefix + body: one message
    stream.write([]); // nothing at all
    stream.write([new Uint8Array(0), new Uint8Array(0)]); // nothing either
    stream.write([bytes('single')]);
    const big = new Uint8Array(1024 * 1024).fill(1);
    stream.write([bytes('big:'), big]);
    const first = await peer.nextMessage();
    expect(first.isBinary).toBe(true);
    expect(text(first.data)).toBe('\x00\x00\x00\x05hello');
    const second = await peer.nextMessage();
    expect(text(second.data)).toBe('single');
    const third = await peer.nextMessage();
    expect(third.data.byteLength).toBe(4 + big.byteLength);
    stream.close();
  });

  it('emits each binary message as one owned Uint8Array chunk, in order', async () => {
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: WebSocket }));
    const peer = await server.nextPeer();
    const result = collect(stream.chunks$);
    // The daemon sends a frame's 4-byte prefix and body as two messages.
    peer.socket.send(bytes('\x00\x00\x00\x03'));
    peer.socket.send(bytes('abc'));
    peer.socket.send(new Uint8Array(70_000).fill(9));
    peer.socket.close(1000);
    const { chunks, copies, completed } = await result;
    expect(completed).toBe(true);
    expect(chunks.map((c) => c.byteLength)).toEqual([4, 3, 70_000]);
    expect(text(concat(chunks.slice(0, 2)))).toBe('\x00\x00\x00\x03abc');
    for (const [i, c] of chunks.entries()) {
      expect(Object.getPrototypeOf(c)).toBe(Uint8Array.prototype);
      expect(Buffer.from(c).equals(Buffer.from(copies[i] as Uint8Array))).toBe(true);
    }
  });

  it('keeps messages that arrive before chunks$ is subscribed', async () => {
    const { Ctor, instances } = recordingCtor();
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: Ctor }));
    const peer = await server.nextPeer();
    const client = instances[0];
    if (!client) throw new Error('no client WebSocket recorded');
    // Wait until the client has actually received both messages.
    const arrived = new Promise<void>((resolve) => {
      let n = 0;
      client.on('message', () => {
        if (++n === 2) resolve();
      });
    });
    peer.socket.send(bytes('early-'));
    peer.socket.send(bytes('bird'));
    await arrived;
    const got = firstBytes(stream.chunks$, 'early-bird-late'.length);
    peer.socket.send(bytes('-late'));
    expect(text((await got).data)).toBe('early-bird-late');
    stream.close();
  });

  it('delivers held messages and then a close that happened while unsubscribed', async () => {
    const { Ctor, instances } = recordingCtor();
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: Ctor }));
    const peer = await server.nextPeer();
    const client = instances[0];
    if (!client) throw new Error('no client WebSocket recorded');
    const clientClosed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    peer.socket.send(bytes('last'));
    peer.socket.close(1000);
    await clientClosed;
    const { chunks, completed } = await collect(stream.chunks$);
    expect(text(concat(chunks))).toBe('last');
    expect(completed).toBe(true);
  });

  it('treats a text message as an error and closes with 1003', async () => {
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: WebSocket }));
    const peer = await server.nextPeer();
    const result = collect(stream.chunks$);
    peer.socket.send(bytes('ok'));
    peer.socket.send('{"not":"binary"}');
    const { chunks, error } = await result;
    expect(text(concat(chunks))).toBe('ok');
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(
      `WebSocket ${server.url} sent a text message; the protocol uses binary messages only`,
    );
    expect(await peer.closed).toBe(1003);
  });

  it.each([1000, 1001])('completes chunks$ when the server closes normally (%i)', async (code) => {
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: WebSocket }));
    const peer = await server.nextPeer();
    const result = collect(stream.chunks$);
    peer.socket.close(code);
    expect((await result).completed).toBe(true);
    expect(() => stream.write([bytes('late')])).not.toThrow();
  });

  it('errors chunks$ when the server closes with an error code', async () => {
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: WebSocket }));
    const peer = await server.nextPeer();
    const result = collect(stream.chunks$);
    peer.socket.close(1011, 'internal error');
    const { error } = await result;
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(`WebSocket connection to ${server.url} closed abnormally (code 1011)`);
  });

  it('errors chunks$ when the connection drops without a close frame', async () => {
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: WebSocket }));
    const peer = await server.nextPeer();
    const result = collect(stream.chunks$);
    peer.socket.terminate();
    const { error } = await result;
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(`WebSocket connection to ${server.url} closed abnormally (code 1006)`);
  });

  it('close() completes chunks$, sends close 1000 after pending messages, and is idempotent', async () => {
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: WebSocket }));
    const peer = await server.nextPeer();
    const result = collect(stream.chunks$);
    stream.write([bytes('thin_close')]);
    stream.close();
    stream.close();
    stream.write([bytes('after close')]);
    expect((await result).completed).toBe(true);
    expect(text((await peer.nextMessage()).data)).toBe('thin_close');
    expect(await peer.closed).toBe(1000);
    // Nothing else arrived before the close frame.
    expect(peer.queued()).toBe(0);
    // The closing handshake is over at both ends.
    await firstValueFrom(stream.whenClosed!);
  });

  it('whenClosed emits after the close bound when the server never answers the close frame', async () => {
    const { Ctor, instances } = recordingCtor();
    const stream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: Ctor, closeBoundMs: 1 }));
    const peer = await server.nextPeer();
    // A peer that never answers: its socket stops reading, so our close frame is never handled.
    peer.socket.pause();
    stream.close();
    await firstValueFrom(stream.whenClosed!);
    expect(instances[0]!.readyState).toBe(WebSocket.CLOSING);
  });

  it('fails the dial to a closed port with a TransportError naming the URL', async () => {
    const url = `ws://127.0.0.1:${await closedPort()}`;
    const error = await dialError(connectWebSocket({ address: url }, { WebSocketCtor: WebSocket }));
    expect(error).toBeInstanceOf(TransportError);
    expect((error as Error).message).toBe(`could not connect to WebSocket ${url}`);
    expect(((error as Error).cause as { code?: string }).code).toBe('ECONNREFUSED');
  });

  it('fails the dial when the server refuses the upgrade', async () => {
    // A plain HTTP server: the upgrade gets a 404.
    const http = await import('node:http');
    const plain = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', () => resolve()));
    const url = `ws://127.0.0.1:${(plain.address() as AddressInfo).port}/`;
    try {
      const error = await dialError(connectWebSocket({ address: url }, { WebSocketCtor: WebSocket }));
      expect(error).toBeInstanceOf(TransportError);
      expect((error as Error).message).toBe(`could not connect to WebSocket ${url}`);
    } finally {
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });

  it('unsubscribing before open closes the socket and emits nothing', async () => {
    const { Ctor, instances } = recordingCtor();
    const notifications: string[] = [];
    connectWebSocket({ address: server.url }, { WebSocketCtor: Ctor })
      .subscribe({
        next: () => notifications.push('next'),
        error: () => notifications.push('error'),
        complete: () => notifications.push('complete'),
      })
      .unsubscribe();
    const client = instances[0];
    if (!client) throw new Error('no client WebSocket recorded');
    expect(client.readyState).toBe(WebSocket.CLOSING);
    await new Promise<void>((resolve) => client.on('close', () => resolve()));
    expect(client.readyState).toBe(WebSocket.CLOSED);
    expect(notifications).toEqual([]);
  });

  // Only where the import('ws') path is taken (no global WebSocket: Node 20).
  const noGlobalWebSocket = (globalThis as { WebSocket?: unknown }).WebSocket === undefined;
  (noGlobalWebSocket ? it : it.skip)('unsubscribing while ws is still being imported creates no socket', async () => {
    // Count the WebSockets the transport attaches to, whichever module
    // instance of ws it got, by watching the shared prototype.
    const seen = new Set<WebSocket>();
    const original = WebSocket.prototype.addEventListener;
    WebSocket.prototype.addEventListener = function (this: WebSocket, ...args: Parameters<typeof original>) {
      seen.add(this);
      return original.apply(this, args);
    } as typeof original;
    try {
      connectWebSocket({ address: server.url }).subscribe().unsubscribe();
      // A second dial through the same import path: by the time it is open,
      // the first dial's import has settled too.
      const stream = await dialed(connectWebSocket({ address: server.url }));
      stream.close();
    } finally {
      WebSocket.prototype.addEventListener = original;
    }
    expect(seen.size).toBe(1);
  });

  it('refuses a second concurrent subscriber to chunks$', async () => {
    const stream: ByteStream = await dialed(connectWebSocket({ address: server.url }, { WebSocketCtor: WebSocket }));
    const sub = stream.chunks$.subscribe();
    const second = await collect(stream.chunks$);
    expect(second.error).toBeInstanceOf(TransportError);
    sub.unsubscribe();
    stream.close();
  });

  it('rejects a malformed address as a ConfigError on subscription', async () => {
    const error = await dialError(connectWebSocket({ address: 'http://127.0.0.1:1' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('dial.ws.address');
  });
});
