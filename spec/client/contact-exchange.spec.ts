/**
 * The contact exchange through the public API, two clients on one
 * simulator: the two calls, chatting afterwards over the exchanged
 * channels, a persisted invite resumed by a new client, single use,
 * withdrawal, and the typed errors a forged or damaged exchange gives —
 * 28 and 29 for a tampered introduction, 30 for the wrong key.
 */
import { filter, firstValueFrom, take, toArray } from 'rxjs';
import {
  ContactCardFormatError,
  INVITE_PREFIX,
  InvalidArgumentError,
  InviteClosedError,
  RequestTimeoutError,
  SecretBytes,
  ThinClient,
  VoucherHashMismatchError,
  VoucherSealOpenFailedError,
  VoucherSignatureInvalidError,
  blake2b256,
  decodePendingInvite,
  encodeInvite,
  encodePendingInvite,
  parseInvite,
  type ExchangeOptions,
  type KeypairResult,
} from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { connectClient, seedOf, startHowtoSim, text, utf8 } from '../howto/support/howto-env.js';

/** Polls every few ms: the simulator runs a thousand times faster than the mixnet. */
const FAST: ExchangeOptions = { initialDelayMs: 2, maxDelayMs: 20 };

let sim: SimulatorHandle;
let alice: ThinClient;
let bob: ThinClient;

beforeEach(async () => {
  sim = await startHowtoSim(expect.getState().currentTestName ?? 'contacts');
  alice = await connectClient(sim);
  bob = await connectClient(sim);
});
afterEach(async () => {
  await alice?.close();
  await bob?.close();
  await sim?.close();
});

const channel = (client: ThinClient, label: string): Promise<KeypairResult> => firstValueFrom(client.newKeypair(seedOf(label)));

describe('contact exchange in two calls', () => {
  it('Alice invites, Bob accepts, and they chat over the exchanged channels', async () => {
    const aliceChannel = await channel(alice, 'alice→bob');
    const bobChannel = await channel(bob, 'bob→alice');

    const invitation = await firstValueFrom(alice.invite(aliceChannel.writeCap, 'Alice'));
    expect(invitation.invite).toMatch(/^kprxinvite1:[A-Za-z0-9_-]{48}$/);
    expect(invitation.invite.startsWith(INVITE_PREFIX)).toBe(true);
    // Nothing that prints shows the invite or a secret.
    const printed = JSON.stringify(invitation);
    expect(printed).not.toContain(invitation.invite.slice(INVITE_PREFIX.length, INVITE_PREFIX.length + 20));
    expect(printed).toContain('[redacted');

    const [aliceSeenByBob, bobSeenByAlice] = await Promise.all([
      firstValueFrom(bob.acceptInvite(invitation.invite, { displayName: 'Bob', readCap: bobChannel.readCap }, FAST)),
      firstValueFrom(alice.awaitAcceptance(invitation.pending, FAST)),
    ]);
    expect(aliceSeenByBob.displayName).toBe('Alice');
    expect(bobSeenByAlice.displayName).toBe('Bob');
    expect(bobSeenByAlice.readCap).toEqual(bobChannel.readCap);
    expect(bobSeenByAlice.readIndex).toEqual(bobChannel.firstMessageIndex);
    // The exchange moved Alice's channel to a fresh sequence: same root key, another index.
    expect(bobSeenByAlice.writeCap.exposeBytes().subarray(0, 64)).toEqual(aliceChannel.writeCap.exposeBytes().subarray(0, 64));
    expect(bobSeenByAlice.writeIndex).not.toEqual(aliceChannel.firstMessageIndex);
    expect(aliceSeenByBob.readCap.subarray(32)).toEqual(bobSeenByAlice.writeIndex);

    // Alice writes with the cap the exchange gave her; Bob reads her with what he got.
    await firstValueFrom(alice.write(bobSeenByAlice.writeCap, bobSeenByAlice.writeIndex, utf8('hi Bob')));
    expect(text(await firstValueFrom(bob.read(aliceSeenByBob.readCap, aliceSeenByBob.readIndex)))).toBe('hi Bob');
    // Bob writes on his own channel; Alice reads it from his card.
    await firstValueFrom(bob.write(bobChannel.writeCap, bobChannel.firstMessageIndex, utf8('hi Alice')));
    expect(text(await firstValueFrom(alice.read(bobSeenByAlice.readCap, bobSeenByAlice.readIndex)))).toBe('hi Alice');
    // Alice's old index with her new cap would still address the old boxes: nothing there.
    await expect(firstValueFrom(bob.read(aliceSeenByBob.readCap, aliceChannel.firstMessageIndex, { noRetry: true }))).rejects.toThrow();
  });

  it('the pending invite survives a restart: a new client resumes the wait from the persisted blob', async () => {
    const aliceChannel = await channel(alice, 'alice-resume');
    const invitation = await firstValueFrom(alice.invite(aliceChannel.writeCap, 'Alice'));
    const saved = encodePendingInvite(invitation.pending).exposeBytes();
    expect(String(encodePendingInvite(invitation.pending))).toMatch(/^\[redacted \d+ bytes\]$/);
    await alice.close();

    const bobChannel = await channel(bob, 'bob-resume');
    const aliceAgain = await connectClient(sim);
    try {
      await firstValueFrom(bob.acceptInvite(invitation.invite, { displayName: 'Bob', readCap: bobChannel.readCap }, FAST));
      const pending = decodePendingInvite(saved);
      expect(pending.displayName).toBe('Alice');
      const contact = await firstValueFrom(aliceAgain.awaitAcceptance(pending, FAST));
      expect(contact.displayName).toBe('Bob');
      // Asked again (a crash before the app kept the contact): the same contact, from the same answer.
      const again = await firstValueFrom(aliceAgain.awaitAcceptance(pending, FAST));
      expect(again.writeCap.equals(contact.writeCap)).toBe(true);
      expect(again.readCap).toEqual(contact.readCap);
    } finally {
      await aliceAgain.close();
    }
  });

  it('an invite is answered once: after the exchange, and while an answer waits in box 1, others get InviteClosedError', async () => {
    const carol = await connectClient(sim);
    try {
      const invitation = await firstValueFrom(alice.invite((await channel(alice, 'once')).writeCap, 'Alice'));
      const card = (label: string, name: string) => channel(bob, label).then((c) => ({ displayName: name, readCap: c.readCap }));
      await firstValueFrom(bob.acceptInvite(invitation.invite, await card('bob-once', 'Bob'), FAST));
      // Box 1 holds Bob's answer: Carol's own answer is refused.
      const early = await firstValueFrom(carol.acceptInvite(invitation.invite, await card('carol-once', 'Carol'), FAST)).catch((e: unknown) => e);
      expect(early).toBeInstanceOf(InviteClosedError);
      expect((await firstValueFrom(alice.awaitAcceptance(invitation.pending, FAST))).displayName).toBe('Bob');
      // Box 0 is a tombstone now: the invite is spent.
      const late = await firstValueFrom(carol.acceptInvite(invitation.invite, await card('carol-late', 'Carol'), FAST)).catch((e: unknown) => e);
      expect(late).toBeInstanceOf(InviteClosedError);
      expect((late as Error).message).toMatch(/box 0 holds a tombstone/);
    } finally {
      await carol.close();
    }
  });

  it('withdrawInvite: the invite can no longer be answered, and the wait for it ends with InviteClosedError', async () => {
    const invitation = await firstValueFrom(alice.invite((await channel(alice, 'withdraw')).writeCap, 'Alice'));
    await firstValueFrom(alice.withdrawInvite(invitation.pending));
    const answer = await firstValueFrom(bob.acceptInvite(invitation.invite, { displayName: 'Bob', readCap: (await channel(bob, 'b')).readCap }, FAST)).catch((e: unknown) => e);
    expect(answer).toBeInstanceOf(InviteClosedError);
    await expect(firstValueFrom(alice.awaitAcceptance(invitation.pending, FAST))).rejects.toBeInstanceOf(InviteClosedError);
  });

  it('the wrong secret key gives VoucherSealOpenFailedError (30)', async () => {
    const aliceChannel = await channel(alice, 'wrong-key');
    const invitation = await firstValueFrom(alice.invite(aliceChannel.writeCap, 'Alice'));
    const other = await firstValueFrom(alice.voucherMint(aliceChannel.writeCap, 'Alice'));
    await firstValueFrom(bob.acceptInvite(invitation.invite, { displayName: 'Bob', readCap: (await channel(bob, 'wk')).readCap }, FAST));
    const error = await firstValueFrom(alice.awaitAcceptance({ ...invitation.pending, voucherSecretKey: other.voucherSecretKey }, FAST)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VoucherSealOpenFailedError);
    expect((error as VoucherSealOpenFailedError).code).toBe(30);
  });

  it('a tampered introduction: VoucherHashMismatchError (28) for the same voucher, VoucherSignatureInvalidError (29) with a recomputed one', async () => {
    const minted = await firstValueFrom(alice.voucherMint((await channel(alice, 'tamper')).writeCap, 'Alice'));
    const flipped = minted.voucherPayload.slice();
    const name = Buffer.from(flipped).indexOf('Alice');
    flipped[name] = flipped[name]! ^ 1; // "@lice"
    const publish = async (voucher: Uint8Array | SecretBytes, payload: Uint8Array) => {
      const stream = await firstValueFrom(alice.voucherDeriveStream(voucher));
      await firstValueFrom(alice.write(stream.voucherWriteCap, stream.voucherReadCap.subarray(32), payload));
    };
    const card = { displayName: 'Bob', readCap: (await channel(bob, 'tamper-b')).readCap };

    // The same voucher, another payload in box 0.
    await publish(minted.voucher, flipped);
    const mismatch = await firstValueFrom(bob.acceptInvite(encodeInvite(minted.voucher), card, FAST)).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(VoucherHashMismatchError);
    expect((mismatch as VoucherHashMismatchError).code).toBe(28);

    // A voucher recomputed for the forged payload: the hash holds, the signature does not.
    const forged = blake2b256(flipped);
    await publish(forged, flipped);
    const unsigned = await firstValueFrom(bob.acceptInvite(encodeInvite(forged), card, FAST)).catch((e: unknown) => e);
    expect(unsigned).toBeInstanceOf(VoucherSignatureInvalidError);
    expect((unsigned as VoucherSignatureInvalidError).code).toBe(29);
  });

  it('an answer that is not a contact card (another client’s format) gives ContactCardFormatError', async () => {
    const invitation = await firstValueFrom(alice.invite((await channel(alice, 'card')).writeCap, 'Alice'));
    // Bob answers with the primitives and a reply of his own format.
    const voucher = parseInvite(invitation.invite);
    const stream = await firstValueFrom(bob.voucherDeriveStream(voucher));
    const box0 = stream.voucherReadCap.subarray(32);
    const payload = await firstValueFrom(bob.read(stream.voucherReadCap, box0));
    const inducted = await firstValueFrom(bob.voucherInduct(voucher, payload, utf8('{"group":"book club"}')));
    await firstValueFrom(bob.write(stream.voucherWriteCap, await firstValueFrom(bob.nextMessageBoxIndex(box0)), inducted.sealedReply));
    await expect(firstValueFrom(alice.awaitAcceptance(invitation.pending, FAST))).rejects.toBeInstanceOf(ContactCardFormatError);
    // The primitives read it.
    const opened = await firstValueFrom(alice.voucherOpen(invitation.pending.voucherSecretKey, inducted.sealedReply, invitation.pending.messageWriteCap));
    expect(text(opened.whoReply)).toBe('{"group":"book club"}');
    expect(opened.salt).toEqual(inducted.salt);
  });

  it('waiting polls at a bounded rate, stops when unsubscribed, and ends with RequestTimeoutError at timeoutMs', async () => {
    const invitation = await firstValueFrom(alice.invite((await channel(alice, 'wait')).writeCap, 'Alice'));
    // Two "not yet" answers (BoxIDNotFound, code 1) to the polls of box 1, then Alice gives up waiting.
    const notYet = firstValueFrom(
      alice.events$.pipe(
        filter((e) => e.type === 'start_resending_encrypted_message_reply' && e.errorCode === 1),
        take(2),
        toArray(),
      ),
    );
    const waiting = alice.awaitAcceptance(invitation.pending, FAST).subscribe({ error: () => undefined });
    expect(await notYet).toHaveLength(2);
    waiting.unsubscribe();
    await firstValueFrom(alice.newKeypair(seedOf('barrier'))); // the daemon has seen everything we sent
    expect(alice.pendingRequestCount).toBe(0);

    const timedOut = await firstValueFrom(alice.awaitAcceptance(invitation.pending, { ...FAST, timeoutMs: 50 })).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(RequestTimeoutError);
  });

  it('refuses bad arguments before anything is sent', async () => {
    const sent = sim.stats();
    const cap = (await channel(alice, 'args')).writeCap;
    // However argument errors are delivered (a throw from the call, or the Observable's error).
    const errorOf = async (run: () => Promise<unknown>): Promise<unknown> => {
      try {
        await run();
        return 'no error';
      } catch (error) {
        return error;
      }
    };
    const tooLong = await errorOf(() => firstValueFrom(alice.invite(cap, 'x'.repeat(2000))));
    expect(tooLong).toBeInstanceOf(InvalidArgumentError);
    expect((tooLong as InvalidArgumentError).argument).toBe('displayName');
    const readCapString = 'kprx1:' + 'A'.repeat(326);
    const notInvite = await errorOf(() => firstValueFrom(bob.acceptInvite(readCapString, { displayName: 'Bob', readCap: new Uint8Array(136) })));
    expect((notInvite as InvalidArgumentError).argument).toBe('invite');
    expect((notInvite as Error).message).toMatch(/a read capability, not an invite/);
    const typo = encodeInvite(new Uint8Array(32).fill(1)).replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'));
    expect(((await errorOf(() => firstValueFrom(bob.acceptInvite(typo, { displayName: 'Bob', readCap: new Uint8Array(136) })))) as Error).message).toMatch(/checksum mismatch/);
    const lone = await errorOf(() => firstValueFrom(alice.voucherMint(cap, 'bad \uD800 name')));
    expect((lone as InvalidArgumentError).argument).toBe('displayName');
    expect(sim.stats().boxes).toBe(sent.boxes);
  });
});
