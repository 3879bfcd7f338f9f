import type { Socket } from 'node:net';

/**
 * One accepted client socket, whatever the transport: the simulator's
 * connection logic sees only bytes in, frames out, flow control and close.
 *
 * @example
 * socket.onData((chunk) => decoder.push(chunk, onFrame));
 * socket.writeFrame(frameHeader(body.length), body);
 */
export interface SimSocket {
  /** For log lines only. */
  readonly label: string;
  /** Writes one frame (length prefix and body), in order with earlier writes. */
  writeFrame(header: Uint8Array, body: Uint8Array): void;
  /** Stops reading (back-pressure: the client's writes eventually block). */
  pause(): void;
  resume(): void;
  /** Closes after pending writes are flushed. */
  end(): void;
  /** Drops the connection at once (a crash, or a lost link). */
  destroy(): void;
  onData(listener: (chunk: Uint8Array) => void): void;
  /**
   * Called once when the client has closed its side (its FIN, close frame)
   * or the connection is gone. The socket stays writable-closed only after
   * {@link end}: like kpclientd, the simulator closes its side when its
   * connection worker is done, not when the client leaves.
   */
  onClose(listener: () => void): void;
}

/**
 * A TCP or Unix socket. The header and body go out corked, so they leave in
 * one segment as the daemon's vectored write does. The server must be
 * created with `allowHalfOpen: true`: kpclientd (Go) does not answer a
 * client's FIN by itself, it closes when the connection's worker returns —
 * seconds later if it was encrypting — and clients wait for that.
 *
 * @example
 * server.on('connection', (socket) => daemon.accept(new NetSimSocket(socket)));
 */
export class NetSimSocket implements SimSocket {
  readonly label: string;

  constructor(private readonly socket: Socket) {
    socket.setNoDelay?.(true);
    // Errors (resets) are reported as a close; nothing else to do.
    socket.on('error', () => undefined);
    this.label = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
  }

  writeFrame(header: Uint8Array, body: Uint8Array): void {
    if (this.socket.destroyed || this.socket.writableEnded) return;
    this.socket.cork();
    this.socket.write(header);
    this.socket.write(body);
    this.socket.uncork();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
    // A client that never closes its side would keep the socket half-open.
    this.socket.destroySoon();
  }

  destroy(): void {
    // resetAndDestroy sends RST where supported: an abrupt loss, as a crash would cause.
    if (typeof this.socket.resetAndDestroy === 'function' && !this.socket.destroyed) this.socket.resetAndDestroy();
    else this.socket.destroy();
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.socket.on('data', listener);
  }

  onClose(listener: () => void): void {
    let called = false;
    const once = (): void => {
      if (called) return;
      called = true;
      listener();
    };
    // 'end': the client's FIN (half-open server); 'close': a reset or a destroy.
    this.socket.once('end', once);
    this.socket.once('close', once);
  }
}

/**
 * What the simulator uses of a server-side `ws` WebSocket. Declared here
 * rather than imported from `ws`, so that the package's type declarations
 * need no `@types/ws` (and through it a second `@types/node`) in an
 * application that installs it.
 */
export interface ServerWebSocket {
  readonly readyState: number;
  readonly OPEN: number;
  readonly CONNECTING: number;
  send(data: Uint8Array, options: { readonly binary: boolean }): void;
  pause(): void;
  resume(): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Uint8Array | ArrayBuffer | Uint8Array[], isBinary: boolean) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
}

/**
 * A WebSocket connection (`[Listen.Ws]`, PROTOCOL.md §1.2): binary messages
 * only — a text message closes the socket with 1003, as the daemon does.
 * Each frame goes out as **two** binary messages (prefix, then body), which
 * is what the daemon's vectored write becomes on a WebSocket; clients must
 * reassemble.
 *
 * @example
 * wss.on('connection', (ws) => daemon.accept(new WsSimSocket(ws)));
 */
export class WsSimSocket implements SimSocket {
  readonly label: string;

  constructor(
    private readonly ws: ServerWebSocket,
    remote: string,
  ) {
    this.label = `ws ${remote}`;
    ws.on('error', () => undefined);
  }

  writeFrame(header: Uint8Array, body: Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(header, { binary: true });
    this.ws.send(body, { binary: true });
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  end(): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(1000);
  }

  destroy(): void {
    this.ws.terminate();
  }

  onData(listener: (chunk: Uint8Array) => void): void {
    this.ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.ws.close(1003, 'binary messages only');
        return;
      }
      if (Array.isArray(data)) for (const part of data) listener(part);
      else if (data instanceof ArrayBuffer) listener(new Uint8Array(data));
      else listener(data);
    });
  }

  onClose(listener: () => void): void {
    this.ws.once('close', () => listener());
  }
}
