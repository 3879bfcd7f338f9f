import { firstValueFrom, take, toArray, lastValueFrom } from 'rxjs';
import { ChannelManager } from '../../src/channels/channel-manager.js';
import {
  ChannelExistsError,
  ChannelNotFoundError,
  ChannelOutOfStepError,
  OutboxDeliveryError,
  ReadCapabilityFormatError,
  ReadOnlyChannelError,
} from '../../src/channels/channel-errors.js';
import type { ChannelStore } from '../../src/channels/channel-store.js';
import { MemoryChannelStore } from '../../src/channels/memory-channel-store.js';
import { parseReadCapability } from '../../src/channels/read-capability.js';
import { ThinClient } from '../../src/client/thin-client.js';
import { InvalidArgumentError } from '../../src/errors/local-errors.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { boxTexts } from './support/sim-boxes.js';
import { STORE_KINDS, type StoreKind, storePerTest } from './support/store-factories.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const str = (b: Uint8Array): string => new TextDecoder().decode(b);
const FAST = { initialDelayMs: 2, maxDelayMs: 20 } as const;

let sim: SimulatorHandle;
let client: ThinClient;

beforeAll(async () => {
  sim = await startSpecSimulator({ realTime: 'channel operations end to end; only stored and delivered results are asserted', seed: 'channels' });
  client = await ThinClient.connect(sim.config);
});
afterAll(async () => {
  await client.close();
  await sim.close();
});

describe.each(STORE_KINDS.map((kind) => [kind.name, kind] as const))('ChannelManager with the %s store', (_name, kind: StoreKind) => {
  let store: ChannelStore;
  let manager: ChannelManager;
  const reopen = storePerTest(kind, (fresh) => (store = fresh));

  beforeEach(() => {
    manager = new ChannelManager(client, store);
  });

  it('sends in order, persisting the index before reporting, and a reader imported from the share string receives them', async () => {
    const alice = await manager.createChannel('alice');
    const sent = [];
    for (const m of ['one', 'two', 'three']) sent.push(await firstValueFrom(alice.send(text(m))));
    expect(sent.map((s) => [s.position, s.count, s.via, str(s.plaintext)])).toEqual([
      [0, 1, 'box', 'one'],
      [1, 1, 'box', 'two'],
      [2, 1, 'box', 'three'],
    ]);
    const info = await alice.info();
    expect(info).toMatchObject({ name: 'alice', owned: true, writePosition: 3, pending: 0 });
    expect(info.writeIndex).toEqual(sent[2]!.nextIndex);
    expect(info).not.toHaveProperty('writeCap');

    const share = await alice.shareReadCapability();
    const record = parseReadCapability(share);
    expect(boxTexts(sim, record.readCap, record.startIndex)).toEqual(['one', 'two', 'three']);

    const bobManager = new ChannelManager(client, new MemoryChannelStore());
    const bob = await bobManager.importChannel('from-alice', share);
    expect(bob.owned).toBe(false);
    const got = await firstValueFrom(bob.messages$(FAST).pipe(take(3), toArray()));
    expect(got.map((m) => [m.position, str(m.plaintext), m.read])).toEqual([
      [0, 'one', false],
      [1, 'two', false],
      [2, 'three', false],
    ]);
    expect((await bob.info()).readPosition).toBe(3);
    await expect(firstValueFrom(bob.send(text('x')))).rejects.toBeInstanceOf(ReadOnlyChannelError);
    expect(await alice.sentHistory()).toEqual(sent);
  });

  it('resumes reading from the persisted read index; unread messages are replayed until marked read', async () => {
    const ch = await manager.createChannel('self');
    await firstValueFrom(ch.send(text('a')));
    await firstValueFrom(ch.send(text('b')));
    const first = await firstValueFrom(ch.messages$(FAST).pipe(take(2), toArray()));
    expect(first.map((m) => str(m.plaintext))).toEqual(['a', 'b']);
    expect(await ch.markRead(first[0]!.id)).toBe(1);
    await firstValueFrom(ch.send(text('c')));
    if (kind.durable) store = await reopen();
    const resumed = await new ChannelManager(client, store).get('self');
    // 'b' is stored but unread: replayed first; then only the new box is read.
    const next = await firstValueFrom(resumed.messages$(FAST).pipe(take(2), toArray()));
    expect(next.map((m) => [m.position, str(m.plaintext)])).toEqual([
      [1, 'b'],
      [2, 'c'],
    ]);
    expect((await resumed.unread()).map((m) => m.position)).toEqual([1, 2]);
    expect((await resumed.history()).map((m) => [m.position, m.read])).toEqual([
      [0, true],
      [1, false],
      [2, false],
    ]);
    // Without the replay only new boxes come.
    await firstValueFrom(resumed.send(text('d')));
    const live = await firstValueFrom(resumed.messages$({ ...FAST, replayUnread: false }));
    expect([live.position, str(live.plaintext)]).toEqual([3, 'd']);
  });

  it('prepares offline, keeps the entries durable, and transmits them in order when flushed online', async () => {
    const ch = await manager.createChannel('offline');
    sim.setOnline(false);
    try {
      const p1 = await firstValueFrom(ch.prepare(text('queued 1')));
      const p2 = await firstValueFrom(ch.prepare(text('queued 2')));
      expect([p1.position, p2.position]).toEqual([0, 1]);
      expect((await ch.pending()).map((p) => [p.seq, p.kind, p.position])).toEqual([
        [p1.seq, 'message', 0],
        [p2.seq, 'message', 1],
      ]);
      expect((await ch.info()).writePosition).toBe(0);
    } finally {
      sim.setOnline(true);
    }
    if (kind.durable) {
      store = await reopen();
      manager = new ChannelManager(client, store);
    }
    const report = await manager.recover();
    expect(report.entries).toBe(2);
    expect(report.sent.map((s) => [s.position, str(s.plaintext)])).toEqual([
      [0, 'queued 1'],
      [1, 'queued 2'],
    ]);
    const sent = await firstValueFrom((await manager.get('offline')).send(text('after')));
    expect(sent.position).toBe(2);
    const share = parseReadCapability(await (await manager.get('offline')).shareReadCapability());
    expect(boxTexts(sim, share.readCap, share.startIndex)).toEqual(['queued 1', 'queued 2', 'after']);
  });

  it('recovers a send confirmed but not committed by re-sending the same ciphertext to the same box', async () => {
    let crash = true;
    const crashing = new ChannelManager(client, store, {
      onStep: (e) => {
        if (crash && e.step === 'send:acked') throw new Error('simulated crash after the ack');
      },
    });
    const ch = await crashing.createChannel('c');
    const error = await firstValueFrom(ch.send(text('first'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxDeliveryError);
    expect((error as OutboxDeliveryError).seq).toBeGreaterThan(0);
    expect((await ch.pending()).length).toBe(1);
    crash = false;
    if (kind.durable) store = await reopen();
    const restarted = new ChannelManager(client, store);
    // Without recover(): the next send still goes out after the queued one.
    const second = await firstValueFrom((await restarted.get('c')).send(text('second')));
    expect(second.position).toBe(1);
    const share = parseReadCapability(await (await restarted.get('c')).shareReadCapability());
    expect(boxTexts(sim, share.readCap, share.startIndex)).toEqual(['first', 'second']);
    expect((await (await restarted.get('c')).sentHistory()).map((s) => str(s.plaintext))).toEqual(['first', 'second']);
  });

  it('control: dropping the outbox entry instead of recovering it (upstream behaviour) loses the next message', async () => {
    const crashing = new ChannelManager(client, store, {
      onStep: (e) => {
        if (e.step === 'send:acked') throw new Error('simulated crash after the ack');
      },
    });
    const ch = await crashing.createChannel('lossy');
    await firstValueFrom(ch.send(text('first'))).catch(() => undefined);
    const dropOutbox = () => store.transaction((tx) => tx.outbox().forEach((e) => tx.deleteOutbox(e.seq)));
    await dropOutbox();
    // With the next-box check (the default), reusing the box is refused rather than lost …
    const refused = await firstValueFrom((await new ChannelManager(client, store).get('lossy')).send(text('second'))).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ChannelOutOfStepError);
    // … upstream writes every box idempotently too (verifyNextBox: false):
    await dropOutbox();
    const second = await firstValueFrom((await new ChannelManager(client, store, { verifyNextBox: false }).get('lossy')).send(text('second')));
    expect(second.position).toBe(0); // the box was reused …
    const share = parseReadCapability(await ch.shareReadCapability());
    expect(boxTexts(sim, share.readCap, share.startIndex)).toEqual(['first']); // … and 'second' silently vanished
  });

  it('stores a received box only once and only with the read index (a crash before the commit re-reads it)', async () => {
    const writer = await manager.createChannel('w');
    await firstValueFrom(writer.send(text('x')));
    const share = await writer.shareReadCapability();
    let fail = true;
    const reader = new ChannelManager(client, store, {
      onStep: (e) => {
        if (fail && e.step === 'receive:read') throw new Error('simulated crash before storing');
      },
    });
    const r = await reader.importChannel('r', share);
    await expect(firstValueFrom(r.messages$(FAST))).rejects.toThrow('simulated crash before storing');
    expect(await r.history()).toEqual([]);
    expect((await r.info()).readPosition).toBe(0);
    fail = false;
    const got = await firstValueFrom(r.messages$(FAST));
    expect([got.position, str(got.plaintext)]).toEqual([0, 'x']);
    expect((await r.history()).length).toBe(1);
  });

  it('tombstones the next boxes through the outbox; readers see tombstones', async () => {
    const ch = await manager.createChannel('t');
    await firstValueFrom(ch.send(text('keep')));
    const one = await firstValueFrom(ch.tombstoneCurrent());
    expect([one.position, one.tombstone]).toEqual([1, true]);
    const range = await lastValueFrom(ch.tombstoneRange$(2).pipe(toArray()));
    expect(range.map((s) => [s.position, s.tombstone])).toEqual([
      [2, true],
      [3, true],
    ]);
    await firstValueFrom(ch.send(text('after')));
    const share = parseReadCapability(await ch.shareReadCapability());
    expect(boxTexts(sim, share.readCap, share.startIndex)).toEqual(['keep', '<tombstone>', '<tombstone>', '<tombstone>', 'after']);
    const got = await firstValueFrom(ch.messages$(FAST).pipe(take(5), toArray()));
    expect(got.map((m) => (m.tombstone ? '<t>' : str(m.plaintext)))).toEqual(['keep', '<t>', '<t>', '<t>', 'after']);
  });

  it('copies atomically to one or several channels and keeps positions consistent', async () => {
    const a = await manager.createChannel('copy-a');
    const b = await manager.createChannel('copy-b');
    await firstValueFrom(a.send(text('before')));
    const box = client.pigeonholeGeometry().maxPlaintextPayloadLength - 4;
    const big = Uint8Array.from({ length: box + 10 }, (_, i) => i % 251);
    const sent = await firstValueFrom(manager.copySend([
      { channel: 'copy-a', payload: big },
      { channel: 'copy-b', payload: text('hello b') },
    ]));
    expect(sent.map((s) => [s.channel, s.position, s.count, s.via])).toEqual([
      ['copy-a', 1, 2, 'copy'],
      ['copy-b', 0, 1, 'copy'],
    ]);
    const after = await firstValueFrom(a.send(text('after')));
    expect(after.position).toBe(3);
    const single = await firstValueFrom(b.copySend(text('single')));
    expect([single.position, single.count]).toEqual([1, 1]);
    const chunks = await firstValueFrom(a.messages$(FAST).pipe(take(4), toArray()));
    expect(str(chunks[0]!.plaintext)).toBe('before');
    expect(Buffer.concat([chunks[1]!.plaintext, chunks[2]!.plaintext])).toEqual(Buffer.from(big));
    expect(str(chunks[3]!.plaintext)).toBe('after');
    const shareB = parseReadCapability(await b.shareReadCapability());
    expect(boxTexts(sim, shareB.readCap, shareB.startIndex)).toEqual(['hello b', 'single']);
  });

  it('recovers a copy confirmed but not committed: re-run with the same elements, destination written once', async () => {
    let crash = true;
    const crashing = new ChannelManager(client, store, {
      onStep: (e) => {
        if (crash && e.step === 'send:acked') throw new Error('simulated crash after the copy');
      },
    });
    const ch = await crashing.createChannel('copy-crash');
    const error = await firstValueFrom(ch.copySend(text('atomic'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutboxDeliveryError);
    expect((await ch.pending()).map((p) => [p.kind, p.position, p.count])).toEqual([['copy', 0, 1]]);
    crash = false;
    if (kind.durable) store = await reopen();
    const restarted = new ChannelManager(client, store);
    const report = await restarted.recover();
    expect(report.sent.map((s) => [s.position, s.count, s.via, str(s.plaintext)])).toEqual([[0, 1, 'copy', 'atomic']]);
    const next = await firstValueFrom((await restarted.get('copy-crash')).send(text('next')));
    expect(next.position).toBe(1);
    const share = parseReadCapability(await (await restarted.get('copy-crash')).shareReadCapability());
    expect(boxTexts(sim, share.readCap, share.startIndex)).toEqual(['atomic', 'next']);
  });

  it('lists, gets, shares from the next box, deletes, and reports typed errors', async () => {
    const x = await manager.createChannel('x');
    await manager.importChannel('y', await x.shareReadCapability());
    await expect(manager.createChannel('x')).rejects.toBeInstanceOf(ChannelExistsError);
    await expect(manager.importChannel('z', 'kprx1:garbage')).rejects.toBeInstanceOf(ReadCapabilityFormatError);
    await expect(manager.get('nope')).rejects.toBeInstanceOf(ChannelNotFoundError);
    await expect(manager.createChannel('')).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(firstValueFrom(x.send(new Uint8Array(0)))).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(firstValueFrom(x.send(new Uint8Array(5000)))).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await x.pending()).length).toBe(0); // refused before anything was queued
    expect((await manager.list()).map((c) => [c.name, c.owned])).toEqual([
      ['x', true],
      ['y', false],
    ]);
    await firstValueFrom(x.send(text('old')));
    const fromNext = await manager.importChannel('late', await x.shareReadCapability({ from: 'next' }));
    await firstValueFrom(x.send(text('new')));
    const first = await firstValueFrom(fromNext.messages$(FAST));
    expect(str(first.plaintext)).toBe('new');
    await manager.delete('y');
    expect((await manager.list()).map((c) => c.name)).toEqual(['late', 'x']);
    await expect(manager.delete('y')).rejects.toBeInstanceOf(ChannelNotFoundError);
  });
});

describe('a store behind its channel (restored from a backup)', () => {
  it('fails the send loudly with ChannelOutOfStepError instead of losing the message, and keeps it queued', async () => {
    const { mkdtempSync, copyFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileChannelStore } = await import('../../src/channels/file-channel-store.js');
    const dir = mkdtempSync(join(tmpdir(), 'kprx-stale-store-'));
    try {
      const path = join(dir, 'chat.json');
      let store = await FileChannelStore.open(path);
      await new ChannelManager(client, store).createChannel('notes');
      await store.close();
      copyFileSync(path, join(dir, 'backup.json')); // the backup, taken before any message

      store = await FileChannelStore.open(path);
      const current = await new ChannelManager(client, store).get('notes');
      await firstValueFrom(current.send(text('sent from the current store')));
      const share = await current.shareReadCapability();
      await store.close();

      // The backup is restored: its write index still points at the first box.
      const restored = await FileChannelStore.open(join(dir, 'backup.json'));
      const stale = await new ChannelManager(client, restored).get('notes');
      const failure = await firstValueFrom(stale.send(text('would vanish into a taken box'))).catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ChannelOutOfStepError);
      expect((failure as Error).message).toMatch(/next box already holds other content, so this store is behind the channel/);
      expect(await stale.pending()).toEqual([expect.objectContaining({ kind: 'message', position: 0 })]);
      await restored.close();

      // The channel holds the first store's message, untouched.
      const { readCap, startIndex } = parseReadCapability(share);
      expect(boxTexts(sim, readCap, startIndex)).toEqual(['sent from the current store']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
