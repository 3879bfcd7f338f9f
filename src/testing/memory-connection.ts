import { AsyncSubject, Observable, type SchedulerLike, type Subscriber } from 'rxjs';
import type { SimSocket } from '../sim/sim-socket.js';
import type { ByteStream } from '../transport/byte-stream.js';

/**
 * One in-memory connection between a client (`stream`, a `ByteStream`) and
 * the simulator (`socket`, a `SimSocket`). Bytes cross on the scheduler
 * (`schedule(…, 0)`), never synchronously, so neither side is re-entered
 * from inside its own send — as with a real socket — and the order of
 * delivery is the order of writes.
 *
 * `intercept` sees every client→daemon chunk first: return `true` to
 * swallow it (the scripted double answers such requests itself, through
 * `toClient`).
 *
 * Closing (from either side) is ordered after the bytes already written,
 * as on a socket: a client's `thin_close` right before its close, or the
 * daemon's `shutdown_event` right before its own, still arrive. The
 * client's close is a half-close, as over TCP: `whenClosed` completes when
 * the daemon side has closed too (a busy simulated daemon closes late).
 */
export function memoryConnection(
  scheduler: SchedulerLike,
  intercept: (chunk: Uint8Array) => boolean = () => false,
): { stream: ByteStream; socket: SimSocket; toClient: (chunk: Uint8Array) => void } {
  // Held until the client subscribes, as a paused socket would (ByteStream contract).
  let client: Subscriber<Uint8Array> | null = null;
  const heldForClient: Uint8Array[] = [];
  let clientEnded = false;
  /** The client called close(): it writes nothing more, and discards what still arrives. */
  let clientClosed = false;
  /** The daemon called end()/destroy(): it writes nothing more. */
  let daemonClosed = false;
  /** A close (either side's) has reached the daemon: nothing more is delivered to it. */
  let daemonGone = false;
  const dataListeners: Array<(chunk: Uint8Array) => void> = [];
  const closeListeners: Array<() => void> = [];
  let paused = false;
  const heldForDaemon: Uint8Array[] = [];
  const bothClosed = new AsyncSubject<void>();

  const endForClient = () => {
    if (clientEnded) return;
    clientEnded = true;
    client?.complete();
  };
  const notifyDaemon = () => {
    if (daemonGone) return;
    daemonGone = true;
    for (const listener of closeListeners) listener();
  };
  // The client's close: its side only, after the bytes it wrote. As kpclientd,
  // the daemon closes its own side when it is done (SimConnection teardown).
  const clientClose = () => {
    if (clientClosed) return;
    clientClosed = true;
    scheduler.schedule(() => {
      endForClient();
      notifyDaemon();
    }, 0);
  };
  // The daemon's close, after the bytes it wrote: the client side then closes
  // too (as a Node socket without allowHalfOpen does), so whenClosed emits.
  const daemonClose = () => {
    if (daemonClosed) return;
    daemonClosed = true;
    scheduler.schedule(() => {
      endForClient();
      notifyDaemon();
      bothClosed.next();
      bothClosed.complete();
    }, 0);
  };
  const deliverToClient = (chunk: Uint8Array) => {
    scheduler.schedule(() => {
      if (clientEnded) return;
      if (client) client.next(chunk);
      else heldForClient.push(chunk);
    }, 0);
  };
  const deliverToDaemon = (chunk: Uint8Array) => {
    if (paused) heldForDaemon.push(chunk);
    else for (const listener of dataListeners) listener(chunk);
  };

  const stream: ByteStream = {
    chunks$: new Observable<Uint8Array>((subscriber) => {
      client = subscriber;
      for (const chunk of heldForClient.splice(0)) subscriber.next(chunk);
      if (clientEnded) subscriber.complete();
      return () => {
        if (client === subscriber) client = null;
      };
    }),
    write(buffers) {
      if (clientClosed || clientEnded) return;
      const total = buffers.reduce((n, b) => n + b.length, 0);
      const chunk = new Uint8Array(total);
      let at = 0;
      for (const buffer of buffers) {
        chunk.set(buffer, at);
        at += buffer.length;
      }
      scheduler.schedule(() => {
        if (daemonGone || intercept(chunk)) return;
        deliverToDaemon(chunk);
      }, 0);
    },
    close: clientClose,
    whenClosed: bothClosed.asObservable(),
  };

  const socket: SimSocket = {
    label: 'memory',
    writeFrame(header, body) {
      if (daemonClosed) return;
      const chunk = new Uint8Array(header.length + body.length);
      chunk.set(header);
      chunk.set(body, header.length);
      deliverToClient(chunk);
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const chunk of heldForDaemon.splice(0)) deliverToDaemon(chunk);
    },
    end: daemonClose,
    destroy: daemonClose,
    onData: (listener) => void dataListeners.push(listener),
    onClose: (listener) => void closeListeners.push(listener),
  };
  return { stream, socket, toClient: deliverToClient };
}
