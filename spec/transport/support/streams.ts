import { subscribe as subscribeChannel, unsubscribe as unsubscribeChannel } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { firstValueFrom, type Observable } from 'rxjs';
import type { ByteStream } from '../../../src/transport/byte-stream.js';

/** Concatenates byte arrays. */
export function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (data: Uint8Array): string => new TextDecoder().decode(data);

/** What `chunks$` delivered until it completed or errored. */
export interface Collected {
  readonly chunks: Uint8Array[];
  /** Copies taken at delivery time, to detect chunks rewritten later. */
  readonly copies: Uint8Array[];
  readonly error: unknown;
  readonly completed: boolean;
}

/** Subscribes to `chunks$` and resolves when it completes or errors. */
export function collect(chunks$: Observable<Uint8Array>): Promise<Collected> {
  return new Promise((resolve) => {
    const chunks: Uint8Array[] = [];
    const copies: Uint8Array[] = [];
    chunks$.subscribe({
      next: (c) => {
        chunks.push(c);
        copies.push(c.slice());
      },
      error: (error: unknown) => resolve({ chunks, copies, error, completed: false }),
      complete: () => resolve({ chunks, copies, error: undefined, completed: true }),
    });
  });
}

/** Subscribes and resolves once `n` bytes arrived (leaves the subscription open). */
export function firstBytes(chunks$: Observable<Uint8Array>, n: number): Promise<{ data: Uint8Array; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const got: Uint8Array[] = [];
    let total = 0;
    const sub = chunks$.subscribe({
      next: (c) => {
        got.push(c);
        total += c.byteLength;
        if (total >= n) resolve({ data: concat(got), stop: () => sub.unsubscribe() });
      },
      error: reject,
      complete: () => reject(new Error(`completed after ${total} of ${n} bytes`)),
    });
  });
}

/** Reads from a server-side socket until EOF. */
export function readToEnd(socket: Socket): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const got: Uint8Array[] = [];
    socket.on('data', (c: Buffer) => got.push(c));
    socket.on('end', () => resolve(concat(got)));
    socket.on('error', reject);
    socket.resume();
  });
}

/** Reads exactly `n` bytes from a server-side socket. */
export function readExactly(socket: Socket, n: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const got: Uint8Array[] = [];
    let total = 0;
    const onData = (c: Buffer): void => {
      got.push(c);
      total += c.byteLength;
      if (total >= n) {
        socket.off('data', onData);
        socket.pause();
        resolve(concat(got));
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.resume();
  });
}

/** Dials and resolves with the connected stream. */
export const dialed = (dial$: Observable<ByteStream>): Promise<ByteStream> => firstValueFrom(dial$);

/** Dials, expects failure, resolves with the error. */
export async function dialError(dial$: Observable<ByteStream>): Promise<unknown> {
  return firstValueFrom(dial$).then(
    () => {
      throw new Error('expected the dial to fail');
    },
    (error: unknown) => error,
  );
}

/**
 * Captures client sockets that `net.connect` creates, through Node's
 * `net.client.socket` diagnostics channel — a way to observe the dial's
 * socket without a test hook in the transport.
 */
export function captureClientSockets(): { readonly sockets: Socket[]; stop(): void } {
  const sockets: Socket[] = [];
  const listener = (message: unknown): void => {
    sockets.push((message as { socket: Socket }).socket);
  };
  subscribeChannel('net.client.socket', listener);
  return { sockets, stop: () => unsubscribeChannel('net.client.socket', listener) };
}

/** A socket's 'close' event as a promise. */
export const closed = (socket: Socket): Promise<void> =>
  new Promise((resolve) => {
    if (socket.closed) resolve();
    else socket.once('close', () => resolve());
  });
