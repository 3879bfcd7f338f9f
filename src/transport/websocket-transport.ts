import { AsyncSubject, Observable, type Subscriber } from 'rxjs';
import type { WsDial } from '../config/dial-config.js';
import { validateConfig } from '../config/parse-config.js';
import { TransportError } from '../errors/local-errors.js';
import { concatBytes } from '../wire/concat-bytes.js';
import { DAEMON_CLOSE_WAIT_MS } from '../wire/constants.js';
import type { ByteStream } from './byte-stream.js';
import type { WebSocketCtor, WebSocketLike } from './websocket-like.js';

/**
 * Options of {@link connectWebSocket}.
 *
 * @inline
 * @example
 * const options: WebSocketTransportOptions = { WebSocketCtor: (await import('ws')).WebSocket };
 */
export interface WebSocketTransportOptions {
  /**
   * @internal How long `close()` waits for the daemon's close frame before
   * `whenClosed` is given up on. Default {@link DAEMON_CLOSE_WAIT_MS}.
   */
  readonly closeBoundMs?: number;
  /**
   * The `WebSocket` class to use. Default: `globalThis.WebSocket` when it
   * exists (browsers, Node ≥ 22), else the `ws` package.
   */
  readonly WebSocketCtor?: WebSocketCtor;
}

// WHATWG readyState values (the same in ws).
const OPEN = 1;
// Close codes that mean "the peer closed normally": the daemon's WebSocket
// library reports 1000 and 1001 as EOF; 1005 is a close frame without code.
const NORMAL_CLOSE = new Set([1000, 1001, 1005]);

interface MessageEventLike {
  readonly data: unknown;
}
interface CloseEventLike {
  readonly code: number;
}
interface ErrorEventLike {
  readonly error?: unknown;
}

/**
 * Connects to the daemon's WebSocket listener (`[Dial.Ws]`, PROTOCOL.md
 * §1.2, daemon v0.0.92+). The daemon speaks binary messages only and
 * splits a frame over messages freely, so this is a plain byte stream:
 * each binary message becomes one chunk; a text message from the server is
 * a protocol violation — `chunks$` errors and the socket is closed (1003
 * where the platform allows that code). `write(buffers)` sends one binary
 * message (buffers concatenated), as the Go client sends one per frame.
 *
 * Cold: each subscription dials once, emits the open {@link ByteStream}
 * and completes; unsubscribing before `open` closes the socket. Messages
 * that arrive before `chunks$` is subscribed are kept, in order.
 *
 * Note: the daemon serves plain HTTP even for a `wss://` address; `wss://`
 * works only through a TLS-terminating proxy.
 *
 * The `ws` package is loaded with a dynamic `import('ws')` only when no
 * `WebSocket` is available, so a browser bundle never pulls in Node
 * built-ins through this file.
 *
 * @example
 * connectWebSocket({ address: 'ws://localhost:12345' }).subscribe((stream) => {
 *   stream.chunks$.subscribe((chunk) => decoder.push(chunk));
 *   stream.write([prefix, body]); // one binary message
 * });
 */
export function connectWebSocket(dial: WsDial, options: WebSocketTransportOptions = {}): Observable<ByteStream> {
  return new Observable<ByteStream>((subscriber) => {
    // Throwing here becomes the Observable's error (a ConfigError).
    validateConfig({ dial: { ws: dial } });
    const address = dial.address;
    let aborted = false;
    let socket: WebSocketLike | undefined;

    const open = (Ctor: WebSocketCtor): void => {
      if (aborted) return;
      try {
        socket = new Ctor(address);
      } catch (error) {
        subscriber.error(new TransportError(`could not connect to WebSocket ${address}`, { cause: error }));
        return;
      }
      socket.binaryType = 'arraybuffer';
      webSocketStream(socket, address, subscriber, options.closeBoundMs ?? DAEMON_CLOSE_WAIT_MS);
    };

    const Ctor = options.WebSocketCtor ?? (globalThis as { WebSocket?: WebSocketCtor }).WebSocket;
    if (Ctor) {
      open(Ctor);
    } else {
      import('ws').then(
        (module) => open(module.default as unknown as WebSocketCtor),
        (error: unknown) =>
          subscriber.error(
            new TransportError('no WebSocket implementation: globalThis.WebSocket is missing and ws could not be loaded', {
              cause: error,
            }),
          ),
      );
    }

    return () => {
      aborted = true;
      // After `open` the stream belongs to the subscriber; before it, the
      // dial is abandoned. ws reports this as an 'error' event, which the
      // listeners below swallow because the subscriber is closed.
      if (socket && socket.readyState !== OPEN) socket.close();
    };
  });
}

/**
 * Attaches to a not-yet-open WebSocket: reports the dial outcome to
 * `dialer`, and after `open` acts as the ByteStream.
 */
function webSocketStream(socket: WebSocketLike, address: string, dialer: Subscriber<ByteStream>, closeBoundMs: number): void {
  let opened = false;
  let dialSettled = false;
  let closed = false;
  let subscriber: Subscriber<Uint8Array> | undefined;
  // Held while nobody is subscribed: WebSocket has no pause.
  const pending: Uint8Array[] = [];
  let terminal: { readonly error: TransportError | undefined } | undefined;

  const finish = (error: TransportError | undefined): void => {
    if (terminal) return;
    terminal = { error };
    const s = subscriber;
    subscriber = undefined;
    if (!s) return;
    if (error) s.error(error);
    else s.complete();
  };

  // The 'close' event: the closing handshake is over (or the socket failed).
  const bothClosed = new AsyncSubject<void>();
  let closeBound: ReturnType<typeof setTimeout> | undefined;
  let closedBoth = false;
  const closedBothWays = (): void => {
    if (closedBoth) return;
    closedBoth = true;
    clearTimeout(closeBound);
    bothClosed.next();
    bothClosed.complete();
  };

  const dialFailed = (cause: unknown): void => {
    if (dialSettled) return;
    dialSettled = true;
    dialer.error(new TransportError(`could not connect to WebSocket ${address}`, { cause }));
  };

  const closeSocket = (code: number): void => {
    try {
      socket.close(code);
    } catch {
      // Browsers allow only 1000 and 3000–4999 from scripts.
      socket.close();
    }
  };

  const deliver = (chunk: Uint8Array): void => {
    if (subscriber) subscriber.next(chunk);
    else pending.push(chunk);
  };

  const chunks$ = new Observable<Uint8Array>((s) => {
    if (subscriber) {
      s.error(new TransportError(`chunks$ of WebSocket ${address} already has a subscriber`));
      return undefined;
    }
    // Deliver what arrived while nobody listened. The receiver may
    // unsubscribe or close() re-entrantly from next(): both end the loop.
    subscriber = s;
    while (subscriber === s && !s.closed && !closed && pending.length > 0) s.next(pending.shift() as Uint8Array);
    if (subscriber === s && !s.closed && terminal) {
      subscriber = undefined;
      if (terminal.error) s.error(terminal.error);
      else s.complete();
    }
    return () => {
      if (subscriber === s) subscriber = undefined;
    };
  });

  const stream: ByteStream = {
    chunks$,
    write(buffers: readonly Uint8Array[]): void {
      if (closed || terminal || socket.readyState !== OPEN) return;
      const message = oneMessage(buffers);
      if (message.byteLength > 0) socket.send(message);
    },
    close(): void {
      if (closed) return;
      closed = true;
      finish(undefined);
      closeSocket(1000);
      // A peer that never answers the close frame: stop waiting for it.
      // (The platform's own close timeout frees the socket.)
      if (!closedBoth) {
        closeBound = setTimeout(closedBothWays, closeBoundMs);
        // Node: the wait alone must not keep the process alive (browsers have no unref).
        (closeBound as { unref?: () => void }).unref?.();
      }
    },
    whenClosed: bothClosed.asObservable(),
    // kpclientd's WebSocket library (coder/websocket) answers our close
    // frame from the connection's reader goroutine, which is free while the
    // worker goroutine encrypts, so whenClosed does not prove that the
    // daemon's worker is done (and has unregistered our AppID) the way a
    // TCP/Unix FIN does: seen on the testnet. The client sends a barrier first.
    closeIsOrdered: false,
  };

  socket.addEventListener('open', () => {
    if (dialSettled) return;
    dialSettled = true;
    opened = true;
    dialer.next(stream);
    dialer.complete();
  });

  socket.addEventListener('message', (event) => {
    if (terminal) return;
    const data = (event as MessageEventLike).data;
    // toString, not instanceof: ws may build its ArrayBuffers in another
    // realm (e.g. under Jest's vm modules) than this module's globals.
    if (Object.prototype.toString.call(data) === '[object ArrayBuffer]') {
      // binaryType 'arraybuffer': a fresh buffer per message — handed over.
      deliver(new Uint8Array(data as ArrayBuffer));
    } else if (ArrayBuffer.isView(data)) {
      deliver(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } else {
      const kind = typeof data === 'string' ? 'a text message' : 'a non-binary message';
      finish(new TransportError(`WebSocket ${address} sent ${kind}; the protocol uses binary messages only`));
      // 1003 "unsupported data", as the daemon answers a text message.
      closeSocket(1003);
    }
  });

  socket.addEventListener('error', (event) => {
    // Browsers give no detail; ws and undici put the cause in `error`.
    const cause = (event as ErrorEventLike).error;
    if (!opened) {
      dialFailed(cause);
      return;
    }
    finish(new TransportError(`WebSocket connection to ${address} failed`, { cause }));
  });

  socket.addEventListener('close', (event) => {
    closedBothWays();
    if (!opened) {
      dialFailed(undefined);
      return;
    }
    const code = (event as CloseEventLike).code;
    finish(
      NORMAL_CLOSE.has(code)
        ? undefined
        : new TransportError(`WebSocket connection to ${address} closed abnormally (code ${code})`),
    );
  });
}

/**
 * The buffers as one message. A single buffer backed by a plain
 * ArrayBuffer goes out as is; otherwise they are copied into a fresh one
 * (browsers refuse views of a SharedArrayBuffer).
 */
function oneMessage(buffers: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const only = buffers.length === 1 ? buffers[0] : undefined;
  if (only && Object.prototype.toString.call(only.buffer) === '[object ArrayBuffer]') {
    return only as Uint8Array<ArrayBuffer>;
  }
  return concatBytes(buffers);
}
