/**
 * The contact exchange on the real network, through the public API only:
 * two thin clients (Alice the joiner, Bob the inductor) swap channels with
 * the two calls and then talk over them; the same with two ChannelManagers
 * on SQLite; and the typed errors of kpclientd's voucher requests — a
 * tampered introduction (28, and 29 for a voucher recomputed to match it)
 * and the wrong secret key (30). Every box operation costs kpclientd
 * seconds of CTIDH work, so an exchange (four box writes, two or more
 * reads) takes minutes.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { firstValueFrom, take } from 'rxjs';
import {
  ChannelManager,
  SqliteChannelStore,
  VoucherHashMismatchError,
  VoucherSealOpenFailedError,
  VoucherSignatureInvalidError,
  blake2b256,
  encodeInvite,
  type ExchangeOptions,
  type SecretBytes,
  type ThinClient,
} from 'katzenpost-rx';
import type { Testnet } from '../../testnet/testnet.js';
import { attachTestnet, check, connectTo, freshSeed, text, utf8 } from './support/testnet-env.js';

/** Poll an empty box every 2 s at first, then at most every 8 s: a real box read takes several seconds anyway. */
const POLL: ExchangeOptions = { initialDelayMs: 2_000, maxDelayMs: 8_000 };

let net: Testnet;
let alice: ThinClient;
let bob: ThinClient;
let work: string;

beforeAll(async () => {
  net = await attachTestnet();
  alice = await connectTo(net);
  bob = await connectTo(net);
  work = await mkdtemp(path.join(os.tmpdir(), 'kprx-testnet-contacts-'));
}, 120_000);
afterAll(async () => {
  await alice?.close();
  await bob?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

const newChannel = (client: ThinClient) => firstValueFrom(client.newKeypair(freshSeed()));

/** Writes `payload` into box 0 of the voucher stream of `voucher`, as a joiner publishes its introduction. */
async function publishIntroduction(voucher: Uint8Array | SecretBytes, payload: Uint8Array): Promise<void> {
  const stream = await firstValueFrom(alice.voucherDeriveStream(voucher));
  await firstValueFrom(alice.write(stream.voucherWriteCap, stream.voucherReadCap.subarray(32), payload));
}

describe('contact exchange', () => {
  check('Alice invites, Bob accepts, and they talk over the exchanged channels', 600_000, async () => {
    const aliceChannel = await newChannel(alice);
    const bobChannel = await newChannel(bob);
    const { invite, pending } = await firstValueFrom(alice.invite(aliceChannel.writeCap, 'Alice'));
    expect(invite).toMatch(/^kprxinvite1:/);

    const [aliceSeenByBob, bobSeenByAlice] = await Promise.all([
      firstValueFrom(bob.acceptInvite(invite, { displayName: 'Bob', readCap: bobChannel.readCap }, POLL)),
      firstValueFrom(alice.awaitAcceptance(pending, POLL)),
    ]);
    expect(aliceSeenByBob.displayName).toBe('Alice');
    expect(bobSeenByAlice.displayName).toBe('Bob');
    expect(bobSeenByAlice.readCap).toEqual(bobChannel.readCap);

    await firstValueFrom(alice.write(bobSeenByAlice.writeCap, bobSeenByAlice.writeIndex, utf8('hi Bob')));
    await firstValueFrom(bob.write(bobChannel.writeCap, bobChannel.firstMessageIndex, utf8('hi Alice')));
    expect(text(await firstValueFrom(bob.read(aliceSeenByBob.readCap, aliceSeenByBob.readIndex)))).toBe('hi Bob');
    expect(text(await firstValueFrom(alice.read(bobSeenByAlice.readCap, bobSeenByAlice.readIndex)))).toBe('hi Alice');
  });

  check('two ChannelManagers on SQLite: invite, accept, and a message each way on the contact’s channels', 900_000, async () => {
    const aliceStore = await SqliteChannelStore.open(path.join(work, 'alice.db'));
    const bobStore = await SqliteChannelStore.open(path.join(work, 'bob.db'));
    try {
      const aliceManager = new ChannelManager(alice, aliceStore);
      const bobManager = new ChannelManager(bob, bobStore);
      const invite = await aliceManager.invite('bob', 'Alice');
      const [aliceContact, bobContact] = await Promise.all([
        firstValueFrom(bobManager.acceptInvite('alice', invite, 'Bob', POLL)),
        firstValueFrom(aliceManager.awaitContact('bob', POLL)),
      ]);
      expect([aliceContact.displayName, bobContact.displayName]).toEqual(['Alice', 'Bob']);
      expect([await aliceManager.exchanges(), await bobManager.exchanges()]).toEqual([[], []]);

      await firstValueFrom((await aliceManager.get(bobContact.sendChannel)).send(utf8('stored and sent')));
      await firstValueFrom((await bobManager.get(aliceContact.sendChannel)).send(utf8('and back')));
      const first = async (manager: ChannelManager, channel: string) =>
        text((await firstValueFrom((await manager.get(channel)).messages$(POLL).pipe(take(1)))).plaintext);
      expect(await first(bobManager, aliceContact.receiveChannel)).toBe('stored and sent');
      expect(await first(aliceManager, bobContact.receiveChannel)).toBe('and back');
    } finally {
      await aliceStore.close();
      await bobStore.close();
    }
  });

  check('a tampered introduction: VoucherHashMismatchError (28) for the voucher, VoucherSignatureInvalidError (29) for one recomputed to match', 600_000, async () => {
    const minted = await firstValueFrom(alice.voucherMint((await newChannel(alice)).writeCap, 'Alice'));
    const tampered = minted.voucherPayload.slice();
    const at = Buffer.from(tampered).indexOf('Alice');
    tampered[at] = tampered[at]! ^ 1; // "@lice"
    const card = { displayName: 'Bob', readCap: (await newChannel(bob)).readCap };

    await publishIntroduction(minted.voucher, tampered);
    const mismatch = await firstValueFrom(bob.acceptInvite(encodeInvite(minted.voucher), card, POLL)).catch((e: unknown) => e);
    expect(mismatch).toBeInstanceOf(VoucherHashMismatchError);
    expect((mismatch as VoucherHashMismatchError).code).toBe(28);

    const forged = blake2b256(tampered);
    await publishIntroduction(forged, tampered);
    const unsigned = await firstValueFrom(bob.acceptInvite(encodeInvite(forged), card, POLL)).catch((e: unknown) => e);
    expect(unsigned).toBeInstanceOf(VoucherSignatureInvalidError);
    expect((unsigned as VoucherSignatureInvalidError).code).toBe(29);
  });

  check('the wrong secret key: VoucherSealOpenFailedError (30) when opening the answer', 600_000, async () => {
    const aliceChannel = await newChannel(alice);
    const { invite, pending } = await firstValueFrom(alice.invite(aliceChannel.writeCap, 'Alice'));
    const other = await firstValueFrom(alice.voucherMint(aliceChannel.writeCap, 'Alice'));
    await firstValueFrom(bob.acceptInvite(invite, { displayName: 'Bob', readCap: (await newChannel(bob)).readCap }, POLL));
    const error = await firstValueFrom(alice.awaitAcceptance({ ...pending, voucherSecretKey: other.voucherSecretKey }, POLL)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VoucherSealOpenFailedError);
    expect((error as VoucherSealOpenFailedError).code).toBe(30);
  });
});
