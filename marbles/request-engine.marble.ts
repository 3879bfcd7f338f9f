import { TestScheduler } from 'rxjs/testing';
import { RequestEngine } from '../src/client/request-engine.js';
import { IdGenerator } from '../src/core/ids.js';
import { silentLogger } from '../src/core/logger.js';
import { ClientClosedError, ConnectionLostError, RequestTimeoutError } from '../src/errors/local-errors.js';
import { InvalidRequestError, StartResendingCancelledError } from '../src/errors/thin-client-errors.js';
import { thinClientErrorFor } from '../src/errors/error-for-code.js';
import type { DaemonMessage } from '../src/wire/messages.js';
import { bytes } from './support/daemon-messages.js';
import { FakeSink } from './support/fake-sink.js';

/** Deterministic ids: 1, 2, 3 … in the first byte. */
function counterIds(): IdGenerator {
  let n = 0;
  return new IdGenerator((length) => {
    const out = new Uint8Array(length);
    out[0] = ++n;
    return out;
  });
}

function setup(scheduler: TestScheduler, defaultTimeoutMs?: number) {
  const sink = new FakeSink(() => scheduler.now());
  let connected: FakeSink | null = sink;
  const engine = new RequestEngine(() => connected, counterIds(), scheduler, silentLogger, defaultTimeoutMs);
  return { engine, sink, disconnect: () => (connected = null) };
}

const nextIndexReply = (queryId: Uint8Array, errorCode = 0): DaemonMessage => ({
  type: 'next_message_box_index_reply',
  queryId,
  nextMessageBoxIndex: errorCode ? null : bytes(104, queryId[0]),
  errorCode,
});

function nextIndex(engine: RequestEngine, options?: { timeoutMs?: number }) {
  return engine.query({
    request: { type: 'next_message_box_index', messageBoxIndex: bytes(104) },
    replyType: 'next_message_box_index_reply',
    options,
    result: (reply) => {
      if (reply.errorCode) throw thinClientErrorFor(reply.errorCode, { request: 'next_message_box_index' });
      return reply.nextMessageBoxIndex![0];
    },
  });
}

describe('RequestEngine correlation', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('is cold: nothing is sent until subscribe', () => {
    scheduler.run(() => {
      const { engine, sink } = setup(scheduler);
      const request$ = nextIndex(engine);
      expect(sink.sent).toHaveLength(0);
      request$.subscribe();
      expect(sink.types()).toEqual(['next_message_box_index']);
      expect(engine.pendingCount).toBe(1);
    });
  });

  it('delivers each reply to its own request, whatever the order', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { engine, sink } = setup(scheduler);
      expectObservable(nextIndex(engine)).toBe('-----(a|)', { a: 1 });
      expectObservable(nextIndex(engine)).toBe('--(b|)', { b: 2 });
      scheduler.schedule(() => engine.route(nextIndexReply(sink.queryId(1))), 2);
      scheduler.schedule(() => engine.route(nextIndexReply(sink.queryId(0))), 5);
      flush();
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('registers before sending: a reply delivered synchronously inside send still arrives', () => {
    scheduler.run(({ expectObservable }) => {
      let engineRef: RequestEngine | null = null;
      const echoing = new FakeSink(() => scheduler.now());
      const original = echoing.send.bind(echoing);
      echoing.send = (body) => {
        const ok = original(body);
        engineRef!.route(nextIndexReply(echoing.queryId(echoing.sent.length - 1)));
        return ok;
      };
      engineRef = new RequestEngine(() => echoing, counterIds(), scheduler, silentLogger, undefined);
      expectObservable(nextIndex(engineRef)).toBe('(a|)', { a: 1 });
    });
  });

  it('turns an error code into the typed error and forgets the request', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { engine, sink } = setup(scheduler);
      expectObservable(nextIndex(engine)).toBe('---#', undefined, new InvalidRequestError({ request: 'next_message_box_index' }));
      scheduler.schedule(() => engine.route(nextIndexReply(sink.queryId(0), 3)), 3);
      flush();
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('ignores replies of another type or for unknown ids', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { engine, sink } = setup(scheduler);
      expectObservable(nextIndex(engine)).toBe('----(a|)', { a: 1 });
      scheduler.schedule(() => engine.route({ type: 'cancel_resending_copy_command_reply', queryId: sink.queryId(0), errorCode: 0 }), 1);
      scheduler.schedule(() => engine.route(nextIndexReply(bytes(16, 99))), 2);
      scheduler.schedule(() => engine.route(nextIndexReply(sink.queryId(0))), 4);
      scheduler.schedule(() => engine.route(nextIndexReply(sink.queryId(0))), 6); // duplicate: absorbed
      flush();
    });
  });

  it('times out on the scheduler and forgets the request', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { engine } = setup(scheduler);
      expectObservable(nextIndex(engine, { timeoutMs: 50 })).toBe('50ms #', undefined, new RequestTimeoutError('next_message_box_index', 50));
      flush();
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('applies the client-wide default timeout', () => {
    scheduler.run(({ expectObservable }) => {
      const { engine } = setup(scheduler, 20);
      expectObservable(nextIndex(engine)).toBe('20ms #', undefined, new RequestTimeoutError('next_message_box_index', 20));
    });
  });

  it('forgets the request on unsubscribe and sends nothing for a local request', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { engine, sink } = setup(scheduler);
      expectObservable(nextIndex(engine), '^--!').toBe('---');
      scheduler.schedule(() => engine.route(nextIndexReply(sink.queryId(0))), 5);
      flush();
      expect(engine.pendingCount).toBe(0);
      expect(sink.types()).toEqual(['next_message_box_index']);
    });
  });

  it('withdraws a request still queued when its subscriber leaves: it never reaches the daemon', () => {
    scheduler.run(({ flush }) => {
      const { engine, sink } = setup(scheduler);
      sink.connected = false;
      const subscription = nextIndex(engine).subscribe();
      expect(sink.queue.size).toBe(1);
      subscription.unsubscribe();
      sink.flush();
      flush();
      expect(sink.sent).toHaveLength(0);
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('fails pending requests on close and refuses new ones', () => {
    scheduler.run(({ expectObservable }) => {
      const { engine } = setup(scheduler);
      expectObservable(nextIndex(engine)).toBe('--#', undefined, new ClientClosedError('next_message_box_index'));
      scheduler.schedule(() => engine.close(), 2);
      expectObservable(nextIndex(engine), '---^').toBe('---#', undefined, new ClientClosedError());
    });
  });

  it('fails requests made while disconnected with ClientClosedError', () => {
    scheduler.run(({ expectObservable }) => {
      const { engine, disconnect } = setup(scheduler);
      disconnect();
      expectObservable(nextIndex(engine)).toBe('#', undefined, new ClientClosedError('next_message_box_index'));
    });
  });
});

describe('RequestEngine cancellation of daemon ARQ operations', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const envelopeHash = bytes(32, 5);
  const startReply = (queryId: Uint8Array, errorCode: number): DaemonMessage => ({
    type: 'start_resending_encrypted_message_reply',
    queryId,
    plaintext: null,
    errorCode,
    courierIdentityHash: null,
    courierQueueId: null,
  });

  function start(engine: RequestEngine) {
    return engine.query({
      request: {
        type: 'start_resending_encrypted_message',
        writeCap: bytes(168),
        envelopeDescriptor: bytes(8),
        messageCiphertext: bytes(8),
        envelopeHash,
      },
      replyType: 'start_resending_encrypted_message_reply',
      cancel: { type: 'cancel_resending_encrypted_message', envelopeHash },
      result: (reply) => {
        if (reply.errorCode === 24) throw new StartResendingCancelledError({ request: 'start_resending_encrypted_message' });
        return reply.errorCode;
      },
    });
  }

  it('sends the cancel exactly once on unsubscribe and absorbs the daemon code-24 reply', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { engine, sink } = setup(scheduler);
      expectObservable(start(engine), '^---!').toBe('----');
      // The daemon answers our cancel: first code 24 to the original query, then 0 to the cancel.
      scheduler.schedule(() => engine.route(startReply(sink.queryId(0), 24)), 5);
      scheduler.schedule(() => engine.route({ type: 'cancel_resending_encrypted_message_reply', queryId: sink.queryId(1), errorCode: 0 }), 6);
      flush();
      expect(sink.types()).toEqual(['start_resending_encrypted_message', 'cancel_resending_encrypted_message']);
      expect(sink.sent[1]?.at).toBe(4);
      expect((sink.sent[1]?.request as { envelopeHash: Uint8Array }).envelopeHash).toEqual(envelopeHash);
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('surfaces a cancel made by someone else as StartResendingCancelledError', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { engine, sink } = setup(scheduler);
      expectObservable(start(engine)).toBe('--#', undefined, new StartResendingCancelledError({ request: 'start_resending_encrypted_message' }));
      scheduler.schedule(() => engine.route(startReply(sink.queryId(0), 24)), 2);
      flush();
      expect(sink.types()).toEqual(['start_resending_encrypted_message']);
    });
  });

  it('sends no cancel after the operation finished', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { engine, sink } = setup(scheduler);
      expectObservable(start(engine), '^----!').toBe('--(a|)', { a: 0 });
      scheduler.schedule(() => engine.route(startReply(sink.queryId(0), 0)), 2);
      flush();
      expect(sink.types()).toEqual(['start_resending_encrypted_message']);
    });
  });

  it('sends no cancel once the client is closed', () => {
    scheduler.run(({ flush }) => {
      const { engine, sink } = setup(scheduler);
      const subscription = start(engine).subscribe({ error: () => undefined });
      engine.close();
      subscription.unsubscribe();
      flush();
      expect(sink.types()).toEqual(['start_resending_encrypted_message']);
    });
  });

  it('sends the cancel when a timeout abandons the operation', () => {
    scheduler.run(({ flush }) => {
      const { engine, sink } = setup(scheduler);
      const errors: unknown[] = [];
      engine
        .query({
          request: { type: 'start_resending_copy_command', writeCap: bytes(168) },
          replyType: 'start_resending_copy_command_reply',
          cancel: { type: 'cancel_resending_copy_command', writeCapHash: bytes(32, 1) },
          options: { timeoutMs: 30 },
          result: () => 0,
        })
        .subscribe({ error: (e) => errors.push(e) });
      flush();
      expect(errors).toEqual([new RequestTimeoutError('start_resending_copy_command', 30)]);
      expect(sink.types()).toEqual(['start_resending_copy_command', 'cancel_resending_copy_command']);
      expect(sink.sent[1]?.at).toBe(30);
    });
  });
});

describe('RequestEngine across reconnects', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('re-sends pending requests verbatim (same query id) after a reconnect', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { engine, sink } = setup(scheduler);
      expectObservable(nextIndex(engine)).toBe('------(a|)', { a: 1 });
      scheduler.schedule(() => {
        engine.disconnected({ graceful: false, error: null, willReconnect: true });
        engine.reconnected({ reconnected: true, resumed: false, instanceChanged: true });
      }, 3);
      scheduler.schedule(() => engine.route(nextIndexReply(sink.queryId(1))), 6);
      flush();
      expect(sink.types()).toEqual(['next_message_box_index', 'next_message_box_index']);
      expect(sink.queryId(1)).toEqual(sink.queryId(0));
      expect(sink.sent[1]?.at).toBe(3);
    });
  });

  it('fails everything pending when the connection is lost for good', () => {
    scheduler.run(({ expectObservable }) => {
      const { engine } = setup(scheduler);
      expectObservable(nextIndex(engine)).toBe('--#', undefined, new ConnectionLostError('next_message_box_index'));
      scheduler.schedule(() => engine.disconnected({ graceful: true, error: null, willReconnect: false }), 2);
    });
  });
});

describe('RequestEngine mixnet in-flight limit (the daemon FIFO of 16, DAEMON.md §1.7)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  function setupLimited(limit: number) {
    const sink = new FakeSink(() => scheduler.now());
    const engine = new RequestEngine(() => sink, counterIds(), scheduler, silentLogger, undefined, limit);
    return { engine, sink };
  }

  function startWrite(engine: RequestEngine, n: number) {
    const envelopeHash = bytes(32, n);
    return engine.query({
      request: { type: 'start_resending_encrypted_message', writeCap: bytes(168), envelopeDescriptor: bytes(8), messageCiphertext: bytes(8), envelopeHash },
      replyType: 'start_resending_encrypted_message_reply',
      cancel: { type: 'cancel_resending_encrypted_message', envelopeHash },
      mixnet: true,
      result: (reply) => reply.errorCode,
    });
  }

  const done = (queryId: Uint8Array): DaemonMessage => ({
    type: 'start_resending_encrypted_message_reply',
    queryId,
    plaintext: null,
    errorCode: 0,
    courierIdentityHash: null,
    courierQueueId: null,
  });

  it('holds mixnet requests beyond the limit and sends each as a slot frees, in order', () => {
    scheduler.run(({ flush }) => {
      const { engine, sink } = setupLimited(2);
      for (let n = 1; n <= 4; n++) startWrite(engine, n).subscribe();
      expect(sink.types()).toEqual(['start_resending_encrypted_message', 'start_resending_encrypted_message']);
      expect(engine.queuedMixnetCount).toBe(2);
      scheduler.schedule(() => engine.route(done(sink.queryId(1))), 5);
      scheduler.schedule(() => engine.route(done(sink.queryId(0))), 7);
      flush();
      const hashes = sink.sent.map((s) => [(s.request as { envelopeHash: Uint8Array }).envelopeHash[0], s.at]);
      expect(hashes).toEqual([
        [1, 0],
        [2, 0],
        [3, 5],
        [4, 7],
      ]);
    });
  });

  it('keeps local requests flowing while mixnet requests wait', () => {
    scheduler.run(() => {
      const { engine, sink } = setupLimited(1);
      startWrite(engine, 1).subscribe();
      startWrite(engine, 2).subscribe();
      nextIndex(engine).subscribe();
      expect(sink.types()).toEqual(['start_resending_encrypted_message', 'next_message_box_index']);
    });
  });

  it('sends neither the request nor a cancel when a held request is abandoned', () => {
    scheduler.run(({ flush }) => {
      const { engine, sink } = setupLimited(1);
      startWrite(engine, 1).subscribe();
      const held = startWrite(engine, 2).subscribe();
      held.unsubscribe();
      scheduler.schedule(() => engine.route(done(sink.queryId(0))), 3);
      flush();
      expect(sink.types()).toEqual(['start_resending_encrypted_message']);
      expect(engine.queuedMixnetCount).toBe(0);
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('frees the slot of a request cancelled by unsubscribe (after sending its cancel)', () => {
    scheduler.run(() => {
      const { engine, sink } = setupLimited(1);
      const first = startWrite(engine, 1).subscribe();
      startWrite(engine, 2).subscribe();
      first.unsubscribe();
      expect(sink.types()).toEqual(['start_resending_encrypted_message', 'cancel_resending_encrypted_message', 'start_resending_encrypted_message']);
    });
  });
});
