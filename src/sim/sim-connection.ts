import { toHex } from '../core/hex.js';
import type { Logger } from '../core/logger.js';
import { decodeRequest, encodeDaemonMessage } from '../wire/codec.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import { frameHeader } from '../wire/frame-encoder.js';
import type { DecodedRequest, OutgoingDaemonMessage } from '../wire/messages.js';
import type { SimSocket } from './sim-socket.js';

/** Capacity of a client's mixnet FIFO (`perClientRequestBuf`). */
export const MIXNET_QUEUE_CAPACITY = 16;
/** Capacity of a client's ARQ resend queue (`perClientResendBuf`). */
export const RESEND_QUEUE_CAPACITY = 8;

/** Request kinds that go to the mixnet queue (DAEMON.md §1.7); everything else except control is local. */
export const MIXNET_KINDS: ReadonlySet<string> = new Set(['send_message', 'start_resending_encrypted_message', 'start_resending_copy_command']);

/**
 * A mixnet-bound request waiting for a send slot. It keeps the AppID the
 * connection had when the request was read: a request sent before the
 * session token carries the temporary AppID, and its reply is lost when
 * the session then resumes (DAEMON.md §1.2).
 */
export interface QueuedMixnetRequest {
  readonly appId: Uint8Array;
  /** `null` for a frame with no known variant: it takes a slot and is dropped. */
  readonly request: DecodedRequest | null;
}

/** What a connection needs from the daemon. */
export interface ConnectionHost {
  readonly logger: Logger;
  handleSessionToken(connection: SimConnection, token: Uint8Array): void;
  dispatchLocal(connection: SimConnection, request: DecodedRequest): void;
  /** A mixnet request was queued (fixed-latency mode sends at once). */
  mixnetQueued(): void;
  /** The connection is gone; called once. */
  closed(connection: SimConnection): void;
  /** Runs `fn` soon, on the simulator's clock (not a microtask: virtual clocks must see it). */
  later(fn: () => void): void;
  /** Runs `fn` after `delayMs` simulated ms. */
  after(delayMs: number, fn: () => void): void;
  /** The daemon's CPU time for a local request (the encryptions), during which this connection's reader is busy. */
  localWorkMs(request: DecodedRequest): number;
  /** Runs `fn` once `costMs` of the daemon's CPU work is done, on one of its cores (which may all be busy). */
  compute(costMs: number, fn: () => void): void;
}

/**
 * One thin-client connection (`client/incoming_conn.go`): frames in any
 * chunking, requests handled serially in arrival order, replies out in the
 * order produced.
 *
 * - Nothing is read before {@link SimConnection.start} (the handshake pair
 *   is sent first); bytes that arrive earlier wait, as in the kernel.
 * - Undecodable frames (bad CBOR, wrong field types, wrong-length BACAP
 *   blobs, oversize prefix) close the connection without a reply.
 * - `thin_close` closes it explicitly; `session_token` goes to the daemon;
 *   local requests run inline; mixnet requests (and unknown variants) go
 *   to a FIFO of 16. When that FIFO is full the connection stops reading:
 *   later requests, local ones too, wait until the sender takes one.
 * - Inline means the reader is busy while a local request computes: an
 *   `encrypt_write` / `encrypt_read` takes seconds of CTIDH work, and the
 *   next request of that connection (a cancel too) is read after it.
 *
 * @example
 * const connection = new SimConnection(socket, host, appId);
 * connection.send({ type: 'shutdown_event' });
 */
export class SimConnection {
  /** The AppID this connection currently serves (changes on session resume). */
  appId: Uint8Array;
  /** Hex of the session token, once sent. */
  clientToken: string | null = null;
  /** `thin_close` received. */
  explicitClose = false;
  /** The handshake pair has been queued: broadcasts may now be sent. */
  initialSequenceDone = false;
  /** Mixnet requests waiting for a send slot. */
  readonly mixnetQueue: QueuedMixnetRequest[] = [];
  /** ARQ resends (SURB ids, hex) waiting for a send slot; served before `mixnetQueue`. */
  readonly resendQueue: string[] = [];

  private readonly decoder = new FrameDecoder();
  private readonly earlyChunks: Uint8Array[] = [];
  private readonly frames: Uint8Array[] = [];
  private held: QueuedMixnetRequest | null = null;
  private started = false;
  private processing = false;
  /** A local request is computing (see `localWorkMs`): nothing more is read until it is done. */
  private busy = false;
  private torn = false;
  private peerGone = false;

  constructor(
    readonly socket: SimSocket,
    private readonly host: ConnectionHost,
    appId: Uint8Array,
  ) {
    this.appId = appId;
    socket.onData((chunk) => this.onChunk(chunk));
    socket.onClose(() => this.onPeerClosed());
  }

  /** Hex key of the current AppID. */
  get appKey(): string {
    return toHex(this.appId);
  }

  /** True once teardown has begun: sends are refused. */
  get isClosed(): boolean {
    return this.torn;
  }

  /** Whether the reader is blocked on a full mixnet FIFO. */
  get isBlocked(): boolean {
    return this.held !== null;
  }

  /** Begins reading requests (after the handshake pair). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const chunk of this.earlyChunks.splice(0)) this.decode(chunk);
    this.pump();
    // The peer hung up during the handshake wait: its complete frames were still read.
    if (this.peerGone) this.teardown();
  }

  /**
   * Queues one message for the client. Returns false when the connection
   * is closing (the caller treats the client as gone).
   */
  send(message: OutgoingDaemonMessage): boolean {
    if (this.torn) return false;
    const body = encodeDaemonMessage(message);
    this.socket.writeFrame(frameHeader(body.length), body);
    return true;
  }

  /** Writes directly even during teardown (the shutdown broadcast). */
  sendDirect(message: OutgoingDaemonMessage): void {
    const body = encodeDaemonMessage(message);
    this.socket.writeFrame(frameHeader(body.length), body);
  }

  /** Takes the next request for a send slot (resends first); frees FIFO space. */
  takeNext(): { resend: string } | { queued: QueuedMixnetRequest } | null {
    const resend = this.resendQueue.shift();
    if (resend !== undefined) return { resend };
    const queued = this.mixnetQueue.shift();
    if (queued === undefined) return null;
    if (this.held !== null) {
      // Room again: the blocked reader hands over its request and reads on.
      this.mixnetQueue.push(this.held);
      this.held = null;
      this.socket.resume();
      // Not now: we are inside the sender's tick; read on once it is done.
      this.host.later(() => this.pump());
    }
    return { queued };
  }

  /** Closes the connection from the daemon's side (graceful: pending writes are flushed). */
  close(): void {
    this.teardown();
  }

  /** Drops the socket at once, as a crash or a lost link does. */
  drop(): void {
    this.socket.destroy();
    this.teardown();
  }

  private onChunk(chunk: Uint8Array): void {
    if (this.torn) return;
    if (!this.started) {
      this.earlyChunks.push(chunk);
      return;
    }
    this.decode(chunk);
    this.pump();
  }

  private decode(chunk: Uint8Array): void {
    try {
      this.decoder.push(chunk, (body) => this.frames.push(body));
    } catch (error) {
      // Oversize prefix: the daemon closes without a reply. Frames before it still count.
      this.host.logger.debug('sim: frame too large, closing connection', { error: String(error) });
      this.frames.push(TOO_LARGE);
    }
  }

  /** Processes queued frames one at a time, in order, until blocked or closed. */
  private pump(): void {
    if (this.processing) return;
    this.processing = true;
    try {
      while (this.started && !this.torn && this.held === null && !this.busy && this.frames.length > 0) {
        const body = this.frames.shift()!;
        if (body === TOO_LARGE) {
          this.teardown();
          return;
        }
        this.handleFrame(body);
      }
    } finally {
      this.processing = false;
    }
  }

  private handleFrame(body: Uint8Array): void {
    let decoded: ReturnType<typeof decodeRequest>;
    try {
      decoded = decodeRequest(body);
    } catch (error) {
      this.host.logger.debug('sim: undecodable request, closing connection', { error: String(error) });
      this.teardown();
      return;
    }
    if (decoded.type === 'thin_close') {
      this.explicitClose = true;
      this.teardown();
      return;
    }
    if (decoded.type === 'session_token') {
      // A null token decodes as the all-zero token, as Go leaves a non-pointer array at its zero value.
      this.host.handleSessionToken(this, decoded.clientInstanceToken ?? new Uint8Array(16));
      return;
    }
    if (decoded.type !== 'unknown' && !MIXNET_KINDS.has(decoded.type)) {
      const work = this.host.localWorkMs(decoded);
      if (work <= 0) {
        this.host.dispatchLocal(this, decoded);
        return;
      }
      this.busy = true;
      this.host.compute(work, () => {
        this.busy = false;
        if (this.torn) return;
        this.host.dispatchLocal(this, decoded);
        this.pump();
        // The peer hung up while we computed: the rest of what it sent has now been read.
        if (this.peerGone) this.teardown();
      });
      return;
    }
    // Mixnet requests and frames with no known variant (dropped at dispatch, never answered).
    const queued: QueuedMixnetRequest = { appId: this.appId, request: decoded.type === 'unknown' ? null : decoded };
    if (this.mixnetQueue.length >= MIXNET_QUEUE_CAPACITY) {
      this.held = queued;
      this.socket.pause();
      return;
    }
    this.mixnetQueue.push(queued);
    this.host.mixnetQueued();
  }

  private onPeerClosed(): void {
    this.peerGone = true;
    if (this.started && !this.busy) {
      // Frames already received are still processed by a real reader before EOF.
      this.pump();
      this.teardown();
    }
  }

  private teardown(): void {
    if (this.torn) return;
    this.torn = true;
    this.frames.length = 0;
    this.earlyChunks.length = 0;
    this.held = null;
    this.socket.end();
    this.host.closed(this);
  }
}

/** Marker for an oversize frame in the frame queue. */
const TOO_LARGE = new Uint8Array(0);
