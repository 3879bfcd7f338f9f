import { createServer, connect, type Server, type Socket } from 'node:net';
import { Subject } from 'rxjs';
import { decodeDaemonMessage, decodeRequest, type ThinClientConfig } from 'katzenpost-rx';

/** Which way bytes flow through the proxy. */
export type Direction = 'toDaemon' | 'toClient';

/** One whole frame the proxy is about to forward. */
export interface ProxyFrame {
  readonly direction: Direction;
  /** 1-based number of the proxied connection. */
  readonly connection: number;
  /** 0-based number of this frame in its direction on its connection. */
  readonly index: number;
  /** The frame body (without the 4-byte prefix). */
  readonly body: Uint8Array;
  /** The decoded variant name (`new_keypair_reply`, `session_token`, …), `?` if undecodable. */
  readonly kind: string;
  /** The decoded query id, when the frame has one. */
  readonly queryId: Uint8Array | null;
}

/**
 * What to do with a frame: pass it on (undefined), send these raw bytes
 * instead (inject, duplicate, corrupt), or forward only its first
 * `cutAfter` bytes (prefix included) and then cut the connection.
 */
export type FrameAction = undefined | { readonly send: readonly Uint8Array[] } | { readonly cutAfter: number; readonly reset?: boolean };

/** A hook on every frame of one direction; runs synchronously before the frame is forwarded. */
export type FrameHook = (frame: ProxyFrame) => FrameAction | void;

/** A cut that happened, for the test's figures. */
export interface CutRecord {
  readonly direction: Direction;
  readonly connection: number;
  /** Byte offset in that direction's stream at which the connection died. */
  readonly offset: number;
  /** True if the cut fell inside a frame (prefix or body), false at a frame boundary. */
  readonly midFrame: boolean;
  /** RST instead of FIN. */
  readonly reset: boolean;
}

interface Pair {
  readonly id: number;
  readonly client: Socket;
  readonly upstream: Socket;
  closed: boolean;
  readonly pending: Record<Direction, Uint8Array[]>;
  readonly bytes: Record<Direction, number>;
  readonly frames: Record<Direction, number>;
  /** Absolute stream offset (per direction) at which to cut, if armed. */
  readonly cutAt: Record<Direction, { offset: number; reset: boolean } | null>;
}

/**
 * A TCP proxy between a client and the simulator, for fault injection.
 * It reassembles each direction into whole frames (with its own parser,
 * independent of the SDK's decoder) and forwards them one by one, so it
 * can: cut a connection after any byte (mid-frame or not, FIN or RST),
 * inject raw bytes between frames, duplicate or replace frames, and stop
 * accepting (the daemon vanished). `frames$` and `cuts$` let tests wait on
 * what actually happened instead of sleeping.
 *
 * @example
 * const proxy = await FaultProxy.start(sim.address);
 * const client = await ThinClient.connect(proxy.config, options);
 * proxy.cutAfter('toClient', 100); // 100 more bytes to the client, then cut
 */
export class FaultProxy {
  /** Every frame as it is forwarded (after hooks chose to pass it). */
  readonly frames$ = new Subject<ProxyFrame>();
  /** Every cut, when it happens. */
  readonly cuts$ = new Subject<CutRecord>();
  readonly cuts: CutRecord[] = [];
  private readonly hooks: Record<Direction, FrameHook | null> = { toDaemon: null, toClient: null };
  private readonly pairs = new Set<Pair>();
  private accepted = 0;
  private nextCut: { direction: Direction; n: number; reset: boolean } | null = null;
  private greeting: number | null = null;
  private stopped = false;

  private constructor(
    private readonly server: Server,
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
    readonly address: string,
  ) {}

  /** Listens on 127.0.0.1 (free port) and forwards to `upstream` (`host:port`). */
  static async start(upstream: string): Promise<FaultProxy> {
    const at = upstream.lastIndexOf(':');
    const host = upstream.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(upstream.slice(at + 1));
    let proxy: FaultProxy | null = null;
    const server = createServer({ pauseOnConnect: true }, (socket) => proxy!.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port: own } = server.address() as { port: number };
    proxy = new FaultProxy(server, host, port, `127.0.0.1:${own}`);
    return proxy;
  }

  /** A client config that dials the proxy. */
  get config(): ThinClientConfig {
    return { dial: { tcp: { address: this.address } } };
  }

  /** Connections accepted so far. */
  get connectionCount(): number {
    return this.accepted;
  }

  /**
   * Bytes the daemon sends on a connection up to and including its
   * `session_token_reply` (the greeting with the PKI document), as seen on
   * the first connection; 0 before that.
   */
  get greetingBytes(): number {
    return this.greeting ?? 0;
  }

  /** Connections open now. */
  get openConnections(): number {
    return this.pairs.size;
  }

  /** Installs (or removes, with null) the frame hook of one direction. */
  setHook(direction: Direction, hook: FrameHook | null): void {
    this.hooks[direction] = hook;
  }

  /**
   * Arms a cut on the newest open connection: after `n` more bytes in
   * `direction`, the connection dies (both sides). Returns false if no
   * connection is open.
   */
  cutAfter(direction: Direction, n: number, reset = false): boolean {
    const pair = this.newest();
    if (!pair) return false;
    pair.cutAt[direction] = { offset: pair.bytes[direction] + n, reset };
    return true;
  }

  /** Arms a cut after `n` bytes in `direction` on the next connection the proxy accepts. */
  cutNextConnection(direction: Direction, n: number, reset = false): void {
    this.nextCut = { direction, n, reset };
  }

  /** Writes raw bytes to the client now, between two frames of the newest connection. */
  injectToClient(bytes: Uint8Array): boolean {
    const pair = this.newest();
    if (!pair) return false;
    this.write(pair, 'toClient', [bytes]);
    return true;
  }

  /** Drops every open connection (FIN both ways). */
  dropAll(): void {
    for (const pair of [...this.pairs]) this.close(pair, false);
  }

  /** Stops listening and drops everything: to the client, the daemon is gone. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.dropAll();
    await closed;
  }

  private newest(): Pair | undefined {
    let newest: Pair | undefined;
    for (const pair of this.pairs) if (!pair.closed && (!newest || pair.id > newest.id)) newest = pair;
    return newest;
  }

  private accept(client: Socket): void {
    if (this.stopped) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: this.upstreamHost, port: this.upstreamPort });
    upstream.pause();
    const pair: Pair = {
      id: ++this.accepted,
      client,
      upstream,
      closed: false,
      pending: { toDaemon: [], toClient: [] },
      bytes: { toDaemon: 0, toClient: 0 },
      frames: { toDaemon: 0, toClient: 0 },
      cutAt: { toDaemon: null, toClient: null },
    };
    this.pairs.add(pair);
    if (this.nextCut) {
      pair.cutAt[this.nextCut.direction] = { offset: this.nextCut.n, reset: this.nextCut.reset };
      this.nextCut = null;
    }
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      // Errors (ECONNRESET after a cut, ECONNREFUSED) just end the pair.
      socket.on('error', () => this.close(pair, false));
      socket.on('end', () => this.close(pair, false));
      socket.on('close', () => this.close(pair, false));
    }
    client.on('data', (chunk: Buffer) => this.receive(pair, 'toDaemon', chunk));
    upstream.on('data', (chunk: Buffer) => this.receive(pair, 'toClient', chunk));
    upstream.once('connect', () => {
      client.resume();
      upstream.resume();
    });
  }

  /** Buffers a chunk and forwards every whole frame it completes. */
  private receive(pair: Pair, direction: Direction, chunk: Buffer): void {
    if (pair.closed) return;
    const pending = pair.pending[direction];
    pending.push(new Uint8Array(chunk));
    let buffered = concat(pending);
    pending.length = 0;
    while (!pair.closed && buffered.length >= 4) {
      const length = new DataView(buffered.buffer, buffered.byteOffset, 4).getUint32(0, false);
      if (buffered.length < 4 + length) break;
      const frame = buffered.subarray(0, 4 + length);
      buffered = buffered.subarray(4 + length);
      this.forward(pair, direction, frame);
    }
    if (buffered.length > 0) pending.push(buffered);
  }

  private forward(pair: Pair, direction: Direction, frame: Uint8Array): void {
    const body = frame.subarray(4);
    const info: ProxyFrame = { direction, connection: pair.id, index: pair.frames[direction]++, body, ...describe(direction, body) };
    if (this.greeting === null && direction === 'toClient' && info.kind === 'session_token_reply') {
      this.greeting = pair.bytes.toClient + frame.length;
    }
    const action = this.hooks[direction]?.(info) ?? undefined;
    if (action === undefined) {
      this.frames$.next(info);
      this.write(pair, direction, [frame]);
    } else if ('send' in action) {
      this.write(pair, direction, action.send);
    } else {
      pair.cutAt[direction] = { offset: pair.bytes[direction] + action.cutAfter, reset: action.reset ?? false };
      this.write(pair, direction, [frame], true);
    }
  }

  /** Writes bytes in `direction`, honouring an armed cut. `framed`: the bytes are one frame (for the mid-frame figure). */
  private write(pair: Pair, direction: Direction, chunks: readonly Uint8Array[], framed = chunks.length === 1): void {
    const target = direction === 'toDaemon' ? pair.upstream : pair.client;
    for (const chunk of chunks) {
      if (pair.closed) return;
      const cut = pair.cutAt[direction];
      const start = pair.bytes[direction];
      if (cut !== null && cut.offset < start + chunk.length) {
        const keep = Math.max(0, cut.offset - start);
        if (keep > 0) target.write(chunk.subarray(0, keep));
        pair.bytes[direction] += keep;
        const record: CutRecord = { direction, connection: pair.id, offset: pair.bytes[direction], midFrame: framed && keep > 0, reset: cut.reset };
        this.cuts.push(record);
        this.close(pair, cut.reset);
        this.cuts$.next(record);
        return;
      }
      target.write(chunk);
      pair.bytes[direction] += chunk.length;
    }
  }

  private close(pair: Pair, reset: boolean): void {
    if (pair.closed) return;
    pair.closed = true;
    this.pairs.delete(pair);
    for (const socket of [pair.client, pair.upstream]) {
      if (socket.destroyed) continue;
      if (reset) {
        // Node (20) turns a reset issued in the turn of a write, or the next one, into a
        // plain FIN (measured: 40/40 FIN after one setImmediate, 40/40 RST after two).
        setImmediate(() =>
          setImmediate(() => {
            if (!socket.destroyed) socket.resetAndDestroy();
          }),
        );
      } else {
        // FIN after whatever was written; destroy once flushed.
        socket.end(() => socket.destroy());
      }
    }
  }
}

function describe(direction: Direction, body: Uint8Array): { kind: string; queryId: Uint8Array | null } {
  try {
    const message = direction === 'toClient' ? decodeDaemonMessage(body) : decodeRequest(body);
    const queryId = 'queryId' in message && message.queryId instanceof Uint8Array ? message.queryId : null;
    return { kind: message.type, queryId };
  } catch {
    return { kind: '?', queryId: null };
  }
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
