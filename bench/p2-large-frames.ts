/**
 * P2: a 10 MiB payload through the SDK, against a plain copy of the same
 * bytes (`payload.slice()`), in this process, on an in-memory daemon (so
 * only the SDK's work is timed):
 *
 * - encode: `createCourierEnvelopesFromPayload(payload …)` from subscribe
 *   until the frame is handed to the transport (synchronous: validation,
 *   query id, CBOR encoding, length prefix, write);
 * - decode: a daemon frame carrying the payload (`message_reply_event`),
 *   pushed in 64 KiB chunks as a socket delivers it, until the decoded
 *   event reaches `events$`.
 *
 * Ratio = copy time / SDK time (≥ 0.5: the SDK costs at most two copies'
 * worth). And how many times the payload's bytes are copied on each path
 * (≤ 1), counted by instrumenting the copy primitives (see `CopyCounter`).
 */
import { ThinClient } from 'katzenpost-rx';
import { atLeast, atMost, type Figure } from './support/figure.js';
import { daemonFrame, MEMORY_DIAL, MemoryDaemon } from './support/memory-daemon.js';
import { median, num } from './support/stats.js';

const PAYLOAD_BYTES = 10 * 1024 * 1024;
const round2 = (value: number): number => Math.round(value * 100) / 100;
const CHUNK_BYTES = 64 * 1024;

/**
 * Counts bytes moved by the JavaScript copy primitives while it is on:
 * `%TypedArray%.prototype.set` and `.slice` (cbor-x's encoder, the frame
 * decoder, `Uint8Array#slice`) and `Buffer.prototype.copy` (cbor-x growing
 * its buffer). Copies inside Node's own internals use captured primordials
 * and are not seen; none is on these paths (the in-memory transport has no
 * Node internals; a real socket adds only the kernel's copies, which the
 * baseline does not count either). `new Uint8Array(typedArray)` cannot be
 * wrapped: the SDK uses it only for byte strings under 1 KiB.
 */
class CopyCounter {
  bytes = 0;
  private readonly typed = Object.getPrototypeOf(Uint8Array.prototype) as {
    set: (this: Uint8Array, source: ArrayLike<number>, offset?: number) => void;
    slice: (this: Uint8Array, start?: number, end?: number) => Uint8Array;
  };
  private readonly original = { set: this.typed.set, slice: this.typed.slice, copy: Buffer.prototype.copy };

  on(): void {
    const counter = this;
    const { set, slice, copy } = this.original;
    this.typed.set = function (this: Uint8Array, source: ArrayLike<number>, offset?: number) {
      counter.bytes += (source as { length: number }).length * (this.BYTES_PER_ELEMENT ?? 1);
      return set.call(this, source, offset);
    };
    this.typed.slice = function (this: Uint8Array, start?: number, end?: number) {
      const result = slice.call(this, start, end);
      counter.bytes += result.byteLength;
      return result;
    };
    Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>) {
      const n = copy.apply(this, args);
      counter.bytes += n;
      return n;
    };
  }

  off(): void {
    this.typed.set = this.original.set;
    this.typed.slice = this.original.slice;
    Buffer.prototype.copy = this.original.copy;
  }
}

export async function runP2(options: { readonly runs: number; readonly log: (line: string) => void }): Promise<Figure[]> {
  const payload = new Uint8Array(PAYLOAD_BYTES);
  // getRandomValues fills at most 64 KiB per call.
  for (let i = 0; i < PAYLOAD_BYTES; i += 65536) crypto.getRandomValues(payload.subarray(i, i + 65536));
  const daemon = new MemoryDaemon();
  const client = await ThinClient.connect(MEMORY_DIAL, daemon.clientOptions());
  const writeCap = new Uint8Array(168).fill(1);
  const startIndex = new Uint8Array(104).fill(2);

  // Encode: the frame reaches the transport inside subscribe().
  let written = 0;
  daemon.onWrite = (buffers) => {
    for (const b of buffers) written += b.byteLength;
  };
  const encodeOnce = (): number => {
    written = 0;
    const started = performance.now();
    const subscription = client.createCourierEnvelopesFromPayload(payload, writeCap, startIndex, true, true).subscribe({ error: () => undefined });
    const elapsed = performance.now() - started;
    subscription.unsubscribe();
    if (written < PAYLOAD_BYTES) throw new Error(`P2 encode: only ${written} bytes reached the transport`);
    return elapsed;
  };

  // Decode: a frame carrying the payload, in socket-sized chunks (each its own buffer, as a socket hands them over).
  const frame = daemonFrame({ type: 'message_reply_event', surbId: new Uint8Array(16), payload, errorCode: 0 });
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < frame.length; at += CHUNK_BYTES) chunks.push(frame.slice(at, at + CHUNK_BYTES));
  let received: Uint8Array | null = null;
  client.events$.subscribe((event) => {
    if (event.type === 'message_reply_event') received = event.payload;
  });
  const decodeOnce = (): number => {
    received = null;
    const started = performance.now();
    for (const chunk of chunks) daemon.push(chunk);
    const elapsed = performance.now() - started;
    const got = received as Uint8Array | null;
    if (!got || got.length !== PAYLOAD_BYTES || got[PAYLOAD_BYTES - 1] !== payload[PAYLOAD_BYTES - 1]) throw new Error('P2 decode: payload not received intact');
    return elapsed;
  };
  const copyOnce = (): number => {
    const started = performance.now();
    const copy = payload.slice();
    const elapsed = performance.now() - started;
    if (copy[PAYLOAD_BYTES - 1] !== payload[PAYLOAD_BYTES - 1]) throw new Error('unreachable');
    return elapsed;
  };

  // Copies per path, instrumented once (not timed).
  const counter = new CopyCounter();
  const copiesOf = (run: () => number): number => {
    counter.bytes = 0;
    counter.on();
    try {
      run();
    } finally {
      counter.off();
    }
    return counter.bytes / PAYLOAD_BYTES;
  };
  const encodeCopies = copiesOf(encodeOnce);
  const decodeCopies = copiesOf(decodeOnce);
  // Cross-check of the decode path: the payload handed out is a view of one buffer of the frame's size (the
  // assembled frame), not of a socket chunk and not a fresh copy of its own.
  decodeOnce();
  const view = received as unknown as Uint8Array;
  const viewOfFrame = view.buffer.byteLength === frame.length - 4 && !chunks.some((c) => c.buffer === view.buffer);

  // Timed runs, interleaved (warm-up first).
  for (let i = 0; i < 2; i++) {
    copyOnce();
    encodeOnce();
    decodeOnce();
  }
  // Each SDK run is paired with the copy just before it; the figure is the median of the pairs' ratios,
  // which cancels the slow spells of a shared machine (page faults dominate at this size).
  const times = { copy: [] as number[], encode: [] as number[], decode: [] as number[] };
  const ratios = { encode: [] as number[], decode: [] as number[] };
  for (let i = 0; i < options.runs; i++) {
    let copy = copyOnce();
    const encode = encodeOnce();
    times.copy.push(copy);
    times.encode.push(encode);
    ratios.encode.push(copy / encode);
    copy = copyOnce();
    const decode = decodeOnce();
    times.copy.push(copy);
    times.decode.push(decode);
    ratios.decode.push(copy / decode);
  }
  await client.close();

  const copyMs = median(times.copy);
  const ms = (values: number[]) => values.map((v) => num(v, 1)).join(', ');
  const mbps = (t: number) => `${num(PAYLOAD_BYTES / 1e6 / (t / 1000))} MB/s`;
  options.log(`P2 copy ${ms(times.copy)} ms; encode ${ms(times.encode)} ms; decode ${ms(times.decode)} ms`);
  const how = 'counted: bytes moved by TypedArray#set/#slice and Buffer#copy during one operation ÷ payload size';
  return [
    atLeast('P2', 'encode a 10 MiB payload frame: copy time / SDK time', median(ratios.encode), 0.5, '×',
      `median of ${options.runs} paired ratios; SDK ${num(median(times.encode), 1)} ms (${mbps(median(times.encode))}), plain copy ${num(copyMs, 1)} ms (${mbps(copyMs)}) (medians)`),
    atLeast('P2', 'decode a 10 MiB payload frame (64 KiB chunks): copy time / SDK time', median(ratios.decode), 0.5, '×',
      `median of ${options.runs} paired ratios; SDK ${num(median(times.decode), 1)} ms (${mbps(median(times.decode))}), plain copy ${num(copyMs, 1)} ms (medians)`),
    // Rounded to 2 decimals: the other bytes of the frame (keys, ids, caps) are a few hundred bytes in 10 MiB.
    atMost('P2', 'payload copies when encoding (request → transport)', round2(encodeCopies), 1, '',
      `${how} (${num(encodeCopies * PAYLOAD_BYTES)} bytes); by the code: cbor-x writes the payload into the frame body once, the transport writes [length prefix, body] as they are`, 2),
    atMost('P2', 'payload copies when decoding (socket chunks → events$)', round2(decodeCopies), 1, '',
      `${how} (${num(decodeCopies * PAYLOAD_BYTES)} bytes); by the code: the frame decoder assembles the chunks once, cbor-x and the codec hand the payload out as a view of that body (checked: ${viewOfFrame ? 'it is' : 'it is NOT'})`, 2),
  ];
}
