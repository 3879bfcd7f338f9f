import type { Socket } from 'node:net';

/*
 * Performance fence (bench P1), kept out of node-socket-stream.ts so that
 * it reads as plain socket plumbing.
 *
 * A reply often starts the next request synchronously (pipelines, stream
 * windows), so one chunk of replies makes a burst of requests — and one
 * `write` syscall per request was the largest single cost of pipelined
 * local requests in the P1 CPU profiles. Measured (a micro-benchmark on the
 * 2-core VM of bench/RESULTS.md, under load: bursts of 64 packed 300-byte
 * frames to a local socket): 1.3–1.4 µs of CPU per frame written one by
 * one, 0.75–0.85 µs batched per tick. So the first write of a tick goes
 * out at once (no added latency, and the peer sees it during the call, as
 * without batching); further writes in the same tick are corked and leave
 * together in one vectored write on `process.nextTick` — a burst in two
 * syscalls, in order, before any I/O callback runs. (`socket.end()` flushes
 * a pending cork itself.)
 */

/**
 * A writer for `socket` that sends each call's buffers back to back and
 * batches the calls after the first of each tick.
 *
 * @example
 * const write = tickBatchedWriter(socket);
 * write([header, body]);
 */
export function tickBatchedWriter(socket: Socket): (buffers: readonly Uint8Array[]) => void {
  // Set by the first write of a tick, cleared on the next tick.
  let wroteThisTick = false;
  // Writes after the first one of a tick are corked until then.
  let corked = false;
  const endOfTick = (): void => {
    wroteThisTick = false;
    if (!corked) return;
    corked = false;
    // A no-op if the socket was ended (and so uncorked) meanwhile.
    socket.uncork();
  };
  const writeAll = (buffers: readonly Uint8Array[]): void => {
    for (const buffer of buffers) if (buffer.byteLength > 0) socket.write(buffer);
  };

  return (buffers) => {
    if (!wroteThisTick) {
      wroteThisTick = true;
      process.nextTick(endOfTick);
      if (buffers.length === 1) {
        writeAll(buffers); // one buffer: a plain write (corking it would only add bookkeeping)
        return;
      }
      socket.cork();
      writeAll(buffers);
      socket.uncork();
      return;
    }
    if (!corked) {
      corked = true;
      socket.cork();
    }
    writeAll(buffers);
  };
}
