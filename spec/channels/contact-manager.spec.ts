/**
 * The contact exchange in the channel layer: invites and accepted invites
 * stored in the channel store, resumed after a restart (a new client and a
 * reopened store), the contacts' channels ready to chat on, and the typed
 * errors — on every store kind.
 */
import { statSync } from 'node:fs';
import { firstValueFrom, take } from 'rxjs';
import { ChannelManager } from '../../src/channels/channel-manager.js';
import { ContactExistsError, ContactNotFoundError } from '../../src/channels/channel-errors.js';
import type { ChannelStore } from '../../src/channels/channel-store.js';
import { FileChannelStore } from '../../src/channels/file-channel-store.js';
import { encodeInvite, parseInvite } from '../../src/client/contacts/invite-code.js';
import { ThinClient } from '../../src/client/thin-client.js';
import { InvalidArgumentError, InviteClosedError } from '../../src/errors/local-errors.js';
import { VoucherHashMismatchError } from '../../src/errors/thin-client-errors.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { STORE_KINDS, type StoreKind } from './support/store-factories.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);
const FAST = { initialDelayMs: 2, maxDelayMs: 20 } as const;

let sim: SimulatorHandle;
let alice: ThinClient;
let bob: ThinClient;

beforeAll(async () => {
  sim = await startSpecSimulator({ realTime: 'contact exchanges end to end; only stored and delivered results are asserted', seed: 'contact-manager' });
  alice = await ThinClient.connect(sim.config);
  bob = await ThinClient.connect(sim.config);
});
afterAll(async () => {
  await alice.close();
  await bob.close();
  await sim.close();
});

/** The first message on a channel of `manager`. */
async function firstMessage(manager: ChannelManager, channel: string): Promise<string> {
  const message = await firstValueFrom((await manager.get(channel)).messages$(FAST).pipe(take(1)));
  return str(message.plaintext);
}

async function say(manager: ChannelManager, channel: string, words: string): Promise<void> {
  await firstValueFrom((await manager.get(channel)).send(utf8(words)));
}

describe.each(STORE_KINDS.map((kind) => [kind.name, kind] as const))('contact exchange in a ChannelManager with the %s store', (_name, kind: StoreKind) => {
  let aliceStore: { store: ChannelStore; reopen: () => Promise<ChannelStore>; cleanup: () => Promise<void> };
  let bobStore: { store: ChannelStore; reopen: () => Promise<ChannelStore>; cleanup: () => Promise<void> };
  let aliceManager: ChannelManager;
  let bobManager: ChannelManager;

  beforeEach(async () => {
    aliceStore = await kind.create();
    bobStore = await kind.create();
    aliceManager = new ChannelManager(alice, aliceStore.store);
    bobManager = new ChannelManager(bob, bobStore.store);
  });
  afterEach(async () => {
    await aliceStore.cleanup();
    await bobStore.cleanup();
  });

  it('Alice invites, Bob accepts, both keep the contact and chat on its channels; the invite, resumed after a restart, waits from the store', async () => {
    const invite = await aliceManager.invite('bob', 'Alice');
    expect(invite).toMatch(/^kprxinvite1:/);
    expect(await aliceManager.inviteString('bob')).toBe(invite);
    const pending = await aliceManager.exchanges();
    expect(pending).toEqual([{ name: 'bob', role: 'joiner', displayName: 'Alice', createdAt: expect.any(Number) }]);
    expect(JSON.stringify(pending)).not.toContain(invite.slice(12, 30)); // no secret in what exchanges() shows

    // Alice's app closes; her store is reopened by a new manager on a new client.
    const aliceAgain = await ThinClient.connect(sim.config);
    try {
      const reopened = new ChannelManager(aliceAgain, await aliceStore.reopen());
      const [aliceAsSeenByBob, bobAsSeenByAlice] = await Promise.all([
        firstValueFrom(bobManager.acceptInvite('alice', invite, 'Bob', FAST)),
        firstValueFrom(reopened.awaitContact('bob', FAST)),
      ]);
      expect(aliceAsSeenByBob).toEqual({ name: 'alice', displayName: 'Alice', sendChannel: 'alice/out', receiveChannel: 'alice/in', role: 'inductor', createdAt: expect.any(Number) });
      expect(bobAsSeenByAlice).toEqual({ name: 'bob', displayName: 'Bob', sendChannel: 'bob/out', receiveChannel: 'bob/in', role: 'joiner', createdAt: expect.any(Number) });
      expect(await reopened.exchanges()).toEqual([]);
      expect(await bobManager.exchanges()).toEqual([]);
      expect(await reopened.contacts()).toEqual([bobAsSeenByAlice]);
      expect(await bobManager.contact('alice')).toEqual(aliceAsSeenByBob);
      // Completed: asking again emits the stored contact.
      expect(await firstValueFrom(reopened.awaitContact('bob'))).toEqual(bobAsSeenByAlice);

      await say(reopened, 'bob/out', 'hi Bob');
      await say(bobManager, 'alice/out', 'hi Alice');
      expect(await firstMessage(bobManager, 'alice/in')).toBe('hi Bob');
      expect(await firstMessage(reopened, 'bob/in')).toBe('hi Alice');
      // Alice's send channel shares the sequence Bob reads (its read cap comes from the mutated write cap).
      const share = await (await reopened.get('bob/out')).shareReadCapability();
      expect(await firstMessage(await importInto(share), 'copy')).toBe('hi Bob');
    } finally {
      await aliceAgain.close();
    }
  });

  it('an accepted invite interrupted after its answer was stored is finished by asking again: the same answer, written once', async () => {
    const invite = await aliceManager.invite('bob', 'Alice');
    const failing = new ChannelManager(bob, bobStore.store, {
      onStep: (event) => {
        if (event.step === 'accept:sealed') throw new Error('crash after storing the answer');
      },
    });
    await expect(firstValueFrom(failing.acceptInvite('alice', invite, 'Bob', FAST))).rejects.toThrow('crash after storing the answer');
    expect(await bobManager.exchanges()).toEqual([{ name: 'alice', role: 'inductor', displayName: 'Alice', createdAt: expect.any(Number) }]);
    expect((await bobManager.list()).map((c) => c.name)).toEqual(['alice/out']);

    // A fresh seal for the same invite would be refused by box 1 once an answer is there; the stored one is not.
    const reopened = new ChannelManager(bob, await bobStore.reopen());
    const [contact, bobSeen] = await Promise.all([
      firstValueFrom(reopened.acceptInvite('alice', invite, 'Bob', FAST)),
      firstValueFrom(aliceManager.awaitContact('bob', FAST)),
    ]);
    expect(contact.displayName).toBe('Alice');
    expect(bobSeen.displayName).toBe('Bob');
    await say(reopened, 'alice/out', 'answered once');
    expect(await firstMessage(aliceManager, 'bob/in')).toBe('answered once');
    const fresh = await firstValueFrom(bob.acceptInvite(invite, { displayName: 'Bob', readCap: (await firstValueFrom(bob.newKeypair(new Uint8Array(32).fill(7)))).readCap }, FAST)).catch((e: unknown) => e);
    expect(fresh).toBeInstanceOf(InviteClosedError);
  });

  it('a tampered invite gives VoucherHashMismatchError and stores nothing; a withdrawn one InviteClosedError', async () => {
    const invite = await aliceManager.invite('bob', 'Alice');
    const voucher = parseInvite(invite).exposeBytes();
    voucher[0] = voucher[0]! ^ 1;
    // Another voucher: its stream's box 0 is empty, so the accept waits; publish a forged introduction there.
    const stream = await firstValueFrom(bob.voucherDeriveStream(voucher));
    const original = await firstValueFrom(alice.voucherDeriveStream(parseInvite(invite)));
    const introduction = await firstValueFrom(bob.read(original.voucherReadCap, original.voucherReadCap.subarray(32)));
    await firstValueFrom(bob.write(stream.voucherWriteCap, stream.voucherReadCap.subarray(32), introduction));
    const tampered = await firstValueFrom(bobManager.acceptInvite('alice', encodeInvite(voucher), 'Bob', FAST)).catch((e: unknown) => e);
    expect(tampered).toBeInstanceOf(VoucherHashMismatchError);
    expect((tampered as VoucherHashMismatchError).code).toBe(28);
    expect([await bobManager.exchanges(), await bobManager.list(), await bobManager.contacts()]).toEqual([[], [], []]);

    await aliceManager.cancelExchange('bob');
    expect(await aliceManager.exchanges()).toEqual([]);
    await expect(firstValueFrom(bobManager.acceptInvite('alice', invite, 'Bob', FAST))).rejects.toBeInstanceOf(InviteClosedError);
  });

  it('names: taken ones give ContactExistsError, unknown ones ContactNotFoundError, bad arguments InvalidArgumentError before any request', async () => {
    const boxesBefore = sim.stats().boxes;
    await aliceManager.createChannel('carol/in');
    await expect(aliceManager.invite('carol', 'Alice')).rejects.toBeInstanceOf(ContactExistsError);
    await aliceManager.invite('dave', 'Alice');
    await expect(aliceManager.invite('dave', 'Alice')).rejects.toBeInstanceOf(ContactExistsError);
    await expect(firstValueFrom(aliceManager.awaitContact('nobody'))).rejects.toBeInstanceOf(ContactNotFoundError);
    await expect(aliceManager.inviteString('nobody')).rejects.toBeInstanceOf(ContactNotFoundError);
    await expect(aliceManager.contact('dave')).rejects.toBeInstanceOf(ContactNotFoundError);
    await expect(aliceManager.invite('', 'Alice')).rejects.toBeInstanceOf(InvalidArgumentError);
    // Every reply the daemon sends shows on events$: none may come for the bad calls below.
    const replies: string[] = [];
    const watch = [alice, bob].map((client) => client.events$.subscribe((event) => replies.push(event.type)));
    const notInvite = await firstValueFrom(bobManager.acceptInvite('x', 'kprx1:AAAA', 'Bob')).catch((e: unknown) => e);
    expect((notInvite as InvalidArgumentError).argument).toBe('invite');
    const daveInvite = await aliceManager.inviteString('dave');
    const tooLong = await firstValueFrom(bobManager.acceptInvite('x', daveInvite, 'x'.repeat(5000))).catch((e: unknown) => e);
    expect((tooLong as InvalidArgumentError).argument).toBe('displayName');
    const longInvite = await aliceManager.invite('erin', 'x'.repeat(5000)).catch((e: unknown) => e);
    expect((longInvite as InvalidArgumentError).argument).toBe('displayName');
    await expect(aliceManager.invite('erin', 'Alice', { timeoutMs: -1 })).rejects.toBeInstanceOf(InvalidArgumentError);
    watch.forEach((subscription) => subscription.unsubscribe());
    expect(replies).toEqual([]);
    expect(await bobManager.list()).toEqual([]);
    expect(sim.stats().boxes).toBe(boxesBefore + 1); // dave's box 0; nothing else was written
  });

  if (kind.name === 'file') {
    it('the store file holding the exchange secrets is readable by its owner only', async () => {
      await aliceManager.invite('bob', 'Alice');
      expect(statSync((aliceStore.store as FileChannelStore).path).mode & 0o777).toBe(0o600);
    });
  }

  /** A third manager with the channel `copy` imported from a share string. */
  async function importInto(share: string): Promise<ChannelManager> {
    const manager = new ChannelManager(bob, (await STORE_KINDS[0]!.create()).store);
    await manager.importChannel('copy', share);
    return manager;
  }
});
