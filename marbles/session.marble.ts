import { TestScheduler } from 'rxjs/testing';
import type { RequestEngine } from '../src/client/request-engine.js';
import { exponentialBackoff } from '../src/core/reconnect-policy.js';
import { ClientClosedError, ConnectionLostError, MalformedMessageError, NotConnectedError, RequestTimeoutError, TransportError } from '../src/errors/local-errors.js';
import { thinClientErrorFor } from '../src/errors/error-for-code.js';
import { InvalidRequestError, StartResendingCancelledError } from '../src/errors/thin-client-errors.js';
import type { DaemonMessage, DecodedRequest } from '../src/wire/messages.js';
import { bytes, status } from './support/daemon-messages.js';
import { ScriptedLink, type Responder } from './support/scripted-link.js';
import { connectedSession, sessionHarness } from './support/session-harness.js';

/*
 * The Session: one owner of every request's life (issue 12). Each test
 * drives a real Session over scripted daemon connections in virtual time.
 */

const nextIndexReply = (queryId: Uint8Array | null, errorCode = 0): DaemonMessage => ({
  type: 'next_message_box_index_reply',
  queryId,
  nextMessageBoxIndex: errorCode ? null : bytes(104, queryId?.[3] ?? 0),
  errorCode,
});

const startReply = (queryId: Uint8Array | null, errorCode = 0): DaemonMessage => ({
  type: 'start_resending_encrypted_message_reply',
  queryId,
  plaintext: null,
  errorCode,
  courierIdentityHash: null,
  courierQueueId: null,
});

const cancelReply = (queryId: Uint8Array | null): DaemonMessage => ({ type: 'cancel_resending_encrypted_message_reply', queryId, errorCode: 0 });

function nextIndex(engine: RequestEngine, options?: { timeoutMs?: number }) {
  return engine.query({
    request: { type: 'next_message_box_index', messageBoxIndex: bytes(104) },
    replyType: 'next_message_box_index_reply',
    options,
    result: (reply) => {
      if (reply.errorCode) throw thinClientErrorFor(reply.errorCode, { request: 'next_message_box_index' });
      return reply.nextMessageBoxIndex![0] ?? -1;
    },
  });
}

/** A write ARQ start whose envelope hash is filled with `n`. */
function start(engine: RequestEngine, n: number, options?: { timeoutMs?: number }) {
  const envelopeHash = bytes(32, n);
  return engine.query({
    request: { type: 'start_resending_encrypted_message', writeCap: bytes(168), envelopeDescriptor: bytes(8), messageCiphertext: bytes(8, n), envelopeHash },
    replyType: 'start_resending_encrypted_message_reply',
    cancel: { type: 'cancel_resending_encrypted_message', envelopeHash },
    options,
    result: (reply) => {
      if (reply.errorCode === 24) throw new StartResendingCancelledError({ request: 'start_resending_encrypted_message' });
      return reply.errorCode;
    },
  });
}

/** The `n` of a start or cancel (its envelope hash fill). */
const hashOf = (request: DecodedRequest): number => (request as { envelopeHash: Uint8Array }).envelopeHash[0]!;
const qid = (request: DecodedRequest): Uint8Array => (request as { queryId: Uint8Array }).queryId;
const summary = (link: ScriptedLink): string[] =>
  link.requests().map((r) => (r.type === 'start_resending_encrypted_message' ? `start ${hashOf(r)}` : r.type === 'cancel_resending_encrypted_message' ? `cancel ${hashOf(r)}` : r.type));

/** A daemon that answers local requests at once and cancels with 0 only (nothing found). */
const localDaemon: Responder = (request) => {
  if (request.type === 'next_message_box_index') return [{ delay: 0, message: nextIndexReply(request.queryId) }];
  if (request.type === 'cancel_resending_encrypted_message') return [{ delay: 0, message: cancelReply(request.queryId) }];
  return [];
};

const backoff = exponentialBackoff({ initialMs: 10, maxMs: 10, jitter: 0 });

let scheduler: TestScheduler;
beforeEach(() => {
  scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
});

describe('Session: correlation', () => {
  it('is cold: nothing is sent until subscribe', () => {
    scheduler.run(() => {
      const { link, engine } = connectedSession(scheduler);
      const request$ = nextIndex(engine);
      expect(link.sent).toHaveLength(0);
      request$.subscribe();
      expect(link.types()).toEqual(['next_message_box_index']);
      expect(engine.pendingCount).toBe(1);
    });
  });

  it('delivers each reply to its own request, whatever the order', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { link, engine } = connectedSession(scheduler);
      expectObservable(nextIndex(engine)).toBe('-----(a|)', { a: 1 });
      expectObservable(nextIndex(engine)).toBe('--(b|)', { b: 2 });
      scheduler.schedule(() => link.push(nextIndexReply(link.queryId(1))), 2);
      scheduler.schedule(() => link.push(nextIndexReply(link.queryId(0))), 5);
      flush();
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('registers before sending: a reply delivered synchronously inside the write still arrives', () => {
    scheduler.run(({ expectObservable }) => {
      const link = new ScriptedLink(scheduler);
      link.send = ((original) => (body: Uint8Array) => {
        original(body);
        const last = link.sent.at(-1);
        if (last?.request.type === 'next_message_box_index') link.push(nextIndexReply(last.request.queryId));
      })(link.send.bind(link));
      const { session, engine } = sessionHarness(scheduler, [link]);
      session.connect().subscribe();
      expectObservable(nextIndex(engine)).toBe('(a|)', { a: 1 });
    });
  });

  it('turns an error code into the typed error; ignores other kinds, unknown ids and duplicates', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { link, engine } = connectedSession(scheduler);
      expectObservable(nextIndex(engine)).toBe('---#', undefined, new InvalidRequestError({ request: 'next_message_box_index' }));
      expectObservable(nextIndex(engine)).toBe('----(a|)', { a: 2 });
      scheduler.schedule(() => link.push({ type: 'cancel_resending_copy_command_reply', queryId: link.queryId(1), errorCode: 0 }), 1);
      scheduler.schedule(() => link.push(nextIndexReply(bytes(16, 99))), 2);
      scheduler.schedule(() => link.push(nextIndexReply(link.queryId(0), 3)), 3);
      scheduler.schedule(() => link.push(nextIndexReply(link.queryId(1))), 4);
      scheduler.schedule(() => link.push(nextIndexReply(link.queryId(1))), 6); // duplicate: absorbed
      flush();
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('times out on the scheduler (per request, or the client default) and forgets the request', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const link = new ScriptedLink(scheduler);
      const { session, engine } = sessionHarness(scheduler, [link], { defaultTimeoutMs: 20 });
      session.connect().subscribe();
      expectObservable(nextIndex(engine, { timeoutMs: 50 })).toBe('50ms #', undefined, new RequestTimeoutError('next_message_box_index', 50));
      expectObservable(nextIndex(engine)).toBe('20ms #', undefined, new RequestTimeoutError('next_message_box_index', 20));
      flush();
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('forgets a local request on unsubscribe and sends nothing more', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { link, engine } = connectedSession(scheduler);
      expectObservable(nextIndex(engine), '^--!').toBe('---');
      scheduler.schedule(() => link.push(nextIndexReply(link.queryId(0))), 5);
      flush();
      expect(engine.pendingCount).toBe(0);
      expect(link.types()).toEqual(['next_message_box_index']);
    });
  });

  // Regression (issue 12, "smaller"): a schema error in one message used to reset the link and replay.
  it('a reply that breaks its schema fails only its request; the connection stays up', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { link, session, engine, lost, messages } = connectedSession(scheduler);
      const bad = new MalformedMessageError('next_message_box_index_reply', 'error_code: expected an unsigned integer ≤ 255', { queryId: new Uint8Array(16) });
      expectObservable(nextIndex(engine)).toBe('--#', undefined, bad);
      expectObservable(nextIndex(engine)).toBe('---(a|)', { a: 2 });
      scheduler.schedule(() => {
        const queryId = link.queryId(0);
        link.push({ type: 'invalid', error: new MalformedMessageError(bad.kind, 'error_code: expected an unsigned integer ≤ 255', { queryId }) });
      }, 2);
      scheduler.schedule(() => link.push(nextIndexReply(link.queryId(1))), 3);
      flush();
      expect(lost).toEqual([]);
      expect(messages.filter((m) => m.type === 'invalid')).toHaveLength(1);
      expect(session.state.daemon).toBe('connected');
    });
  });
});

describe('Session: connect(), disconnect(), close()', () => {
  it('a request before connect() fails at once with NotConnectedError', () => {
    scheduler.run(({ expectObservable }) => {
      const { engine, dials } = sessionHarness(scheduler, [new ScriptedLink(scheduler)]);
      expectObservable(nextIndex(engine)).toBe('#', undefined, new NotConnectedError('next_message_box_index'));
      expect(dials).toEqual([]);
    });
  });

  it('requests made while connecting wait and go out, in order, right after the handshake', () => {
    scheduler.run(({ cold, flush }) => {
      const link = new ScriptedLink(scheduler, { respond: localDaemon, greet: false });
      const { session, engine } = sessionHarness(scheduler, [link]);
      session.connect().subscribe();
      const values: number[] = [];
      nextIndex(engine).subscribe((v) => values.push(v));
      nextIndex(engine).subscribe((v) => values.push(v));
      cold('---a-b-c').subscribe((step) => {
        if (step === 'a') link.push(status());
        if (step === 'b') link.push({ type: 'new_pki_document_event', payload: null });
        if (step === 'c') link.push({ type: 'session_token_reply', appId: bytes(16), resumed: false });
      });
      flush();
      expect(link.types()).toEqual(['next_message_box_index', 'next_message_box_index']);
      expect(link.sent.map((s) => s.at)).toEqual([7, 7]);
      expect(link.tokenSentAt).toEqual([5]);
      expect(values).toEqual([1, 2]);
    });
  });

  // Regression (issue 12, case 1): a second connect() used to brick a healthy client.
  it('connect() is idempotent: during the handshake it shares it, once connected it resolves at once', () => {
    scheduler.run(({ cold, expectObservable, flush }) => {
      const link = new ScriptedLink(scheduler, { respond: localDaemon, greet: false });
      const { session, engine, dials } = sessionHarness(scheduler, [link, new ScriptedLink(scheduler)]);
      expectObservable(session.connect()).toBe('---(c|)', { c: undefined });
      expectObservable(session.connect(), '--^').toBe('---(c|)', { c: undefined });
      expectObservable(session.connect(), '------^').toBe('------(c|)', { c: undefined });
      cold('-a-b').subscribe((step) => {
        if (step === 'a') {
          link.push(status());
          link.push({ type: 'new_pki_document_event', payload: null });
        } else link.push({ type: 'session_token_reply', appId: bytes(16), resumed: false });
      });
      expectObservable(nextIndex(engine), '--------^').toBe('--------(a|)', { a: 1 });
      flush();
      expect(dials).toEqual([0]);
      expect(link.tokenSentAt).toEqual([1]);
      expect(session.state.daemon).toBe('connected');
    });
  });

  it('close(): pending requests fail with ClientClosedError, later ones too, and connect() refuses', () => {
    scheduler.run(({ expectObservable }) => {
      const { link, session, engine } = connectedSession(scheduler);
      expectObservable(nextIndex(engine)).toBe('--#', undefined, new ClientClosedError('next_message_box_index'));
      expectObservable(start(engine, 1)).toBe('--#', undefined, new ClientClosedError('start_resending_encrypted_message'));
      scheduler.schedule(() => session.close(), 2);
      expectObservable(nextIndex(engine), '---^').toBe('---#', undefined, new ClientClosedError('next_message_box_index'));
      expectObservable(session.connect(), '---^').toBe('---#', undefined, new ClientClosedError());
      scheduler.schedule(() => {
        // thin_close went out, and no cancel for the abandoned ARQ (the daemon drops everything).
        expect(link.closed).toBe(true);
        expect(summary(link)).toEqual(['next_message_box_index', 'start 1', 'thin_close']);
      }, 4);
    });
  });

  // Regression (issue 12, case 5): disconnect() used to fail requests without cancelling their ARQs.
  it('disconnect() keeps requests in flight; the next connect() resumes and completes each exactly once', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const first = new ScriptedLink(scheduler);
      const second = new ScriptedLink(scheduler, { resumed: true, respond: localDaemon });
      const { session, engine } = sessionHarness(scheduler, [first, second]);
      session.connect().subscribe();
      expectObservable(nextIndex(engine)).toBe('----------(a|)', { a: 1 });
      expectObservable(start(engine, 5)).toBe('------------(a|)', { a: 0 });
      scheduler.schedule(() => session.disconnect(), 3);
      expectObservable(nextIndex(engine), '-----^').toBe('-----#', undefined, new NotConnectedError('next_message_box_index'));
      scheduler.schedule(() => session.connect().subscribe(), 10);
      // The re-issued start (after the cancel of the old one) is answered at 12.
      scheduler.schedule(() => second.push(startReply(qid(second.requests()[2]!))), 12);
      flush();
      expect(session.state.daemon).toBe('connected');
      expect(summary(second)).toEqual(['cancel 5', 'next_message_box_index', 'start 5']);
      // The local request is re-sent as it was; the ARQ start under a fresh query id.
      expect(qid(second.requests()[1]!)).toEqual(qid(first.requests()[0]!));
      expect(qid(second.requests()[2]!)).not.toEqual(qid(first.requests()[1]!));
      expect(engine.pendingCount).toBe(0);
    });
  });
});

describe('Session: reconnect decisions, per request', () => {
  // Regression (issue 12, case 3): in-flight starts used to be re-sent as they were, giving the daemon two ARQs.
  it('same-instance resume: cancel the old ARQ first, absorb its code-24 answer, re-issue under a fresh id', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const first = new ScriptedLink(scheduler);
      const second = new ScriptedLink(scheduler, { resumed: true });
      const { session, engine, lost } = sessionHarness(scheduler, [first, second], { reconnect: backoff });
      session.connect().subscribe();
      expectObservable(start(engine, 1)).toBe('------------------(a|)', { a: 0 });
      expectObservable(start(engine, 2)).toBe('-------------------(a|)', { a: 0 });
      scheduler.schedule(() => first.drop(new TransportError('reset')), 5);
      // Back at 15: the daemon finds the first ARQ (code 24 to the OLD id, then 0), not the second.
      scheduler.schedule(() => {
        const [cancel1, cancel2] = second.requests();
        second.push(startReply(qid(first.requests()[0]!), 24));
        second.push(cancelReply(qid(cancel1!)));
        second.push(cancelReply(qid(cancel2!)));
      }, 16);
      scheduler.schedule(() => second.push(startReply(qid(second.requests()[2]!))), 18);
      scheduler.schedule(() => second.push(startReply(qid(second.requests()[3]!))), 19);
      flush();
      expect(lost).toEqual([{ graceful: false, error: new TransportError('reset'), willReconnect: true, at: 5 }]);
      expect(summary(second)).toEqual(['cancel 1', 'cancel 2', 'start 1', 'start 2']);
      expect(qid(second.requests()[2]!)).not.toEqual(qid(first.requests()[0]!));
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('a new daemon (not resumed): re-issue without a cancel (it holds nothing of ours)', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const first = new ScriptedLink(scheduler);
      const second = new ScriptedLink(scheduler, { resumed: false, instance: 2 });
      const { session, engine } = sessionHarness(scheduler, [first, second], { reconnect: backoff });
      session.connect().subscribe();
      expectObservable(start(engine, 1)).toBe('--------------------(a|)', { a: 0 });
      scheduler.schedule(() => first.drop(), 5);
      scheduler.schedule(() => second.push(startReply(qid(second.requests()[0]!))), 20);
      flush();
      expect(summary(second)).toEqual(['start 1']);
    });
  });

  it('an ARQ abandoned while reconnecting is cancelled after a resumed handshake, and forgotten after a new one', () => {
    scheduler.run(({ flush }) => {
      const first = new ScriptedLink(scheduler);
      const resumed = new ScriptedLink(scheduler, { resumed: true, respond: localDaemon });
      const { session, engine } = sessionHarness(scheduler, [first, resumed], { reconnect: backoff });
      session.connect().subscribe();
      const subscription = start(engine, 1).subscribe();
      scheduler.schedule(() => first.drop(), 2);
      scheduler.schedule(() => subscription.unsubscribe(), 4);
      flush();
      expect(summary(resumed)).toEqual(['cancel 1']);
      expect(engine.pendingCount).toBe(0);

      const first2 = new ScriptedLink(scheduler);
      const fresh = new ScriptedLink(scheduler, { resumed: false, instance: 2 });
      const other = sessionHarness(scheduler, [first2, fresh], { reconnect: backoff });
      other.session.connect().subscribe();
      const subscription2 = start(other.engine, 1).subscribe();
      scheduler.schedule(() => first2.drop(), 2);
      scheduler.schedule(() => subscription2.unsubscribe(), 4);
      flush();
      expect(summary(fresh)).toEqual([]);
      expect(other.engine.pendingCount).toBe(0);
    });
  });

  it('local requests are re-sent verbatim (same query id) and complete once', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const first = new ScriptedLink(scheduler);
      const second = new ScriptedLink(scheduler, { respond: localDaemon });
      const { session, engine } = sessionHarness(scheduler, [first, second], { reconnect: backoff });
      session.connect().subscribe();
      expectObservable(nextIndex(engine)).toBe('-------------(a|)', { a: 1 });
      scheduler.schedule(() => first.drop(), 3);
      flush();
      expect(qid(second.requests()[0]!)).toEqual(qid(first.requests()[0]!));
      expect(second.sent[0]!.at).toBe(13);
    });
  });

  // Regression (issue 12, case 2): with maxAttempts and failed re-dials, requests used to hang forever.
  it('gives up after failed re-dials: everything pending fails with ConnectionLostError, and it says so', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const first = new ScriptedLink(scheduler);
      const policy = exponentialBackoff({ initialMs: 10, maxMs: 10, jitter: 0, maxAttempts: 2 });
      const { session, engine, lost } = sessionHarness(scheduler, [first, new TransportError('refused'), new TransportError('refused')], { reconnect: policy });
      session.connect().subscribe();
      const gaveUp = new ConnectionLostError('next_message_box_index', { cause: new TransportError('refused') });
      expectObservable(nextIndex(engine)).toBe('-------------------------#', undefined, gaveUp);
      expectObservable(start(engine, 1)).toBe('-------------------------#', undefined, new ConnectionLostError('start_resending_encrypted_message'));
      // Made while reconnecting: waits, then fails with the rest.
      expectObservable(nextIndex(engine), '--------^').toBe('-------------------------#', undefined, gaveUp);
      scheduler.schedule(() => first.drop(new TransportError('reset')), 5);
      expectObservable(nextIndex(engine), '----------------------------^').toBe('----------------------------#', undefined, new ClientClosedError('next_message_box_index'));
      flush();
      expect(lost).toEqual([
        { graceful: false, error: new TransportError('reset'), willReconnect: true, at: 5 },
        { graceful: false, error: new TransportError('refused'), willReconnect: false, at: 25 },
      ]);
      expect(session.state.daemon).toBe('closed');
      expect(engine.pendingCount).toBe(0);
    });
  });

  it('after giving up, connect() starts over', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const first = new ScriptedLink(scheduler);
      const again = new ScriptedLink(scheduler, { respond: localDaemon });
      const { session, engine, dials } = sessionHarness(scheduler, [first, new TransportError('refused'), again], {
        reconnect: exponentialBackoff({ initialMs: 10, jitter: 0, maxAttempts: 1 }),
      });
      session.connect().subscribe();
      scheduler.schedule(() => first.drop(), 2);
      expectObservable(session.connect(), '------------------------------^').toBe('------------------------------(c|)', { c: undefined });
      expectObservable(nextIndex(engine), '-------------------------------^').toBe('-------------------------------(a|)', { a: 1 });
      flush();
      expect(dials).toEqual([0, 12, 30]);
    });
  });
});

describe('Session: SURB sends across reconnects (legacy send_message)', () => {
  const surbId = bytes(16, 42);
  const sendRequest = { type: 'send_message', withSurb: true, surbId, destinationIdHash: bytes(32), recipientQueueId: bytes(4, 1), payload: bytes(8) } as const;
  const sentEvent: DaemonMessage = { type: 'message_sent_event', messageId: null, surbId, sentAt: 0, replyEta: 0, err: '' };
  const replyEvent: DaemonMessage = { type: 'message_reply_event', messageId: null, surbId, payload: bytes(4, 7), replyIndex: 0, errorCode: 0 };

  function track(engine: RequestEngine, log: string[]) {
    return engine.track(sendRequest, {
      classify: (m) => (m.type === 'message_sent_event' ? 'progress' : m.type === 'message_reply_event' ? 'final' : 'ignore'),
      next: (m) => log.push(`${scheduler.now()} ${m.type}`),
      fail: (e) => log.push(`${scheduler.now()} ${e.name}`),
    });
  }

  /** A send made on a first connection; the second one (after a drop) resumes the session or not. */
  function sendAcrossReconnect(second: ScriptedLink) {
    const first = new ScriptedLink(scheduler);
    const { session, engine } = sessionHarness(scheduler, [first, second], { reconnect: backoff });
    session.connect().subscribe();
    const log: string[] = [];
    track(engine, log);
    return { first, log };
  }

  // Regression (issue 12, case 6): a send still in the daemon's queue at a disconnect used to hang forever.
  it('not yet sent by the daemon when the connection drops: sent again on the next connection', () => {
    scheduler.run(({ flush }) => {
      const second = new ScriptedLink(scheduler, { resumed: true });
      const { first, log } = sendAcrossReconnect(second);
      scheduler.schedule(() => first.drop(), 3);
      scheduler.schedule(() => second.push(sentEvent), 15);
      scheduler.schedule(() => second.push(replyEvent), 17);
      flush();
      expect(second.types()).toEqual(['send_message']);
      expect(log).toEqual(['15 message_sent_event', '17 message_reply_event']);
    });
  });

  it('sent by the daemon before the drop: keeps waiting on a resumed session (its reply is queued there)', () => {
    scheduler.run(({ flush }) => {
      const second = new ScriptedLink(scheduler, { resumed: true });
      const { first, log } = sendAcrossReconnect(second);
      scheduler.schedule(() => first.push(sentEvent), 1);
      scheduler.schedule(() => first.drop(), 3);
      scheduler.schedule(() => second.push(replyEvent), 14);
      flush();
      expect(second.types()).toEqual([]);
      expect(log).toEqual(['1 message_sent_event', '14 message_reply_event']);
    });
  });

  it('sent by the daemon before the drop, new daemon session: fails with ConnectionLostError', () => {
    scheduler.run(({ flush }) => {
      const { first, log } = sendAcrossReconnect(new ScriptedLink(scheduler, { resumed: false, instance: 2 }));
      scheduler.schedule(() => first.push(sentEvent), 1);
      scheduler.schedule(() => first.drop(), 3);
      flush();
      expect(log).toEqual(['1 message_sent_event', '13 ConnectionLostError']);
    });
  });

  it('abandoned before the daemon sent it: keeps its place in the daemon queue account until its message_sent_event', () => {
    scheduler.run(({ flush }) => {
      const { link, session, engine } = connectedSession(scheduler);
      const handle = track(engine, []);
      handle.abandon();
      expect(session.daemonQueueCount).toBe(1);
      expect(engine.pendingCount).toBe(1);
      scheduler.schedule(() => link.push(sentEvent), 4);
      flush();
      expect(session.daemonQueueCount).toBe(0);
      expect(engine.pendingCount).toBe(0);
    });
  });
});

describe('Session: ARQ cancels and the daemon FIFO account (DAEMON.md §1.7, §3.6)', () => {
  it('unsubscribing sends the cancel once and absorbs the daemon code-24 reply', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { link, session, engine } = connectedSession(scheduler);
      expectObservable(start(engine, 5), '^---!').toBe('----');
      scheduler.schedule(() => link.push(startReply(link.queryId(0), 24)), 5);
      scheduler.schedule(() => link.push(cancelReply(link.queryId(1))), 6);
      flush();
      expect(summary(link)).toEqual(['start 5', 'cancel 5']);
      expect(link.sent[1]!.at).toBe(4);
      expect(engine.pendingCount).toBe(0);
      expect(session.daemonQueueCount).toBe(0);
    });
  });

  it('surfaces a cancel made by someone else as StartResendingCancelledError; sends no cancel after the end', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { link, engine } = connectedSession(scheduler);
      expectObservable(start(engine, 1)).toBe('--#', undefined, new StartResendingCancelledError({ request: 'start_resending_encrypted_message' }));
      expectObservable(start(engine, 2), '^----!').toBe('---(a|)', { a: 0 });
      scheduler.schedule(() => link.push(startReply(link.queryId(0), 24)), 2);
      scheduler.schedule(() => link.push(startReply(link.queryId(1), 0)), 3);
      flush();
      expect(summary(link)).toEqual(['start 1', 'start 2']);
    });
  });

  it('a timeout abandons the operation and cancels it', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { link, engine } = connectedSession(scheduler);
      expectObservable(start(engine, 1, { timeoutMs: 30 })).toBe('30ms #', undefined, new RequestTimeoutError('start_resending_encrypted_message', 30));
      flush();
      expect(summary(link)).toEqual(['start 1', 'cancel 1']);
      expect(link.sent[1]!.at).toBe(30);
    });
  });

  // Regression (issue 12, case 4): abandoned starts still queued at the daemon used to give their slot back at once.
  it('an abandoned start the cancel did not find keeps its FIFO place, and is cancelled again once it shows a sign of dispatch', () => {
    scheduler.run(({ flush }) => {
      const { link, session, engine } = connectedSession(scheduler, new ScriptedLink(scheduler, { respond: localDaemon }));
      const a = start(engine, 1).subscribe();
      start(engine, 2).subscribe();
      a.unsubscribe(); // cancel → 0 only: A may still wait in the daemon's queue
      scheduler.schedule(() => {
        expect(session.daemonQueueCount).toBe(2);
        expect(engine.pendingCount).toBe(2);
      }, 1);
      // B is answered: the daemon took A from its queue before B, so A runs now.
      scheduler.schedule(() => link.push(startReply(link.queryId(1))), 5);
      flush();
      expect(summary(link)).toEqual(['start 1', 'start 2', 'cancel 1', 'cancel 1']);
      expect(link.sent[3]!.at).toBe(5);
      // The second cancel found nothing either, but after dispatch: the ARQ is over.
      expect(engine.pendingCount).toBe(0);
      expect(session.daemonQueueCount).toBe(0);
    });
  });

  it('16 abandoned while the daemon is offline hold the FIFO: new starts wait in the client; back online, re-cancels free it', () => {
    scheduler.run(({ flush }) => {
      let dispatched = false;
      const startIds = new Map<number, Uint8Array>();
      const link = new ScriptedLink(scheduler, {
        online: false,
        respond: (request) => {
          if (request.type === 'start_resending_encrypted_message' && !startIds.has(hashOf(request))) startIds.set(hashOf(request), qid(request));
          if (request.type !== 'cancel_resending_encrypted_message') return [];
          // Offline: nothing left the queue, the cancel finds nothing. Online: it finds the ARQ.
          const found = dispatched ? [{ delay: 0, message: startReply(startIds.get(hashOf(request))!, 24) }] : [];
          return [...found, { delay: 0, message: cancelReply(request.queryId) }];
        },
      });
      const { session, engine } = sessionHarness(scheduler, [link]);
      session.connect().subscribe();
      const abandoned = Array.from({ length: 16 }, (_, i) => start(engine, i + 1).subscribe());
      for (const subscription of abandoned) subscription.unsubscribe();
      const later = Array.from({ length: 16 }, (_, i) => start(engine, 100 + i).subscribe());
      expect(session.daemonQueueCount).toBe(16);
      expect(engine.queuedMixnetCount).toBe(16);
      expect(link.types().filter((t) => t === 'start_resending_encrypted_message')).toHaveLength(16);
      scheduler.schedule(() => {
        dispatched = true;
        link.push(status(true));
      }, 100);
      flush();
      // At 1100 ms every abandoned start was cancelled again and found: the 16 later ones went out.
      const starts = link.sent.filter((s) => s.request.type === 'start_resending_encrypted_message');
      expect(starts.map((s) => hashOf(s.request))).toEqual([...Array.from({ length: 16 }, (_, i) => i + 1), ...Array.from({ length: 16 }, (_, i) => 100 + i)]);
      expect(starts.slice(16).every((s) => s.at === 1100)).toBe(true);
      expect(engine.pendingCount).toBe(16);
      later.forEach((s) => s.unsubscribe());
    });
  });

  it('a start whose envelope hash another unfinished start of ours holds waits for it (a cancel reaches only the newest ARQ of a hash)', () => {
    scheduler.run(({ flush }) => {
      const { link, engine } = connectedSession(scheduler);
      start(engine, 7).subscribe();
      start(engine, 7).subscribe();
      start(engine, 8).subscribe();
      expect(summary(link)).toEqual(['start 7', 'start 8']);
      scheduler.schedule(() => link.push(startReply(link.queryId(0))), 3);
      flush();
      expect(summary(link)).toEqual(['start 7', 'start 8', 'start 7']);
      expect(link.sent[2]!.at).toBe(3);
    });
  });

  it('the in-flight limit is separate from the FIFO: a dispatched, abandoned start frees its slot at once', () => {
    scheduler.run(({ flush }) => {
      const { link, engine } = connectedSession(scheduler, new ScriptedLink(scheduler, { respond: localDaemon }), { maxMixnetInFlight: 2 });
      const first = start(engine, 1).subscribe();
      start(engine, 2).subscribe();
      start(engine, 3).subscribe();
      start(engine, 4).subscribe();
      expect(summary(link)).toEqual(['start 1', 'start 2']);
      expect(engine.queuedMixnetCount).toBe(2);
      scheduler.schedule(() => first.unsubscribe(), 2); // in flight: its slot is free, its cancel goes out
      scheduler.schedule(() => link.push(startReply(link.queryId(1))), 4);
      flush();
      // At 4 B's answer shows that A (cancelled too early, found nothing) has left the daemon's queue: cancelled again.
      expect(summary(link)).toEqual(['start 1', 'start 2', 'cancel 1', 'start 3', 'cancel 1', 'start 4']);
      expect(link.sent.map((s) => s.at)).toEqual([0, 0, 2, 2, 4, 4]);
    });
  });
});
