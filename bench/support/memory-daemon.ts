import { Observable, type Subscriber } from 'rxjs';
import { FrameDecoder, decodeRequest, encodeDaemonMessage, frameHeader, type ByteStream, type OutgoingDaemonMessage, type ThinClientOptions } from 'katzenpost-rx';
import { deriveSimGeometry } from 'katzenpost-rx/sim';

/** One frame (header ‖ body) as a daemon would send it. */
export function daemonFrame(message: OutgoingDaemonMessage): Uint8Array {
  const body = encodeDaemonMessage(message);
  const frame = new Uint8Array(4 + body.length);
  frame.set(frameHeader(body.length), 0);
  frame.set(body, 4);
  return frame;
}

/**
 * A daemon on the other end of an in-memory `ByteStream`, for the figures
 * that measure the SDK alone (P2, P5): no socket, no second process, so
 * nothing but the SDK's own work is timed. It answers the handshake like
 * kpclientd (greeting pair, then `session_token_reply`); after that it
 * only passes what the client writes to `onWrite` and sends what the
 * benchmark `push`es, synchronously.
 *
 * @example
 * const daemon = new MemoryDaemon();
 * const client = await ThinClient.connect(ANY_CONFIG, daemon.clientOptions());
 * daemon.push(daemonFrame({ type: 'shutdown_event' }));
 */
export class MemoryDaemon {
  /** Called with every write after the handshake. */
  onWrite: (buffers: readonly Uint8Array[]) => void = () => undefined;
  private subscriber: Subscriber<Uint8Array> | null = null;
  private handshaking = true;
  private readonly decoder = new FrameDecoder();

  /** Options that make a ThinClient talk to this daemon (the dial config is ignored). */
  clientOptions(): ThinClientOptions {
    return { socketFactory: () => new Observable<ByteStream>((s) => s.next(this.stream())), reconnect: false };
  }

  /** Bytes from the daemon to the client, delivered synchronously. */
  push(chunk: Uint8Array): void {
    this.subscriber?.next(chunk);
  }

  private stream(): ByteStream {
    const geometry = deriveSimGeometry();
    return {
      chunks$: new Observable<Uint8Array>((subscriber) => {
        this.subscriber = subscriber;
        subscriber.next(
          daemonFrame({
            type: 'connection_status_event',
            isConnected: true,
            instanceToken: new Uint8Array(16),
            sphinxGeometry: geometry.sphinx,
            pigeonholeGeometry: geometry.pigeonhole,
          }),
        );
        subscriber.next(daemonFrame({ type: 'new_pki_document_event', payload: null }));
      }),
      write: (buffers) => {
        if (!this.handshaking) return this.onWrite(buffers);
        for (const buffer of buffers) {
          this.decoder.push(buffer, (body) => {
            if (decodeRequest(body).type !== 'session_token') return;
            this.handshaking = false;
            // After the write returns, as a socket would.
            queueMicrotask(() => this.push(daemonFrame({ type: 'session_token_reply', appId: new Uint8Array(16), resumed: false })));
          });
        }
      },
      close: () => this.subscriber?.complete(),
    };
  }
}

/** A dial config for `ThinClient` (never dialled: `MemoryDaemon.clientOptions()` replaces the socket). */
export const MEMORY_DIAL = { dial: { tcp: { address: '127.0.0.1:9' } } } as const;
