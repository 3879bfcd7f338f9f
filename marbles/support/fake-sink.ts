import type { RequestSink } from '../../src/client/request-engine.js';
import { decodeRequest } from '../../src/wire/codec.js';
import type { DecodedRequest } from '../../src/wire/messages.js';

/** A connection stand-in for request-engine tests: records what is sent, optionally queueing. */
export class FakeSink implements RequestSink {
  readonly sent: Array<{ at: number; request: DecodedRequest }> = [];
  readonly queue = new Set<Uint8Array>();
  connected = true;

  constructor(private readonly now: () => number) {}

  send(body: Uint8Array): boolean {
    if (!this.connected) {
      this.queue.add(body);
      return false;
    }
    const request = decodeRequest(body);
    if (request.type === 'unknown') throw new Error('unknown request');
    this.sent.push({ at: this.now(), request });
    return true;
  }

  isQueued(body: Uint8Array): boolean {
    return this.queue.has(body);
  }

  withdraw(body: Uint8Array): boolean {
    return this.queue.delete(body);
  }

  /** Writes out what was queued, as the controller does after a handshake. */
  flush(): void {
    this.connected = true;
    for (const body of [...this.queue]) {
      this.queue.delete(body);
      this.send(body);
    }
  }

  types(): string[] {
    return this.sent.map((s) => s.request.type);
  }

  /** The query id of the n-th sent request. */
  queryId(n: number): Uint8Array {
    const request = this.sent[n]?.request as { queryId?: Uint8Array } | undefined;
    if (!request?.queryId) throw new Error(`request ${n} has no query id`);
    return request.queryId;
  }
}
