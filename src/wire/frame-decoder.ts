import { FrameTooLargeError } from '../errors/local-errors.js';
import { WireSizes } from './constants.js';
import { uninitializedBytes } from './uninitialized-bytes.js';

/**
 * Incremental, synchronous frame decoder: feed it byte-stream chunks of any
 * size, get back complete frame bodies (PROTOCOL.md §1.1).
 *
 * The length prefix is checked against the cap *before* anything is
 * allocated, so a hostile prefix cannot make us reserve 4 GiB.
 *
 * Ownership: a body that lies wholly inside one chunk is returned as a view
 * of that chunk (no copy) — chunks are owned by the decoder's caller and
 * never reused (see `ByteStream`). A body spanning chunks is assembled into
 * a fresh buffer of exactly its length, which is never reused either. So a
 * returned body stays valid after `push` returns.
 *
 * After a {@link FrameTooLargeError} the stream is unusable (we cannot know
 * where the next frame starts); the decoder stays failed until `reset()`.
 *
 * @example
 * const decoder = new FrameDecoder();
 * socket.on('data', (chunk) => decoder.push(chunk, (body) => handle(decode(body))));
 */
export class FrameDecoder {
  private readonly header = new Uint8Array(WireSizes.frameHeader);
  private headerFilled = 0;
  private body: Uint8Array | null = null;
  private bodyFilled = 0;
  private failure: FrameTooLargeError | null = null;
  /** No frame has started yet: an absurd first length means the peer speaks another protocol. */
  private firstFrame = true;

  constructor(private readonly maxBody: number = WireSizes.maxFrameBody) {}

  /** Bytes received that do not yet form a whole frame (a length prefix whose body has not started counts). */
  get bufferedBytes(): number {
    return this.body === null ? this.headerFilled : 4 + this.bodyFilled;
  }

  /**
   * Consumes one chunk, calling `onFrame` for each complete body, in order.
   * Throws {@link FrameTooLargeError} on an oversize prefix. If `onFrame`
   * throws, the error propagates and the bytes after that frame in this
   * chunk are dropped: callers treat that as fatal for the stream.
   */
  push(chunk: Uint8Array, onFrame: (body: Uint8Array) => void): void {
    if (this.failure) throw this.failure;
    let cursor = 0;
    const end = chunk.length;
    while (cursor < end) {
      if (this.body === null) {
        // Fast path: a whole header and body inside this chunk → a view, no copy.
        if (this.headerFilled === 0 && end - cursor >= WireSizes.frameHeader) {
          const length = readUint32BE(chunk, cursor);
          this.checkLength(length, chunk.subarray(cursor, cursor + WireSizes.frameHeader));
          if (end - cursor - WireSizes.frameHeader >= length) {
            const start = cursor + WireSizes.frameHeader;
            cursor = start + length;
            onFrame(chunk.subarray(start, cursor));
            continue;
          }
          this.startBody(length);
          cursor += WireSizes.frameHeader;
          continue;
        }
        // Slow path: the header itself is split across chunks.
        const take = Math.min(WireSizes.frameHeader - this.headerFilled, end - cursor);
        this.header.set(chunk.subarray(cursor, cursor + take), this.headerFilled);
        this.headerFilled += take;
        cursor += take;
        if (this.headerFilled < WireSizes.frameHeader) return;
        const length = readUint32BE(this.header, 0);
        this.headerFilled = 0;
        this.checkLength(length, this.header);
        if (length === 0) {
          // An empty body is a complete (undecodable) frame: the CBOR layer reports it.
          onFrame(new Uint8Array(0));
          continue;
        }
        this.startBody(length);
      }
      const body: Uint8Array = this.body!;
      const take = Math.min(body.length - this.bodyFilled, end - cursor);
      body.set(chunk.subarray(cursor, cursor + take), this.bodyFilled);
      this.bodyFilled += take;
      cursor += take;
      if (this.bodyFilled === body.length) {
        this.body = null;
        this.bodyFilled = 0;
        onFrame(body);
      }
    }
  }

  /** Forgets any partial frame and a previous failure (for a new connection). */
  reset(): void {
    this.headerFilled = 0;
    this.body = null;
    this.bodyFilled = 0;
    this.failure = null;
    this.firstFrame = true;
  }

  private checkLength(length: number, header: Uint8Array): void {
    if (length > this.maxBody) {
      this.failure = new FrameTooLargeError(length, this.maxBody, this.firstFrame ? header : undefined);
      throw this.failure;
    }
    this.firstFrame = false;
  }

  private startBody(length: number): void {
    // Not zeroed: every byte is written before the body is handed out, and
    // zeroing a multi-megabyte body first would be a second pass over it
    // (bench P2). A plain Uint8Array view, whatever the allocator returns.
    const memory = uninitializedBytes(length);
    this.body = new Uint8Array(memory.buffer, memory.byteOffset, length);
    this.bodyFilled = 0;
  }
}

function readUint32BE(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) >>> 0) + (bytes[offset + 1]! << 16) + (bytes[offset + 2]! << 8) + bytes[offset + 3]!;
}
