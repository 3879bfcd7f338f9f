/**
 * The part of the WHATWG `WebSocket` API the WebSocket transport uses.
 * Browsers' and Node ≥ 22's `WebSocket` and the `ws` package's class all
 * fit, so any of them (or a test double) can be injected.
 *
 * @example
 * import { WebSocket } from 'ws';
 * connectWebSocket({ address: 'ws://localhost:12345' }, { WebSocketCtor: WebSocket });
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  /** Browsers refuse views of a SharedArrayBuffer, hence `ArrayBuffer`. */
  send(data: Uint8Array<ArrayBuffer>): void;
  /** Starts the closing handshake (`code` 1000 or 3000–4999 in browsers). */
  close(code?: number, reason?: string): void;
  // The listener takes `unknown` so that the DOM's and ws's differently
  // typed listener signatures both fit; the transport narrows the event.
  /** Listens for the socket's events; the transport uses no other way of listening. */
  addEventListener(type: 'open' | 'message' | 'close' | 'error', listener: (event: unknown) => void): void;
}

/**
 * A `WebSocket` constructor: `globalThis.WebSocket`, `ws`'s `WebSocket`, or
 * a test double.
 *
 * @example
 * const Ctor: WebSocketCtor = globalThis.WebSocket;
 */
export type WebSocketCtor = new (url: string) => WebSocketLike;
