import type { Socket } from 'node:net';
import { firstValueFrom, type Observable } from 'rxjs';
import { TransportError } from '../../../src/errors/local-errors.js';
import type { ByteStream } from '../../../src/transport/byte-stream.js';
import type { TestServer } from './servers.js';
import {
  bytes,
  captureClientSockets,
  closed,
  collect,
  concat,
  dialed,
  firstBytes,
  readExactly,
  readToEnd,
  text,
} from './streams.js';

export interface NodeSocketFixture {
  readonly server: TestServer;
  /** A fresh dial of the transport under test. */
  dial(): Observable<ByteStream>;
  /** How error messages name the peer, e.g. `TCP 127.0.0.1:1234`. */
  readonly label: string;
  /**
   * Makes the peer fail the connection so that the client's next read
   * errors: a TCP RST, or on Unix sockets closing with unread data
   * (Linux then reports ECONNRESET to the other end).
   */
  reset(peer: Socket, stream: ByteStream): Promise<void>;
}

/**
 * The ByteStream contract, run against a real local server for each
 * net.Socket-based transport (TCP, Unix path, Unix abstract).
 */
export function nodeSocketBehaviour(setup: () => Promise<NodeSocketFixture>): void {
  let f: NodeSocketFixture;
  beforeEach(async () => {
    f = await setup();
  });
  afterEach(async () => {
    await f.server.close();
  });

  it('round-trips bytes; write(buffers) sends them back to back', async () => {
    const stream = await dialed(f.dial());
    const peer = await f.server.nextConnection();
    stream.write([bytes('\x00\x00\x00\x05'), bytes('hello')]);
    stream.write([bytes('!')]);
    expect(text(await readExactly(peer, 10))).toBe('\x00\x00\x00\x05hello!');

    const reply = firstBytes(stream.chunks$, 9);
    peer.write('abc');
    peer.write('def');
    peer.write('ghi');
    const { data, stop } = await reply;
    expect(text(data)).toBe('abcdefghi');
    stop();
    stream.close();
  });

  it('delivers a large transfer in order as plain, owned Uint8Array chunks', async () => {
    const stream = await dialed(f.dial());
    const peer = await f.server.nextConnection();
    const payload = new Uint8Array(3 * 1024 * 1024 + 7);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + (i >>> 11)) & 0xff;
    const result = collect(stream.chunks$);
    peer.end(payload);
    const { chunks, copies, completed } = await result;
    expect(completed).toBe(true);
    // Chunk boundaries are the transport's business; the bytes are not.
    expect(chunks.length).toBeGreaterThan(1);
    expect(Buffer.from(concat(chunks)).equals(Buffer.from(payload))).toBe(true);
    for (const chunk of chunks) expect(Object.getPrototypeOf(chunk)).toBe(Uint8Array.prototype);
    // Handed over: no later read rewrote an earlier chunk.
    chunks.forEach((chunk, i) => expect(Buffer.from(chunk).equals(Buffer.from(copies[i] as Uint8Array))).toBe(true));
  });

  it('holds bytes that arrive before chunks$ is subscribed (and the EOF after them)', async () => {
    const stream = await dialed(f.dial());
    const peer = await f.server.nextConnection();
    // Written, flushed and followed by FIN before anyone subscribes.
    await new Promise<void>((resolve) => peer.end('early bytes', () => resolve()));
    const { chunks, completed } = await collect(stream.chunks$);
    expect(text(concat(chunks))).toBe('early bytes');
    expect(completed).toBe(true);
  });

  it('keeps bytes Node already read while nobody was subscribed', async () => {
    const sockets = captureClientSockets();
    let stream: ByteStream;
    try {
      stream = await dialed(f.dial());
    } finally {
      sockets.stop();
    }
    const client = sockets.sockets.at(-1);
    if (!client) throw new Error('no client socket captured');
    const peer = await f.server.nextConnection();
    // As if Node had already read these from the kernel: an eager 'data'
    // listener with nobody to forward to would drop them here.
    client.push(Buffer.from('read-'));
    client.push(Buffer.from('ahead-'));
    const got = firstBytes(stream.chunks$, 'read-ahead-tail'.length);
    peer.write('tail');
    expect(text((await got).data)).toBe('read-ahead-tail');
    stream.close();
  });

  it('an unsubscribed stream pauses; a later subscriber continues where it stopped', async () => {
    const stream = await dialed(f.dial());
    const peer = await f.server.nextConnection();
    const first = firstBytes(stream.chunks$, 3);
    peer.write('one');
    const { data, stop } = await first;
    stop();
    expect(text(data)).toBe('one');
    await new Promise<void>((resolve) => peer.end('two', () => resolve()));
    const rest = await collect(stream.chunks$);
    expect(text(concat(rest.chunks))).toBe('two');
    expect(rest.completed).toBe(true);
  });

  it('refuses a second concurrent subscriber', async () => {
    const stream = await dialed(f.dial());
    await f.server.nextConnection();
    const sub = stream.chunks$.subscribe();
    const second = await collect(stream.chunks$);
    expect(second.error).toBeInstanceOf(TransportError);
    expect((second.error as Error).message).toMatch(/already has a subscriber/);
    sub.unsubscribe();
    stream.close();
  });

  it('completes chunks$ on peer EOF after the last bytes', async () => {
    const stream = await dialed(f.dial());
    const peer = await f.server.nextConnection();
    const result = collect(stream.chunks$);
    peer.end('bye');
    const { chunks, completed, error } = await result;
    expect(error).toBeUndefined();
    expect(completed).toBe(true);
    expect(text(concat(chunks))).toBe('bye');
    // Writes after the peer closed are ignored, not thrown or crashing.
    expect(() => stream.write([bytes('late')])).not.toThrow();
    stream.close();
  });

  it('close() flushes pending writes, sends EOF, completes chunks$, and is idempotent', async () => {
    const stream = await dialed(f.dial());
    const peer = await f.server.nextConnection();
    const received = readToEnd(peer);
    const result = collect(stream.chunks$);
    const big = new Uint8Array(2 * 1024 * 1024).fill(7);
    stream.write([bytes('last words'), big]);
    stream.close();
    stream.close();
    stream.write([bytes('after close')]);
    const { completed } = await result;
    expect(completed).toBe(true);
    const got = await received;
    expect(got.byteLength).toBe(10 + big.byteLength);
    expect(text(got.subarray(0, 10))).toBe('last words');
    // A subscriber that arrives after close() sees completion.
    expect((await collect(stream.chunks$)).completed).toBe(true);
  });

  it('close() is a half-close: whenClosed emits only once the peer has closed its side too', async () => {
    const stream = await dialed(f.dial());
    const peer = await f.server.nextConnection();
    let bothClosed = false;
    const closing = firstValueFrom(stream.whenClosed!).then(() => (bothClosed = true));
    stream.write([bytes('last')]);
    stream.close();
    // Our FIN has reached the peer, which has not closed its side: we are still waiting for it.
    expect(text(await readToEnd(peer))).toBe('last');
    expect(bothClosed).toBe(false);
    // What still arrives is discarded; the peer's FIN ends the wait.
    peer.end('ignored');
    await closing;
    expect(bothClosed).toBe(true);
  });

  it('whenClosed also emits when the peer closes first (no close() needed)', async () => {
    const stream = await dialed(f.dial());
    const peer = await f.server.nextConnection();
    const result = collect(stream.chunks$);
    peer.end();
    expect((await result).completed).toBe(true);
    await firstValueFrom(stream.whenClosed!);
  });

  it('errors chunks$ with a TransportError when the peer resets the connection', async () => {
    const stream = await dialed(f.dial());
    const peer = await f.server.nextConnection();
    const result = collect(stream.chunks$);
    await f.reset(peer, stream);
    const { error, completed } = await result;
    expect(completed).toBe(false);
    expect(error).toBeInstanceOf(TransportError);
    const e = error as TransportError;
    expect(e.code).toBe('ERR_TRANSPORT');
    expect(e.message).toBe(`connection to ${f.label} failed (${(e.cause as { code?: string }).code ?? ''})`);
    expect((e.cause as { code?: string }).code).toBe('ECONNRESET');
    expect(() => stream.write([bytes('y')])).not.toThrow();
    stream.close();
  });

  it('is cold: nothing is dialled until subscription, each subscription dials once', async () => {
    const dial$ = f.dial();
    const a = await dialed(dial$);
    const b = await dialed(dial$);
    const peerA = await f.server.nextConnection();
    const peerB = await f.server.nextConnection();
    expect(peerA).not.toBe(peerB);
    a.write([bytes('A')]);
    b.write([bytes('B')]);
    expect(text(await readExactly(peerA, 1))).toBe('A');
    expect(text(await readExactly(peerB, 1))).toBe('B');
    a.close();
    b.close();
  });

  it('unsubscribing before the connection is up aborts the dial', async () => {
    const sockets = captureClientSockets();
    const notifications: string[] = [];
    try {
      f.dial()
        .subscribe({
          next: () => notifications.push('next'),
          error: () => notifications.push('error'),
          complete: () => notifications.push('complete'),
        })
        .unsubscribe();
    } finally {
      sockets.stop();
    }
    expect(sockets.sockets).toHaveLength(1);
    const socket = sockets.sockets[0];
    if (!socket) throw new Error('no client socket captured');
    expect(socket.destroyed).toBe(true);
    await closed(socket);
    expect(socket.readyState).toBe('closed');
    expect(notifications).toEqual([]);
  });
}
