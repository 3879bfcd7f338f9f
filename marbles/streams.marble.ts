import { TestScheduler } from 'rxjs/testing';
import { readStream$ } from '../src/client/streams/read-stream.js';
import { tail$ } from '../src/client/streams/tail.js';
import { writeStream$ } from '../src/client/streams/write-stream.js';
import { ProtocolError } from '../src/errors/local-errors.js';
import type { DecodedRequest } from '../src/wire/messages.js';
import { indexChain } from '../src/client/streams/index-chain.js';
import { boxOf, counterOf, indexOf, localReply, scriptedContext, startReply, type ScriptedReply } from './support/scripted-context.js';

const readCap = new Uint8Array(136);
const writeCap = new Uint8Array(168);

/** A framed stream of `length` bytes in boxes of `boxSize`: box k's plaintext. */
function framedBoxes(length: number, boxSize: number): Uint8Array[] {
  const framed = new Uint8Array(4 + length);
  new DataView(framed.buffer).setUint32(0, length, false);
  for (let i = 0; i < length; i++) framed[4 + i] = i & 0xff;
  const boxes: Uint8Array[] = [];
  for (let at = 0; at < framed.length; at += boxSize) boxes.push(framed.subarray(at, at + boxSize));
  return boxes;
}

const isStart = (r: DecodedRequest) => r.type === 'start_resending_encrypted_message';
const isCancel = (r: DecodedRequest) => r.type === 'cancel_resending_encrypted_message';

describe('readStream$', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  function run(boxes: Uint8Array[], latency: (box: number) => number, window: number) {
    let inFlight = 0;
    let maxInFlight = 0;
    const { ctx, sent } = scriptedContext(scheduler, (request) => {
      const local = localReply(request);
      if (local) return local;
      if (!isStart(request)) return [];
      const box = boxOf(request);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const delay = latency(box);
      scheduler.schedule(() => inFlight--, delay);
      return [{ delay, message: startReply(request, 0, boxes[box]!) }];
    });
    return { ctx, sent, stats: () => ({ maxInFlight }), stream$: readStream$(ctx, readCap, indexOf(0), { window }) };
  }

  it('emits the chunks in order and completes at the framed length, with at most `window` reads in flight', () => {
    scheduler.run(({ flush }) => {
      const boxes = framedBoxes(10 * 100 - 4, 100); // 10 full boxes
      // Box 1 is slow: later boxes finish first and must wait their turn.
      const { stream$, stats, sent } = run(boxes, (box) => (box === 1 ? 35 : 10), 4);
      const chunks: number[] = [];
      stream$.subscribe((chunk) => chunks.push(chunk.length));
      flush();
      expect(chunks).toEqual([96, 100, 100, 100, 100, 100, 100, 100, 100, 100]);
      expect(stats().maxInFlight).toBe(4);
      // box 0 alone (t 0–10), then boxes 1-4 start at 10; 2,3,4 done at 20 but 1 only at 45.
      const startsAt = sent.filter((s) => isStart(s.request)).map((s) => [boxOf(s.request), s.at]);
      expect(startsAt.slice(0, 5)).toEqual([
        [0, 0],
        [1, 10],
        [2, 10],
        [3, 10],
        [4, 10],
      ]);
      // The window slides over the sequence: box 5 waits for box 1 (at 45), not for a free slot at 20.
      expect(startsAt[5]).toEqual([5, 45]);
    });
  });

  it('takes about L + ceil((N−1)/W)·L for N boxes of latency L', () => {
    scheduler.run(({ flush }) => {
      const boxes = framedBoxes(64 * 50 - 4, 50);
      const { stream$ } = run(boxes, () => 100, 8);
      let doneAt = -1;
      let bytes = 0;
      stream$.subscribe({ next: (c) => (bytes += c.length), complete: () => (doneAt = scheduler.now()) });
      flush();
      expect(bytes).toBe(64 * 50 - 4);
      expect(doneAt).toBe(100 + Math.ceil(63 / 8) * 100);
    });
  });

  it('reads a payload that fits the first box with one read', () => {
    scheduler.run(({ expectObservable }) => {
      const { stream$ } = run(framedBoxes(3, 100), () => 10, 8);
      expectObservable(stream$).toBe('10ms (a|)', { a: new Uint8Array([0, 1, 2]) });
    });
  });

  it('cancels every read in flight on unsubscribe', () => {
    scheduler.run(({ flush }) => {
      const boxes = framedBoxes(10 * 100 - 4, 100);
      const { stream$, sent } = run(boxes, () => 50, 3);
      const subscription = stream$.subscribe();
      scheduler.schedule(() => subscription.unsubscribe(), 60); // box 0 done at 50; boxes 1-3 in flight
      flush();
      const cancels = sent.filter((s) => isCancel(s.request));
      expect(cancels.map((s) => s.at)).toEqual([60, 60, 60]);
      const cancelled = cancels.map((s) => (s.request as { envelopeHash: Uint8Array }).envelopeHash[3]).sort();
      expect(cancelled).toEqual([1, 2, 3]);
      expect(sent.filter((s) => isStart(s.request) && s.at > 60)).toEqual([]);
    });
  });

  it('fails with a ProtocolError when a middle box is short', () => {
    scheduler.run(({ expectObservable }) => {
      const boxes = framedBoxes(3 * 100 - 4, 100);
      boxes[1] = boxes[1]!.subarray(0, 10);
      const { stream$ } = run(boxes, () => 10, 8);
      expectObservable(stream$).toBe('10ms a 9ms #', { a: boxes[0]!.subarray(4) }, new ProtocolError('stream: box 1 holds 10 bytes, expected 100'));
    });
  });
});

describe('writeStream$', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('frames the payload over boxes of MaxPlaintextPayloadLength, windowed, reporting progress', () => {
    scheduler.run(({ flush }) => {
      const written = new Map<number, Uint8Array>();
      let inFlight = 0;
      let maxInFlight = 0;
      const { ctx } = scriptedContext(scheduler, (request) => {
        if (request.type === 'encrypt_write') written.set(Number(new DataView(request.messageBoxIndex!.buffer).getBigUint64(0, true)), request.plaintext!);
        const local = localReply(request);
        if (local) return local;
        if (!isStart(request)) return [];
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        scheduler.schedule(() => inFlight--, 20);
        return [{ delay: 20, message: startReply(request, 0) }];
      });
      const payload = Uint8Array.from({ length: 1549 * 5 }, (_, i) => (i * 7) & 0xff);
      const progress: Array<[number, number, number]> = [];
      let nextIndex: Uint8Array | null = null;
      writeStream$(ctx, writeCap, indexOf(100), payload, { window: 2 }).subscribe((p) => {
        progress.push([p.boxesDone, p.totalBoxes, p.bytesDone]);
        if (p.boxesDone < p.totalBoxes) expect(p.nextIndex).toBeNull();
        nextIndex = p.nextIndex;
      });
      flush();
      expect(progress.map((p) => p[0])).toEqual([1, 2, 3, 4, 5, 6]);
      expect(progress.at(-1)).toEqual([6, 6, payload.length]);
      expect(maxInFlight).toBe(2);
      expect(nextIndex).toEqual(indexOf(106));
      // Reassemble what was written and check the framing.
      const framed = Buffer.concat([...written.keys()].sort((a, b) => a - b).map((k) => written.get(k)!));
      expect(framed.readUInt32BE(0)).toBe(payload.length);
      expect(new Uint8Array(framed.subarray(4))).toEqual(payload);
      expect([...written.values()].slice(0, 5).every((box) => box.length === 1549)).toBe(true);
    });
  });
});

describe('writeStream$ of thousands of boxes', () => {
  it('completes, with every progress report in order (no recursion through waiting reports)', () => {
    const scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
    scheduler.run(({ flush }) => {
      // The index chain is the slow part here (1 ms a step), so progress reports
      // wait for the indices of their boxes, and they pile up.
      const slowChain = (request: DecodedRequest) => (localReply(request) ?? []).map((r) => (request.type === 'next_message_box_index' ? { ...r, delay: 1 } : r));
      const { ctx } = scriptedContext(scheduler, (request) => (isStart(request) ? [{ delay: 0, message: startReply(request, 0) }] : slowChain(request)));
      const payload = new Uint8Array(3000 * 1549);
      const done: number[] = [];
      let last: Uint8Array | null = null;
      writeStream$(ctx, writeCap, indexOf(0), payload, { window: 16 }).subscribe((p) => {
        done.push(p.boxesDone);
        last = p.nextIndex;
      });
      flush();
      expect(done).toHaveLength(3001);
      expect(done.every((n, i) => n === i + 1)).toBe(true);
      expect(last).toEqual(indexOf(3001));
    });
  });
});

describe('tail$', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('reads what is there back to back, then polls on a doubling schedule until the next box appears', () => {
    scheduler.run(({ flush }) => {
      const appearsAt = new Map<number, number>([
        [0, 0],
        [1, 0],
        [2, 9_000],
      ]);
      const { ctx, sent } = scriptedContext(scheduler, (request, at): ScriptedReply[] => {
        const local = localReply(request);
        if (local) return local;
        if (!isStart(request)) return [];
        expect((request as { noRetryOnBoxIdNotFound: boolean }).noRetryOnBoxIdNotFound).toBe(true);
        const box = boxOf(request);
        const ready = appearsAt.get(box);
        const written = ready !== undefined && ready <= at;
        return [{ delay: 10, message: written ? startReply(request, 0, Uint8Array.of(box)) : startReply(request, 1) }];
      });
      const seen: Array<[number, number]> = [];
      const subscription = tail$(ctx, readCap, indexOf(0), { initialDelayMs: 1000, maxDelayMs: 4000 }).subscribe((m) =>
        seen.push([m.plaintext[0]!, scheduler.now()]),
      );
      scheduler.schedule(() => subscription.unsubscribe(), 20_000);
      flush();
      expect(seen).toEqual([
        [0, 10],
        [1, 20],
        [2, 11_070],
      ]);
      const polls = sent.filter((s) => isStart(s.request) && boxOf(s.request) === 2).map((s) => s.at);
      // miss at 30, wait 1 s → 1030; miss, 2 s → 3040; miss, 4 s → 7050; miss, 4 s (the cap) → 11060: written since 9000.
      expect(polls).toEqual([20, 1030, 3040, 7050, 11060]);
      const box3Polls = sent.filter((s) => isStart(s.request) && boxOf(s.request) === 3).map((s) => s.at);
      expect(box3Polls[0]).toBe(11070); // right after box 2: no wait while catching up
    });
  });
});

describe('indexChain', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('computes a long chain step by step, each step once, without deep recursion', () => {
    scheduler.run(({ flush }) => {
      const { ctx, sent } = scriptedContext(scheduler, (request) => localReply(request) ?? []);
      const at = indexChain(ctx, indexOf(7));
      const got: number[] = [];
      at(20_000).subscribe((index) => got.push(counterOf(index)));
      at(3).subscribe((index) => got.push(counterOf(index)));
      at(3).subscribe((index) => got.push(counterOf(index)));
      flush();
      expect(got).toEqual([10, 10, 20_007]);
      expect(sent.filter((s) => s.request.type === 'next_message_box_index')).toHaveLength(20_000);
      at(5).subscribe((index) => got.push(counterOf(index))); // known now: no request
      expect(got.at(-1)).toBe(12);
      expect(sent).toHaveLength(20_000);
    });
  });
});

describe('indexChain when its askers leave', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  // Regression (issue 12, "smaller"): the chain used to keep extending to the highest index ever asked for.
  it('stops extending once every asker has left', () => {
    scheduler.run(({ flush }) => {
      const { ctx, sent } = scriptedContext(scheduler, (request) => (localReply(request) ?? []).map((r) => ({ ...r, delay: 10 })));
      const at = indexChain(ctx, indexOf(7));
      const far = at(1000).subscribe();
      const near = at(2).subscribe();
      scheduler.schedule(() => far.unsubscribe(), 15); // step 2 is in flight; 3 … 1000 no longer wanted
      flush();
      expect(sent.filter((s) => s.request.type === 'next_message_box_index').map((s) => s.at)).toEqual([0, 10]);
      near.unsubscribe();
    });
  });
});
