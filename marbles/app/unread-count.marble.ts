/**
 * An application's own marble test, written only with the public
 * `katzenpost-rx/testing` kit: a ThinClient on a virtual daemon, the
 * daemon's answers scripted as marbles in the TestScheduler's virtual time.
 */
import { TestScheduler } from 'rxjs/testing';
import { ThinClient } from 'katzenpost-rx';
import { createVirtualDaemon, idx64, keypairFromSeed, startResendingReply } from 'katzenpost-rx/testing';
import { unreadCount$ } from '../../examples/unread-count/unread-count.js';

describe('unread count (an app-level flow, tested with katzenpost-rx/testing)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const channel = keypairFromSeed(new Uint8Array(32).fill(9));
  const first = idx64(channel.firstIndex);

  it('counts new messages as they are written and resets when the user reads them', () => {
    scheduler.run(({ cold, hot, expectObservable }) => {
      const daemon = createVirtualDaemon({ scheduler });
      // Box n is written at `writtenAt[n]` virtual ms; every read takes 100 ms.
      const writtenAt = [0, 1_500, 1_500, 5_000];
      daemon.script('start_resending_encrypted_message', (request) => {
        const box = Number(idx64(request.messageBoxIndex!) - first);
        const written = box < writtenAt.length && scheduler.now() >= writtenAt[box]!;
        const reply = written ? { plaintext: new TextEncoder().encode(`message ${box}`) } : { errorCode: 1 /* BoxIDNotFound */ };
        return cold('100ms (r|)', { r: startResendingReply(request, reply) });
      });
      const client = new ThinClient(daemon.config, daemon.clientOptions());
      void client.connect();

      const markRead$ = hot('3s r');
      // 0 at once; box 0 read by 100 ms → 1. Box 1 is not there at 100 ms: tail$ waits 1 s,
      // asks at 1.2 s (not yet), waits 2 s, asks at 3.3 s → 1 at 3.4 s (after the user's read at 3 s → 0);
      // box 2 at once → 2 at 3.5 s; box 3 misses at 3.5 and 4.6 s, found when asked at 6.7 s → 3 at 6.8 s.
      expectObservable(unreadCount$(client, channel.readCap, channel.firstIndex, markRead$), '^ 8s !').toBe(
        'a 99ms b 2899ms c 399ms d 99ms e 3299ms f',
        { a: 0, b: 1, c: 0, d: 1, e: 2, f: 3 },
      );
    });
  });

  it('shows 0 and asks nothing more of the mixnet while the daemon is offline', () => {
    scheduler.run(({ hot, expectObservable, flush }) => {
      const daemon = createVirtualDaemon({ scheduler, online: false });
      const client = new ThinClient(daemon.config, daemon.clientOptions());
      void client.connect();
      expectObservable(unreadCount$(client, channel.readCap, channel.firstIndex, hot('')), '^ 60s !').toBe('a', { a: 0 });
      flush();
      const reads = daemon.requests.filter((r) => r.request.type === 'start_resending_encrypted_message');
      expect(reads).toHaveLength(1); // one read waits at the offline daemon; no retry storm
    });
  });
});
