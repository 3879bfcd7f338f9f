import { Decoder } from 'cbor-x';
import { map, type Observable } from 'rxjs';
import { connectByteStream, type ByteStream, type DialConfig } from 'katzenpost-rx';

/** One frame seen on a tapped connection. */
export interface TappedFrame {
  /** Which connection (0 = the first the client opened). */
  readonly connection: number;
  /** performance.now() when it was written or read. */
  readonly at: number;
  readonly direction: 'request' | 'reply';
  /** The variant, e.g. `encrypt_write`, `start_resending_encrypted_message_reply`. */
  readonly type: string;
  /** Hex of `query_id`, if any. */
  readonly queryId?: string;
  /** Hex of `envelope_hash`, if any (links an encryption to the send of its envelope). */
  readonly envelopeHash?: string;
}

const hex = (value: unknown): string | undefined => {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (Array.isArray(value)) return Buffer.from(value as number[]).toString('hex');
  return undefined;
};

/** Reads 4-byte length-prefixed frames out of a byte sequence, chunk by chunk. */
class Frames {
  private buffered = Buffer.alloc(0);
  push(chunk: Uint8Array, onFrame: (body: Uint8Array) => void): void {
    this.buffered = Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const length = this.buffered.readUInt32BE(0);
      if (this.buffered.length < 4 + length) return;
      onFrame(this.buffered.subarray(4, 4 + length));
      this.buffered = this.buffered.subarray(4 + length);
    }
  }
}

/**
 * A socket factory for `ThinClient` that records the variant, query id and
 * envelope hash of every frame in both directions with its time, so that a
 * transfer on the real network can be taken apart afterwards: how long each
 * encryption waited and ran at the daemon, how long the SDK took to send
 * its envelope, how long the mixnet round trip took. Only for the bench:
 * it decodes everything twice.
 *
 * @example
 * const tap = new FrameTap();
 * const client = await ThinClient.connect(config, { socketFactory: tap.factory });
 */
export class FrameTap {
  readonly frames: TappedFrame[] = [];
  private readonly decoder = new Decoder({ mapsAsObjects: true, useRecords: false });
  private connections = 0;

  readonly factory = (dial: DialConfig): Observable<ByteStream> =>
    connectByteStream(dial).pipe(
      map((stream) => {
        const connection = this.connections++;
        const written = new Frames();
        const read = new Frames();
        return {
          chunks$: stream.chunks$.pipe(
            map((chunk) => {
              read.push(chunk, (body) => this.record(connection, 'reply', body));
              return chunk;
            }),
          ),
          write: (buffers: readonly Uint8Array[]) => {
            for (const buffer of buffers) written.push(buffer, (body) => this.record(connection, 'request', body));
            stream.write(buffers);
          },
          close: () => stream.close(),
        };
      }),
    );

  /** Forget what was recorded (between measurements). */
  clear(): void {
    this.frames.length = 0;
  }

  private record(connection: number, direction: 'request' | 'reply', body: Uint8Array): void {
    const at = performance.now();
    let decoded: Record<string, unknown>;
    try {
      decoded = this.decoder.decode(body) as Record<string, unknown>;
    } catch {
      return;
    }
    for (const [type, value] of Object.entries(decoded)) {
      if (value === null || typeof value !== 'object') continue;
      const fields = value as Record<string, unknown>;
      const queryId = hex(fields['query_id']);
      const envelopeHash = hex(fields['envelope_hash']);
      this.frames.push({ connection, at, direction, type, ...(queryId ? { queryId } : {}), ...(envelopeHash ? { envelopeHash } : {}) });
    }
  }
}

/** Per box of a transfer, from a {@link FrameTap}'s frames: medians in ms. */
export interface BoxBreakdown {
  readonly boxes: number;
  /** The daemon computing the encryption (from when it could start it to its reply). */
  readonly encryptMs: number;
  /** The encryption request waiting behind earlier ones on its connection. */
  readonly encryptQueueMs: number;
  /** From the encryption's reply to the SDK writing the send of that envelope. */
  readonly sdkMs: number;
  /** The mixnet part: the send (`start_resending_encrypted_message`) to its reply, slots and ARQ included. */
  readonly mixnetMs: number;
  /** Sum over boxes of the encryption time (the daemon's encryption CPU as the client sees it). */
  readonly encryptTotalMs: number;
  /** Connections the encryptions ran on. */
  readonly encryptConnections: number;
}

const median = (values: number[]): number => {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Takes a transfer apart. On each connection the daemon handles requests
 * one at a time in arrival order (local ones inline), so an encryption
 * starts when it was written or when the previous request's reply was,
 * whichever is later: its service time is its reply minus that start.
 */
export function breakdown(frames: readonly TappedFrame[]): BoxBreakdown {
  const replies = new Map<string, TappedFrame>();
  for (const f of frames) if (f.direction === 'reply' && f.queryId) replies.set(`${f.type}:${f.queryId}`, f);
  const sends = new Map<string, TappedFrame>();
  for (const f of frames) if (f.direction === 'request' && f.type === 'start_resending_encrypted_message' && f.envelopeHash) sends.set(f.envelopeHash, f);
  const encryptMs: number[] = [];
  const queueMs: number[] = [];
  const sdkMs: number[] = [];
  const mixnetMs: number[] = [];
  const connections = new Set<number>();
  const lastReplyOn = new Map<number, number>();
  const requests = frames.filter((f) => f.direction === 'request' && f.queryId).sort((a, b) => a.at - b.at);
  for (const request of requests) {
    const reply = replies.get(`${request.type}_reply:${request.queryId}`);
    const isLocal = request.type !== 'start_resending_encrypted_message' && !request.type.startsWith('start_resending');
    if (!reply || !isLocal) continue;
    const start = Math.max(request.at, lastReplyOn.get(request.connection) ?? 0);
    lastReplyOn.set(request.connection, reply.at);
    if (request.type !== 'encrypt_read' && request.type !== 'encrypt_write') continue;
    connections.add(request.connection);
    encryptMs.push(reply.at - start);
    queueMs.push(start - request.at);
    const send = reply.envelopeHash ? sends.get(reply.envelopeHash) : undefined;
    if (!send) continue;
    sdkMs.push(send.at - reply.at);
    const done = replies.get(`start_resending_encrypted_message_reply:${send.queryId}`);
    if (done) mixnetMs.push(done.at - send.at);
  }
  return {
    boxes: encryptMs.length,
    encryptMs: median(encryptMs),
    encryptQueueMs: median(queueMs),
    sdkMs: median(sdkMs),
    mixnetMs: median(mixnetMs),
    encryptTotalMs: encryptMs.reduce((a, b) => a + b, 0),
    encryptConnections: connections.size,
  };
}
