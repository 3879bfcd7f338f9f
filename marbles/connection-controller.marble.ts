import { NEVER, Observable, of, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ConnectionController, type DisconnectInfo, type ReadyInfo } from '../src/core/connection-controller.js';
import { silentLogger } from '../src/core/logger.js';
import { exponentialBackoff, noReconnect, type ReconnectPolicy } from '../src/core/reconnect-policy.js';
import type { Link } from '../src/core/link.js';
import { HandshakeError, TransportError } from '../src/errors/local-errors.js';
import { encodeRequest } from '../src/wire/codec.js';
import { bytes, pkiEvent, status, tokenReply } from './support/daemon-messages.js';
import { FakeLink } from './support/fake-link.js';

function setup(
  scheduler: TestScheduler,
  links: Array<Link | Error>,
  reconnect: ReconnectPolicy = noReconnect,
  handshakeTimeoutMs = 60_000,
) {
  const seen: string[] = [];
  const ready: Array<ReadyInfo & { at: number }> = [];
  const lost: Array<DisconnectInfo & { at: number }> = [];
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
  });
  return { controller, seen, ready, lost, dials };
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
      expectObservable(controller.connect()).toBe('-------(c|)', { c: undefined });
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
      controller.connect().subscribe();
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

  it('holds requests made before the handshake and sends them, in order, right after it', () => {
    scheduler.run(({ hot, flush }) => {
      const link = new FakeLink(hot('-s-p---r', { s: status(), p: pkiEvent(), r: tokenReply() }), () => scheduler.now());
      const { controller } = setup(scheduler, [link]);
      const a = encodeRequest({ type: 'new_keypair', queryId: bytes(16, 1), seed: bytes(32) });
      const b = encodeRequest({ type: 'get_directory_authorities', queryId: bytes(16, 2) });
      controller.send(a);
      controller.send(b);
      expect(controller.isQueued(a)).toBe(true);
      controller.connect().subscribe();
      flush();
      expect(link.sentTypes()).toEqual(['session_token', 'new_keypair', 'get_directory_authorities']);
      expect(link.sentAt).toEqual([3, 7, 7]);
    });
  });

  it('never lets a withdrawn request reach the daemon', () => {
    scheduler.run(({ hot, flush }) => {
      const link = new FakeLink(hot('-s-p---r', { s: status(), p: pkiEvent(), r: tokenReply() }), () => scheduler.now());
      const { controller } = setup(scheduler, [link]);
      const a = encodeRequest({ type: 'new_keypair', queryId: bytes(16, 1), seed: bytes(32) });
      controller.send(a);
      expect(controller.withdraw(a)).toBe(true);
      controller.connect().subscribe();
      flush();
      expect(link.sentTypes()).toEqual(['session_token']);
    });
  });

  it('fails the first connect with a HandshakeError when no session_token_reply comes in time', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const link = new FakeLink(hot('-s-p', { s: status(), p: pkiEvent() }), () => scheduler.now());
      const { controller } = setup(scheduler, [link], noReconnect, 100);
      expectObservable(controller.connect()).toBe('100ms #', undefined, new HandshakeError('no session_token_reply within 100 ms'));
      flush();
      expect(link.closed).toBe(true);
      expect(controller.state.daemon).toBe('closed');
    });
  });

  it('refuses a daemon whose greeting carries no geometry', () => {
    scheduler.run(({ hot, expectObservable }) => {
      const bad = { ...status(), pigeonholeGeometry: null };
      const link = new FakeLink(hot('-s', { s: bad }), () => scheduler.now());
      const { controller } = setup(scheduler, [link]);
      expectObservable(controller.connect()).toBe('-#', undefined, new HandshakeError('incompatible daemon: connection_status_event without geometry'));
    });
  });

  it('fails the first connect with the dial error', () => {
    scheduler.run(({ expectObservable }) => {
      const { controller } = setup(scheduler, [new TransportError('connect ECONNREFUSED 127.0.0.1:1')]);
      expectObservable(controller.connect()).toBe('#', undefined, new TransportError('connect ECONNREFUSED 127.0.0.1:1'));
    });
  });

  it('sends thin_close on close() and nothing more afterwards', () => {
    scheduler.run(({ hot, flush }) => {
      const link = new FakeLink(hot('-s-p-r', { s: status(), p: pkiEvent(), r: tokenReply() }), () => scheduler.now());
      const { controller } = setup(scheduler, [link]);
      controller.connect().subscribe();
      flush();
      controller.close(true);
      expect(controller.send(encodeRequest({ type: 'get_directory_authorities', queryId: bytes(16) }))).toBe(false);
      expect(link.sentTypes()).toEqual(['session_token', 'thin_close']);
      expect(link.closed).toBe(true);
      expect(controller.state.daemon).toBe('closed');
    });
  });

  it('closes without thin_close on disconnect (the daemon keeps the session)', () => {
    scheduler.run(({ hot, flush }) => {
      const link = new FakeLink(hot('-s-p-r', { s: status(), p: pkiEvent(), r: tokenReply() }), () => scheduler.now());
      const { controller } = setup(scheduler, [link]);
      controller.connect().subscribe();
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
      controller.connect().subscribe();
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
      controller.connect().subscribe();
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
      controller.connect().subscribe();
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

  it('gives up when the policy says so, and closes', () => {
    scheduler.run(({ cold, flush }) => {
      const first = new FakeLink(cold('spr-#', greeting(1, false), new TransportError('reset')), () => scheduler.now());
      const policy = exponentialBackoff({ jitter: 0, maxAttempts: 2 });
      const { controller, lost } = setup(scheduler, [first, new TransportError('no'), new TransportError('no')], policy);
      controller.connect().subscribe();
      flush();
      expect(lost).toEqual([{ graceful: false, error: new TransportError('reset'), willReconnect: true, at: 4 }]);
      expect(controller.state.daemon).toBe('closed');
      expect(controller.state.lastError).toEqual(new TransportError('no'));
    });
  });
});
