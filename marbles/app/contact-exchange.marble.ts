/**
 * The contact exchange as an application sees it, tested with the public
 * `katzenpost-rx/testing` kit: two ThinClients on one virtual daemon in the
 * TestScheduler's virtual time (every mixnet operation takes exactly 1 s;
 * the voucher requests are local and take none), the invite handed over
 * out of band, the answer found by bounded polling.
 */
import { ReplaySubject, concat, concatMap, delay, map, of, type Observable } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { ThinClient, type ExchangeOptions } from 'katzenpost-rx';
import { createVirtualDaemon, keypairFromSeed, type VirtualDaemon } from 'katzenpost-rx/testing';

/** Wait 1 s after an empty box 1, doubling up to 4 s. */
const POLL: ExchangeOptions = { initialDelayMs: 1_000, maxDelayMs: 4_000 };

describe('contact exchange (an app-level flow, tested with katzenpost-rx/testing)', () => {
  let scheduler: TestScheduler;
  beforeEach(() => {
    scheduler = new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
  });

  const aliceChannel = keypairFromSeed(new Uint8Array(32).fill(1));
  const bobChannel = keypairFromSeed(new Uint8Array(32).fill(2));

  function twoClients(): { daemon: VirtualDaemon; alice: ThinClient; bob: ThinClient } {
    const daemon = createVirtualDaemon({ scheduler, fixedLatencyMs: 1_000 });
    const alice = new ThinClient(daemon.config, daemon.clientOptions());
    const bob = new ThinClient(daemon.config, daemon.clientOptions());
    void alice.connect();
    void bob.connect();
    return { daemon, alice, bob };
  }

  /** Reads (box polls and box writes alike) the daemon was asked for, by virtual time. */
  const boxRequestTimes = (daemon: VirtualDaemon, from = 0): number[] =>
    daemon.requests.filter((r) => r.request.type === 'start_resending_encrypted_message' && r.at >= from).map((r) => r.at);

  it('Alice invites; Bob answers when he reads his mail 10 s later; Alice’s next poll of box 1 finds the answer', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { daemon, alice, bob } = twoClients();
      const mail = new ReplaySubject<string>(1); // out of band: a link, a QR code

      // Alice: box 0 written by 1 s → 'i'. Her polls of box 1: 1 s (empty at 2 s), 3 s (empty at 4 s),
      // 6 s (empty at 7 s), 11 s (empty at 12 s: Bob's write lands at 13 s), 16 s (found at 17 s);
      // then she opens it and tombstones box 0 (1 s) → contact at 18 s.
      const alice$: Observable<string> = alice.invite(aliceChannel.writeCap, 'Alice').pipe(
        concatMap(({ invite, pending }) => {
          mail.next(invite);
          return concat(of('invited'), alice.awaitAcceptance(pending, POLL).pipe(map((contact) => `contact ${contact.displayName}`)));
        }),
      );
      // Bob: reads box 0 at 11 s (1 s), verifies and seals locally, writes box 1 (1 s) → 13 s.
      const bob$ = mail.pipe(
        delay(10_000),
        concatMap((invite) => bob.acceptInvite(invite, { displayName: 'Bob', readCap: bobChannel.readCap }, POLL)),
        map((contact) => `contact ${contact.displayName}`),
      );

      expectObservable(alice$).toBe('1s i 16999ms (c|)', { i: 'invited', c: 'contact Bob' });
      expectObservable(bob$, '^ 20s !').toBe('13s a', { a: 'contact Alice' });
      flush();
      // Alice's polls: bounded by maxDelayMs, and none after she had the answer.
      expect(boxRequestTimes(daemon).filter((at) => at < 11_000)).toEqual([0, 1_000, 3_000, 6_000]);
      expect(boxRequestTimes(daemon, 14_000)).toEqual([16_000, 17_000]); // the poll that found it, the tombstone of box 0
    });
  });

  it('unsubscribing from the wait stops the polling: box 1 is not asked for again', () => {
    scheduler.run(({ expectObservable, flush }) => {
      const { daemon, alice } = twoClients();
      const waiting$ = alice.invite(aliceChannel.writeCap, 'Alice').pipe(concatMap(({ pending }) => alice.awaitAcceptance(pending, POLL)));
      expectObservable(waiting$, '^ 8s !').toBe('');
      flush();
      expect(boxRequestTimes(daemon)).toEqual([0, 1_000, 3_000, 6_000]); // box 0, then the polls until 8 s; nothing after
      expect(alice.pendingRequestCount).toBe(0);
    });
  });
});
