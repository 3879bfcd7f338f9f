import { connect, type Socket } from 'node:net';
import { Decoder } from 'cbor-x';

import { decodeDaemonMessage, encodeRequest, type UnknownVariant } from '../../../src/wire/codec.js';
import { FrameDecoder } from '../../../src/wire/frame-decoder.js';
import { encodeFrame } from '../../../src/wire/frame-encoder.js';
import type { DaemonMessage, DaemonMessageOf, Request, ResponseKind } from '../../../src/wire/messages.js';
import { hangDeadline, type HangDeadline } from '../../support/hang-deadline.js';

const rawDecoder = new Decoder({ mapsAsObjects: true, useRecords: false });

/** One frame as received: the decoded message and the raw top-level map. */
export interface ReceivedFrame {
  readonly message: DaemonMessage | UnknownVariant;
  readonly raw: Record<string, unknown>;
}

/**
 * A minimal thin client over a raw socket for the simulator specs: sends
 * requests with the wire codec, collects every frame, and lets a test wait
 * for the next frame (optionally of one kind) — never sleeping.
 */
export class RawClient {
  readonly frames: ReceivedFrame[] = [];
  private cursor = 0;
  private readonly decoder = new FrameDecoder();
  private waiter: (() => void) | null = null;
  private ended = false;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.decoder.push(chunk, (body) => {
        this.frames.push({
          message: decodeDaemonMessage(body),
          raw: rawDecoder.decode(body) as Record<string, unknown>,
        });
      });
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** Connects to `host:port` (or a Unix path). */
  static connect(address: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const colon = address.lastIndexOf(':');
      const socket = address.startsWith('/') || address.startsWith('@')
        ? connect({ path: address.startsWith('@') ? `\0${address.slice(1)}` : address })
        : connect({ host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(address.slice(colon + 1)) });
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Whether the daemon closed the socket. */
  get isClosed(): boolean {
    return this.ended;
  }

  send(request: Request): void {
    this.sendBody(encodeRequest(request));
  }

  sendBody(body: Uint8Array): void {
    this.socket.write(encodeFrame(body));
  }

  /** Writes raw bytes (for framing tests). */
  sendRaw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** The next frame not yet consumed (any kind), failing after a hang deadline. */
  async next(deadline: HangDeadline = hangDeadline()): Promise<ReceivedFrame> {
    while (this.cursor >= this.frames.length) {
      if (this.ended) throw new Error('connection closed while waiting for a frame');
      await this.wait(deadline);
    }
    return this.frames[this.cursor++]!;
  }

  /** The next frame of kind `type`, skipping (consuming) frames of other kinds. */
  async nextOf<K extends ResponseKind>(type: K): Promise<DaemonMessageOf<K>> {
    const deadline = hangDeadline();
    for (;;) {
      const frame = await this.next(deadline);
      if (frame.message.type === type) return frame.message as DaemonMessageOf<K>;
    }
  }

  /** Resolves once the daemon closes the socket. */
  async waitClosed(): Promise<void> {
    const deadline = hangDeadline();
    while (!this.ended) await this.wait(deadline);
  }

  /** Frames received but not consumed yet. */
  pending(): ReceivedFrame[] {
    return this.frames.slice(this.cursor);
  }

  /** Ends our side gracefully (no thin_close). */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wait(deadline: HangDeadline): Promise<void> {
    const remaining = deadline.remaining();
    if (remaining <= 0) return Promise.reject(new Error('timed out waiting for the daemon'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = null;
        reject(new Error(`timed out waiting for the daemon (have: ${this.frames.slice(this.cursor).map((f) => f.message.type).join(', ') || 'nothing'})`));
      }, remaining);
      this.waiter = () => {
        clearTimeout(timer);
        this.waiter = null;
        resolve();
      };
    });
  }

  private wake(): void {
    this.waiter?.();
  }
}

/** Bytes of a given length, filled with `fill`. */
export function bytes(length: number, fill = 0): Uint8Array {
  return new Uint8Array(length).fill(fill);
}

/** A 16-byte id from a small number (readable in failures). */
export function id16(n: number): Uint8Array {
  const out = new Uint8Array(16);
  new DataView(out.buffer).setUint32(12, n, false);
  return out;
}

/** Connects, reads the handshake pair, and (unless `token` is null) sends a session token and reads its reply. */
export async function connectSession(
  address: string,
  token: Uint8Array | null = id16(Math.floor(Math.random() * 2 ** 31)),
): Promise<{ client: RawClient; status: DaemonMessageOf<'connection_status_event'>; appId: Uint8Array | null }> {
  const client = await RawClient.connect(address);
  const first = await client.next();
  if (first.message.type !== 'connection_status_event') throw new Error(`expected connection_status_event first, got ${first.message.type}`);
  const second = await client.next();
  if (second.message.type !== 'new_pki_document_event') throw new Error(`expected new_pki_document_event second, got ${second.message.type}`);
  if (token === null) return { client, status: first.message, appId: null };
  client.send({ type: 'session_token', clientInstanceToken: token });
  const reply = await client.nextOf('session_token_reply');
  return { client, status: first.message, appId: reply.appId };
}

let barrierCount = 0;

/**
 * Sends a local request and returns every frame that arrives before its
 * reply. Replies on one connection are in order, so this proves that
 * nothing else was written before the barrier was processed.
 */
export async function framesBeforeBarrier(client: RawClient): Promise<ReceivedFrame[]> {
  const queryId = id16(0x7fff0000 + barrierCount++);
  client.send({ type: 'get_message_box_index_counter', queryId, messageBoxIndex: new Uint8Array(104) });
  const before: ReceivedFrame[] = [];
  for (;;) {
    const frame = await client.next();
    const m = frame.message;
    if (m.type === 'get_message_box_index_counter_reply' && m.queryId !== null && m.queryId.every((b, i) => b === queryId[i])) return before;
    before.push(frame);
  }
}

/** The kinds of some frames. */
export function kinds(frames: readonly ReceivedFrame[]): string[] {
  return frames.map((f) => f.message.type);
}
