import { NEVER, Observable, Subject, distinctUntilChanged, map, merge, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ConnectionController, type ConnectionControllerOptions, type DisconnectInfo, type ReadyInfo } from '../src/core/connection-controller.js';
import { silentLogger } from '../src/core/logger.js';
import { exponentialBackoff, noReconnect, type ReconnectPolicy } from '../src/core/reconnect-policy.js';
import type { Link, LinkMessage } from '../src/core/link.js';
import { HandshakeError, ProtocolError, TransportError } from '../src/errors/local-errors.js';
import { encodeRequest } from '../src/wire/codec.js';
import { bytes, pkiEvent, status, tokenReply } from './support/daemon-messages.js';
import { FakeLink } from './support/fake-link.js';

function setup(
  scheduler: TestScheduler,
  links: Array<Link | Error>,
  reconnect: ReconnectPolicy = noReconnect,
  handshakeTimeoutMs = 60_000,
  extra: Pick<ConnectionControllerOptions, 'previousLinkClosed' | 'closeWaitMs'> = {},
) {
  const seen: string[] = [];
  const ready: Array<ReadyInfo & { at: number }> = [];
  const lost: Array<DisconnectInfo & { at: number }> = [];
  const stopped: Array<{ error: Error; everReady: boolean; at: number }> = [];
  const dials: number[] = [];
  const controller = new ConnectionController({
    dial: () => {
      dials.push(scheduler.now());
      const next = links.shift();
      if (!next) return NEVER as Observable<Link>;
      return next instanceof Error ? throwError(() => next) : of(next);
    },
    clientInstanceToken: bytes(16, 7),
    scheduler,
    handshakeTimeoutMs,
    reconnect,
    random: () => 0.5,
    logger: silentLogger,
    onMessage: (m) => seen.push(m.type),
    onReady: (info) => ready.push({ ...info, at: scheduler.now() }),
    onDisconnected: (info) => lost.push({ ...info, at: scheduler.now() }),
    onStopped: (error, info) => stopped.push({ error, everReady: info.everReady, at: scheduler.now() }),
    ...extra,
  });
  return { controller, seen, ready, lost, stopped, dials };
}

describe('ConnectionController handshake (PROTOCOL.md §3.1)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  it('sends session_token after the greeting pair and is ready at session_token_reply', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const link = new FakeLink(hot('-s-p---r', { s: status(), p: pkiEvent(), r: tokenReply() }), () => scheduler.now());
      const { controller, ready } = setup(scheduler, [link]);
      controller.start();
      expectObservable(controller.state$.pipe(map((s) => s.daemon), distinctUntilChanged())).toBe('a------c', { a: 'handshaking', c: 'connected' });
      flush();
      expect(link.sentTypes()).toEqual(['session_token']);
      expect(link.sentAt).toEqual([3]);
      expect(link.sent[0]).toEqual({ type: 'session_token', clientInstanceToken: bytes(16, 7) });
      expect(ready).toEqual([{ resumed: false, instanceChanged: false, reconnected: false, at: 7 }]);
      expect(controller.state.daemon).toBe('connected');
      expect(controller.state.instanceToken).toEqual(bytes(16, 1));
    });
  });

  it('passes on every message that arrives before session_token_reply, in order (resumed sessions flush replies first)', () => {
    scheduler.run(({ hot, flush }) => {
      const queued = { type: 'message_reply_event', messageId: null, surbId: bytes(16, 3), payload: bytes(4), replyIndex: 0, errorCode: 0 } as const;
      const link = new FakeLink(
        hot('-s-p-q-x-r', { s: status(), p: pkiEvent(), q: queued, x: status(false), r: tokenReply(true) }),
        () => scheduler.now(),
      );
      const { controller, seen, ready } = setup(scheduler, [link]);
      controller.start();
      flush();
      expect(seen).toEqual([
        'connection_status_event',
        'new_pki_document_event',
        'message_reply_event',
        'connection_status_event',
        'session_token_reply',
      ]);
      expect(ready[0]?.resumed).toBe(true);
      expect(controller.state.mixnet).toBe(false);
    });
  });

  it('writes requests only while ready (the session holds them otherwise)', () => {
    scheduler.run(({ hot, flush }) => {
      const link = new FakeLink(hot('-s-p---r', { s: status(), p: pkiEvent(), r: tokenReply() }), () => scheduler.now());
      const { controller } = setup(scheduler, [link]);
      const request = encodeRequest({ type: 'new_keypair', queryId: bytes(16, 1), seed: bytes(32) });
      controller.start();
      scheduler.schedule(() => expect(controller.write(request)).toBe(false), 5);
      scheduler.schedule(() => expect(controller.write(request)).toBe(true), 8);
      flush();
      expect(link.sentTypes()).toEqual(['session_token', 'new_keypair']);
      expect(link.sentAt).toEqual([3, 8]);
    });
  });

  it('calling start() again does nothing: one dial, one handshake', () => {
    scheduler.run(({ hot, flush }) => {
      const link = new FakeLink(hot('-s-p-r', { s: status(), p: pkiEvent(), r: tokenReply() }), () => scheduler.now());
      const { controller, dials, ready } = setup(scheduler, [link]);
      controller.start();
      scheduler.schedule(() => controller.start(), 2);
      scheduler.schedule(() => controller.start(), 9);
      flush();
      expect(dials).toEqual([0]);
      expect(ready).toHaveLength(1);
    });
  });

  it('fails the first connect with a HandshakeError when no session_token_reply comes in time', () => {
    scheduler.run(({ hot, flush }) => {
      const link = new FakeLink(hot('-s-p', { s: status(), p: pkiEvent() }), () => scheduler.now());
      const { controller, stopped } = setup(scheduler, [link], exponentialBackoff(), 100);
      controller.start();
      flush();
      expect(stopped).toEqual([{ error: new HandshakeError('no session_token_reply within 100 ms'), everReady: false, at: 100 }]);
      expect(link.closed).toBe(true);
      expect(controller.state.daemon).toBe('closed');
    });
  });

  it('refuses a daemon whose greeting carries no geometry', () => {
    scheduler.run(({ hot }) => {
      const bad = { ...status(), pigeonholeGeometry: null };
      const link = new FakeLink(hot('-s', { s: bad }), () => scheduler.now());
      const { controller, stopped } = setup(scheduler, [link]);
      controller.start();
      expect(stopped).toEqual([]);
      scheduler.flush();
      expect(stopped).toEqual([{ error: new HandshakeError('incompatible daemon: connection_status_event without geometry'), everReady: false, at: 1 }]);
    });
  });

  it('fails the first connect with the dial error', () => {
    scheduler.run(() => {
      const { controller, stopped, dials } = setup(scheduler, [new TransportError('connect ECONNREFUSED 127.0.0.1:1')], exponentialBackoff());
      controller.start();
      scheduler.flush();
      // The first connection is not retried: its error goes to connect()'s caller.
      expect(stopped).toEqual([{ error: new TransportError('connect ECONNREFUSED 127.0.0.1:1'), everReady: false, at: 0 }]);
      expect(dials).toEqual([0]);
    });
  });

  it('sends thin_close on close() and nothing more afterwards', () => {
    scheduler.run(({ hot, flush }) => {
      const link = new FakeLink(hot('-s-p-r', { s: status(), p: pkiEvent(), r: tokenReply() }), () => scheduler.now());
      const { controller } = setup(scheduler, [link]);
      controller.start();
      flush();
      controller.close(true);
      expect(controller.write(encodeRequest({ type: 'get_directory_authorities', queryId: bytes(16) }))).toBe(false);
      expect(link.sentTypes()).toEqual(['session_token', 'thin_close']);
      expect(link.closed).toBe(true);
      expect(controller.state.daemon).toBe('closed');
    });
  });

  it('closes without thin_close on disconnect (the daemon keeps the session)', () => {
    scheduler.run(({ hot, flush }) => {
      const link = new FakeLink(hot('-s-p-r', { s: status(), p: pkiEvent(), r: tokenReply() }), () => scheduler.now());
      const { controller } = setup(scheduler, [link]);
      controller.start();
      flush();
      controller.close(false);
      expect(link.sentTypes()).toEqual(['session_token']);
      expect(link.closed).toBe(true);
    });
  });
});

describe('ConnectionController reconnect (PROTOCOL.md §9)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const greeting = (token: number, resumed: boolean) => ({ s: status(true, token), p: pkiEvent(), r: tokenReply(resumed) });

  it('redials with exponential backoff (1 s, 2 s, 4 s …) and resumes', () => {
    scheduler.run(({ cold, flush }) => {
      const first = new FakeLink(cold('sp-r-----#', greeting(1, false), new TransportError('reset')), () => scheduler.now());
      const second = new FakeLink(cold('spr', greeting(1, true)), () => scheduler.now());
      const links: Array<Link | Error> = [first, new TransportError('refused'), new TransportError('refused'), second];
      const policy = exponentialBackoff({ initialMs: 1000, maxMs: 60_000, jitter: 0 });
      const { controller, dials, ready, lost } = setup(scheduler, links, policy);
      controller.start();
      flush();
      // lost at 9; attempts at 9+1000, then +2000, then +4000
      expect(dials).toEqual([0, 1009, 3009, 7009]);
      expect(lost).toEqual([{ graceful: false, error: new TransportError('reset'), willReconnect: true, at: 9 }]);
      expect(ready.map((r) => [r.at, r.reconnected, r.resumed, r.instanceChanged])).toEqual([
        [3, false, false, false],
        [7011, true, true, false],
      ]);
      expect(controller.state).toMatchObject({ daemon: 'connected', reconnectAttempt: 0, mixnet: true });
    });
  });

  it('reports a daemon restart (new instance token) and a graceful shutdown', () => {
    scheduler.run(({ cold, flush }) => {
      const shutdown = { type: 'shutdown_event' } as const;
      const first = new FakeLink(cold('spr--x|', { ...greeting(1, false), x: shutdown }), () => scheduler.now());
      const second = new FakeLink(cold('spr', greeting(2, false)), () => scheduler.now());
      const { controller, ready, lost } = setup(scheduler, [first, second], exponentialBackoff({ jitter: 0 }));
      controller.start();
      flush();
      expect(lost[0]).toMatchObject({ graceful: true, error: null, willReconnect: true, at: 6 });
      expect(ready[1]).toMatchObject({ reconnected: true, resumed: false, instanceChanged: true, at: 1008 });
    });
  });

  it('shows the state UIs bind to while reconnecting', () => {
    scheduler.run(({ cold, flush }) => {
      const first = new FakeLink(cold('spr-#', greeting(1, false), new TransportError('reset')), () => scheduler.now());
      const { controller } = setup(scheduler, [first], exponentialBackoff({ jitter: 0 }));
      const states: string[] = [];
      controller.state$.subscribe((s) => states.push(`${s.daemon}/${s.mixnet}/${s.reconnectAttempt}`));
      controller.start();
      flush();
      expect(states).toEqual([
        'idle/false/0',
        'connecting/false/0',
        'handshaking/false/0',
        'handshaking/true/0',
        'connected/true/0',
        'reconnecting/false/1',
      ]);
    });
  });

  // Regression (issue 12, case 2): a give-up after failed re-dials used to close silently.
  it('gives up when the policy says so, closes, and reports it even when the last attempt never reached ready', () => {
    scheduler.run(({ cold, flush }) => {
      const first = new FakeLink(cold('spr-#', greeting(1, false), new TransportError('reset')), () => scheduler.now());
      const policy = exponentialBackoff({ jitter: 0, maxAttempts: 2 });
      const { controller, lost, stopped } = setup(scheduler, [first, new TransportError('no'), new TransportError('no')], policy);
      controller.start();
      flush();
      expect(lost).toEqual([{ graceful: false, error: new TransportError('reset'), willReconnect: true, at: 4 }]);
      expect(stopped).toEqual([{ error: new TransportError('no'), everReady: true, at: 3004 }]);
      expect(controller.state.daemon).toBe('closed');
      expect(controller.state.lastError).toEqual(new TransportError('no'));
    });
  });
});

/** The daemon's greeting pair and its session_token_reply, for `cold('spr', …)`. */
const greeting = (resumed: boolean) => ({ s: status(true, 1), p: pkiEvent(), r: tokenReply(resumed) });

/** At `at`: a new controller (the next connect()) after `previous`, to a daemon that resumes the session. */
function connectAgainAt(scheduler: TestScheduler, at: number, previous: () => ConnectionController, cold: TestScheduler['createColdObservable']) {
  const next: { env?: ReturnType<typeof setup> } = {};
  scheduler.schedule(() => {
    next.env = setup(scheduler, [new FakeLink(cold('spr', greeting(true)), () => scheduler.now())], noReconnect, 60_000, { previousLinkClosed: previous().whenLinkClosed });
    next.env.controller.start();
  }, at);
  return next;
}

// kpclientd v0.0.99 unregisters a connection by AppID when its worker ends —
// seconds after our close while it encrypts — and would take a session
// resumed meanwhile on a new connection with it. So the next dial waits for
// the daemon's side of the old link's close (Link.whenClosed), bounded.
describe('ConnectionController: the next dial waits for the old link to close at both ends', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const noJitter = exponentialBackoff({ initialMs: 1000, jitter: 0 });
  // A daemon busy encrypting: it closes its side only when the test says so.
  const busyLink = (script: Observable<LinkMessage>) => new FakeLink(script as never, () => scheduler.now(), false);

  it('reconnects after a loss only once the daemon closed the old link, even when the backoff ended earlier', () => {
    scheduler.run(({ cold, flush }) => {
      const first = busyLink(cold('spr-#', greeting(false), new ProtocolError('bad frame')));
      const second = new FakeLink(cold('spr', greeting(true)), () => scheduler.now());
      const { controller, dials, ready } = setup(scheduler, [first, second], noJitter);
      controller.start();
      scheduler.schedule(() => first.peerClosed(), 2500);
      flush();
      expect(first.closed).toBe(true);
      // Lost at 4, backoff over at 1004, the daemon's close at 2500.
      expect(dials).toEqual([0, 2500]);
      expect(ready.map((r) => [r.at, r.resumed])).toEqual([
        [2, false],
        [2502, true],
      ]);
    });
  });

  it('does not add to the backoff when the old link closed before it ended', () => {
    scheduler.run(({ cold, flush }) => {
      const first = busyLink(cold('spr-#', greeting(false), new ProtocolError('bad frame')));
      const second = new FakeLink(cold('spr', greeting(true)), () => scheduler.now());
      const { controller, dials } = setup(scheduler, [first, second], noJitter);
      controller.start();
      scheduler.schedule(() => first.peerClosed(), 10);
      flush();
      expect(dials).toEqual([0, 1004]);
    });
  });

  it('dials anyway after the close bound, counted from the close, when the daemon never closes its side', () => {
    scheduler.run(({ cold, flush }) => {
      const first = busyLink(cold('spr-#', greeting(false), new ProtocolError('bad frame')));
      const second = new FakeLink(cold('spr', greeting(true)), () => scheduler.now());
      const { controller, dials, ready } = setup(scheduler, [first, second], noJitter, 60_000, { closeWaitMs: 30_000 });
      controller.start();
      flush();
      expect(dials).toEqual([0, 30_004]);
      expect(ready.map((r) => r.at)).toEqual([2, 30_006]);
    });
  });

  it('makes the next controller (connect() after disconnect()) wait for the link the previous one closed', () => {
    scheduler.run(({ cold, flush }) => {
      const first = busyLink(cold('spr', greeting(false)));
      const old = setup(scheduler, [first]);
      old.controller.start();
      scheduler.schedule(() => old.controller.close(false), 5);
      const next = connectAgainAt(scheduler, 6, () => old.controller, cold);
      scheduler.schedule(() => first.peerClosed(), 3000);
      flush();
      expect(first.sentTypes()).toEqual(['session_token']); // no thin_close: the session is kept
      expect(next.env!.dials).toEqual([3000]);
      expect(next.env!.controller.state.daemon).toBe('connected');
      expect(next.env!.ready.map((r) => [r.at, r.resumed])).toEqual([[3002, true]]);
    });
  });

  it('counts the bound from the old close, however late the next connect() comes', () => {
    scheduler.run(({ cold, flush }) => {
      const first = busyLink(cold('spr', greeting(false)));
      // The bound is the one of the controller that closed the link.
      const old = setup(scheduler, [first], noReconnect, 60_000, { closeWaitMs: 10_000 });
      old.controller.start();
      scheduler.schedule(() => old.controller.close(false), 5);
      const next = connectAgainAt(scheduler, 8000, () => old.controller, cold);
      flush();
      expect(next.env!.dials).toEqual([10_005]);
    });
  });

  it('close() while waiting for the old link: no dial, and a later controller still waits for that same link', () => {
    scheduler.run(({ cold, flush }) => {
      const first = busyLink(cold('spr', greeting(false)));
      const old = setup(scheduler, [first]);
      old.controller.start();
      scheduler.schedule(() => old.controller.close(false), 5);
      const waiting = connectAgainAt(scheduler, 6, () => old.controller, cold);
      scheduler.schedule(() => waiting.env!.controller.close(true), 100);
      const last = connectAgainAt(scheduler, 200, () => waiting.env!.controller, cold);
      scheduler.schedule(() => first.peerClosed(), 4000);
      flush();
      expect(waiting.env!.dials).toEqual([]);
      expect(waiting.env!.controller.state.daemon).toBe('closed');
      expect(waiting.env!.stopped).toEqual([]); // close() is not a stop
      expect(last.env!.dials).toEqual([4000]);
      expect(last.env!.ready.map((r) => r.at)).toEqual([4002]);
    });
  });

  it('a give-up after the wait reports the failed re-dial, not the wait', () => {
    scheduler.run(({ cold, flush }) => {
      const first = busyLink(cold('spr-#', greeting(false), new ProtocolError('bad frame')));
      const policy = exponentialBackoff({ initialMs: 1000, jitter: 0, maxAttempts: 1 });
      const { controller, dials, stopped } = setup(scheduler, [first, new TransportError('refused')], policy);
      controller.start();
      scheduler.schedule(() => first.peerClosed(), 5000);
      flush();
      expect(dials).toEqual([0, 5000]);
      expect(stopped).toEqual([{ error: new TransportError('refused'), everReady: true, at: 5000 }]);
    });
  });
});

// Over WebSocket kpclientd answers our close frame at once, while its worker
// may still encrypt (and unregister our AppID when done): Link.whenClosed
// proves nothing there. Before closing such a link on purpose, the
// controller sends a request the worker answers in order and closes only
// once it is answered (or the link ends, or the close bound passes).
describe('ConnectionController: a barrier before closing a link whose close is not ordered', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  /** A WebSocket-like link after the handshake; `incoming` delivers later messages. */
  const wsLink = (cold: TestScheduler['createColdObservable'], resumed = false) => {
    const incoming = new Subject<LinkMessage>();
    const link = new FakeLink(merge(cold('spr', greeting(resumed)), incoming) as never, () => scheduler.now());
    link.closeNeedsBarrier = true;
    return { link, incoming };
  };
  const barrierOf = (link: FakeLink) => {
    const request = link.sent.find((r) => r.type === 'get_directory_authorities');
    if (request?.type !== 'get_directory_authorities' || !request.queryId) throw new Error('no barrier was sent');
    return { queryId: request.queryId };
  };
  const answer = (queryId: Uint8Array): LinkMessage => ({ type: 'get_directory_authorities_reply', queryId, authorities: [], errorCode: 0 });
  /** A client on a WebSocket-like link that calls disconnect() at 5 and connect() again at 6. */
  const disconnectedAt5 = (cold: TestScheduler['createColdObservable'], extra: Pick<ConnectionControllerOptions, 'closeWaitMs'> = {}) => {
    const { link, incoming } = wsLink(cold);
    const old = setup(scheduler, [link], noReconnect, 60_000, extra);
    old.controller.start();
    scheduler.schedule(() => old.controller.close(false), 5);
    const next = connectAgainAt(scheduler, 6, () => old.controller, cold);
    return { link, incoming, old, next };
  };

  it('disconnect: sends the barrier, closes only at its answer, and the next connect() dials then', () => {
    scheduler.run(({ cold, flush }) => {
      const { link, incoming, old, next } = disconnectedAt5(cold);
      // A late reply of the closing link is discarded, like everything a closing link receives…
      scheduler.schedule(() => incoming.next(tokenReply(false)), 1000);
      // …an answer to another query does not release it…
      scheduler.schedule(() => incoming.next(answer(bytes(16, 3))), 2000);
      scheduler.schedule(() => incoming.next(answer(barrierOf(link).queryId)), 3000);
      flush();
      expect(link.sentTypes()).toEqual(['session_token', 'get_directory_authorities']);
      expect(link.sentAt[1]).toBe(5);
      expect(link.closed).toBe(true);
      expect(old.seen).toEqual(['connection_status_event', 'new_pki_document_event', 'session_token_reply']);
      expect(next.env!.dials).toEqual([3000]);
      expect(next.env!.ready.map((r) => [r.at, r.resumed])).toEqual([[3002, true]]);
    });
  });

  it('is not closed before the answer', () => {
    scheduler.run(({ cold, flush }) => {
      const { link, incoming } = disconnectedAt5(cold);
      const closedAt: Record<number, boolean> = {};
      scheduler.schedule(() => incoming.next(answer(barrierOf(link).queryId)), 3000);
      for (const t of [6, 2999, 3001]) scheduler.schedule(() => (closedAt[t] = link.closed), t);
      flush();
      expect(closedAt).toEqual({ 6: false, 2999: false, 3001: true });
    });
  });

  it('closes at the close bound when the barrier is never answered', () => {
    scheduler.run(({ cold, flush }) => {
      const { link, next } = disconnectedAt5(cold, { closeWaitMs: 10_000 });
      flush();
      expect(link.closed).toBe(true);
      expect(next.env!.dials).toEqual([10_005]);
    });
  });

  it('closes at once when the link ends while waiting for the answer', () => {
    scheduler.run(({ cold, flush }) => {
      const { link, incoming, old, next } = disconnectedAt5(cold);
      scheduler.schedule(() => incoming.error(new TransportError('reset')), 700);
      flush();
      expect(link.closed).toBe(true);
      expect(next.env!.dials).toEqual([700]);
      expect(old.stopped).toEqual([]);
    });
  });

  it('close(): thin_close ends the session, so no barrier', () => {
    scheduler.run(({ cold, flush }) => {
      const { link } = wsLink(cold);
      const { controller } = setup(scheduler, [link]);
      controller.start();
      scheduler.schedule(() => controller.close(true), 5);
      flush();
      expect(link.sentTypes()).toEqual(['session_token', 'thin_close']);
      expect(link.closed).toBe(true);
    });
  });

  it('no barrier before the session token was sent (nothing of ours to resume on that connection)', () => {
    scheduler.run(({ cold, flush }) => {
      const incoming = new Subject<LinkMessage>();
      const link = new FakeLink(merge(cold('s', { s: status(true, 1) }), incoming) as never, () => scheduler.now());
      link.closeNeedsBarrier = true;
      const { controller } = setup(scheduler, [link]);
      controller.start();
      scheduler.schedule(() => controller.close(false), 5);
      flush();
      expect(link.sentTypes()).toEqual([]);
      expect(link.closed).toBe(true);
    });
  });

  it('a TCP link (ordered close) gets no barrier', () => {
    scheduler.run(({ cold, flush }) => {
      const link = new FakeLink(cold('spr', greeting(false)), () => scheduler.now());
      const { controller } = setup(scheduler, [link]);
      controller.start();
      scheduler.schedule(() => controller.close(false), 5);
      flush();
      expect(link.sentTypes()).toEqual(['session_token']);
      expect(link.closed).toBe(true);
    });
  });
});
