import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChannelExistsError, ChannelNotFoundError, ChannelStoreError, ContactExistsError } from '../../src/channels/channel-errors.js';
import type { ChannelStore } from '../../src/channels/channel-store.js';
import type { ChannelRecord, ContactRecord, ExchangeRecord, NewOutboxEntry } from '../../src/channels/channel-types.js';
import { FileChannelStore } from '../../src/channels/file-channel-store.js';
import { STORE_KINDS, sqliteSkipReason, type StoreKind, storePerTest } from './support/store-factories.js';

const bytes = (n: number, fill: number): Uint8Array => new Uint8Array(n).fill(fill);

function channelRecord(name: string, fill = 1): ChannelRecord {
  return {
    name,
    owned: true,
    writeCap: bytes(168, fill),
    readCap: bytes(136, fill + 1),
    firstIndex: bytes(104, fill + 2),
    firstPosition: 0,
    writeIndex: bytes(104, fill + 2),
    writePosition: 0,
    readIndex: bytes(104, fill + 2),
    readPosition: 0,
    createdAt: 1_700_000_000_000,
  };
}

function boxEntry(channel: string, position: number): NewOutboxEntry {
  return {
    slots: [{ channel, position, count: 1, boxIndex: bytes(104, position), nextIndex: bytes(104, position + 1), plaintext: bytes(5, 9) }],
    operation: { kind: 'box', tombstone: false, messageCiphertext: bytes(2000, 7), envelopeDescriptor: bytes(50, 8), envelopeHash: bytes(32, 6) },
    createdAt: 1,
    attempts: 0,
    lastError: null,
  };
}

const joinerExchange = (name: string): ExchangeRecord => ({
  name,
  role: 'joiner',
  displayName: 'Alice',
  voucher: bytes(32, 1),
  voucherPayload: bytes(452, 2),
  voucherSecretKey: bytes(162, 3),
  messageWriteCap: bytes(168, 4),
  createdAt: 7,
});
const inductorExchange = (name: string): ExchangeRecord => ({
  name,
  role: 'inductor',
  voucher: bytes(32, 5),
  sealedReply: bytes(600, 6),
  displayName: 'Alice',
  readCap: bytes(136, 7),
  readIndex: bytes(104, 8),
  createdAt: 8,
});
const contactRecord = (name: string): ContactRecord => ({ name, displayName: 'Bob', sendChannel: `${name}/out`, receiveChannel: `${name}/in`, role: 'joiner', createdAt: 9 });

function received(channel: string, position: number) {
  return { channel, position, boxIndex: bytes(104, position), plaintext: new TextEncoder().encode(`m${position}`), tombstone: false, receivedAt: 5, read: false };
}

if (sqliteSkipReason) {
  const reason = sqliteSkipReason;
  describe('SqliteChannelStore', () => {
    it.skip(reason, () => undefined);
  });
}

describe.each(STORE_KINDS.map((kind) => [kind.name, kind] as const))('ChannelStore behaviour: %s', (_name, kind: StoreKind) => {
  let store: ChannelStore;
  const reopen = storePerTest(kind, (fresh) => (store = fresh));

  it('inserts, reads, lists and updates channels; names are unique', async () => {
    await store.transaction((tx) => {
      tx.insertChannel(channelRecord('b'));
      tx.insertChannel({ ...channelRecord('a', 3), owned: false, writeCap: null, writeIndex: null });
    });
    const [a, b] = await store.transaction((tx) => tx.channels());
    expect(a).toEqual({ ...channelRecord('a', 3), owned: false, writeCap: null, writeIndex: null });
    expect(b).toEqual(channelRecord('b'));
    await expect(store.transaction((tx) => tx.insertChannel(channelRecord('a')))).rejects.toBeInstanceOf(ChannelExistsError);
    const updated = await store.transaction((tx) => tx.updateChannel('b', { readIndex: bytes(104, 42), readPosition: 7 }));
    expect(updated.readPosition).toBe(7);
    expect(await store.transaction((tx) => tx.channel('b'))).toEqual({ ...channelRecord('b'), readIndex: bytes(104, 42), readPosition: 7 });
    await expect(store.transaction((tx) => tx.updateChannel('zz', { readPosition: 1 }))).rejects.toBeInstanceOf(ChannelNotFoundError);
    expect(await store.transaction((tx) => tx.channel('zz'))).toBeUndefined();
  });

  it('returns plain Uint8Array copies: changing them does not change the store', async () => {
    await store.transaction((tx) => tx.insertChannel(channelRecord('a')));
    const first = (await store.transaction((tx) => tx.channel('a')))!;
    expect(Object.getPrototypeOf(first.readCap)).toBe(Uint8Array.prototype);
    first.readCap.fill(0);
    expect((await store.transaction((tx) => tx.channel('a')))!.readCap).toEqual(bytes(136, 2));
  });

  it('rolls a throwing transaction back completely', async () => {
    await store.transaction((tx) => tx.insertChannel(channelRecord('a')));
    await expect(
      store.transaction((tx) => {
        tx.updateChannel('a', { writePosition: 9 });
        tx.insertOutbox(boxEntry('a', 0));
        tx.insertReceived(received('a', 0));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    const after = await store.transaction((tx) => ({ channel: tx.channel('a'), outbox: tx.outbox(), received: tx.received('a') }));
    expect(after).toEqual({ channel: channelRecord('a'), outbox: [], received: [] });
  });

  it('refuses an async transaction body and commits nothing', async () => {
    await expect(
      store.transaction(async (tx) => {
        tx.insertChannel(channelRecord('a'));
      }),
    ).rejects.toBeInstanceOf(ChannelStoreError);
    expect(await store.transaction((tx) => tx.channels())).toEqual([]);
  });

  it('numbers outbox entries in order, never reusing a number, and updates and deletes them', async () => {
    await store.transaction((tx) => tx.insertChannel(channelRecord('a')));
    const [e1, e2] = await store.transaction((tx) => [tx.insertOutbox(boxEntry('a', 0)), tx.insertOutbox(boxEntry('a', 1))]);
    expect(e2!.seq).toBeGreaterThan(e1!.seq);
    await store.transaction((tx) => tx.deleteOutbox(e2!.seq));
    const e3 = await store.transaction((tx) => tx.insertOutbox(boxEntry('a', 1)));
    expect(e3.seq).toBeGreaterThan(e2!.seq);
    await store.transaction((tx) => tx.updateOutbox(e1!.seq, { attempts: 2, lastError: 'TransportError: x' }));
    const outbox = await store.transaction((tx) => tx.outbox());
    expect(outbox.map((e) => e.seq)).toEqual([e1!.seq, e3.seq]);
    expect(outbox[0]).toEqual({ ...boxEntry('a', 0), seq: e1!.seq, attempts: 2, lastError: 'TransportError: x' });
  });

  it('keeps the received history with read marks and queries it by id, order and limit', async () => {
    await store.transaction((tx) => tx.insertChannel(channelRecord('a')));
    await store.transaction((tx) => tx.insertChannel(channelRecord('b')));
    const ids = await store.transaction((tx) => [0, 1, 2, 3].map((p) => tx.insertReceived(received('a', p)).id));
    await store.transaction((tx) => tx.insertReceived(received('b', 0)));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    expect(await store.transaction((tx) => tx.setRead('a', [ids[0]!, ids[2]!, ids[2]!], true))).toBe(2);
    expect(await store.transaction((tx) => tx.setRead('a', [ids[0]!], true))).toBe(0);
    expect(await store.transaction((tx) => tx.setRead('b', [ids[1]!], true))).toBe(0); // not b's message
    const q = (query: object) => store.transaction((tx) => tx.received('a', query).map((m) => m.position));
    expect(await q({})).toEqual([0, 1, 2, 3]);
    expect(await q({ unread: true })).toEqual([1, 3]);
    expect(await q({ unread: false })).toEqual([0, 2]);
    expect(await q({ order: 'desc', limit: 2 })).toEqual([3, 2]);
    expect(await q({ afterId: ids[1], beforeId: ids[3] })).toEqual([2]);
    const [m0] = await store.transaction((tx) => tx.received('a', { limit: 1 }));
    expect(m0).toEqual({ ...received('a', 0), id: ids[0], read: true });
  });

  it('keeps the sent history per channel', async () => {
    await store.transaction((tx) => tx.insertChannel(channelRecord('a')));
    const record = {
      channel: 'a', position: 0, count: 3, boxIndex: bytes(104, 1), nextIndex: bytes(104, 4), plaintext: bytes(10, 5),
      tombstone: false, via: 'copy' as const, outboxSeq: 12, sentAt: 99,
    };
    const stored = await store.transaction((tx) => tx.insertSent(record));
    expect(stored).toEqual({ ...record, id: stored.id });
    expect(await store.transaction((tx) => tx.sent('a'))).toEqual([stored]);
    expect(await store.transaction((tx) => tx.sent('b'))).toEqual([]);
  });

  it('deletes a channel with its histories and own outbox entries, keeping copy entries shared with other channels', async () => {
    await store.transaction((tx) => {
      tx.insertChannel(channelRecord('a'));
      tx.insertChannel(channelRecord('b'));
      tx.insertOutbox(boxEntry('a', 0));
      tx.insertOutbox({ ...boxEntry('a', 1), slots: [boxEntry('a', 1).slots[0]!, boxEntry('b', 0).slots[0]!] });
      tx.insertReceived(received('a', 0));
    });
    await store.transaction((tx) => tx.deleteChannel('a'));
    const after = await store.transaction((tx) => ({ names: tx.channels().map((c) => c.name), outbox: tx.outbox(), received: tx.received('a') }));
    expect(after.names).toEqual(['b']);
    expect(after.outbox.map((e) => e.slots.map((s) => s.channel))).toEqual([['a', 'b']]);
    expect(after.received).toEqual([]);
    await expect(store.transaction((tx) => tx.deleteChannel('a'))).rejects.toBeInstanceOf(ChannelNotFoundError);
  });

  it('runs transactions one at a time in call order', async () => {
    await store.transaction((tx) => tx.insertChannel(channelRecord('a')));
    const results = await Promise.all(
      [1, 2, 3].map((n) =>
        store.transaction((tx) => {
          const position = tx.channel('a')!.readPosition;
          tx.updateChannel('a', { readPosition: position + n });
          return position;
        }),
      ),
    );
    expect(results).toEqual([0, 1, 3]);
  });

  it(kind.durable ? 'keeps everything across close and reopen, byte for byte' : 'keeps everything (memory: the same instance)', async () => {
    await store.transaction((tx) => {
      tx.insertChannel(channelRecord('a'));
      tx.insertOutbox(boxEntry('a', 0));
      tx.insertReceived(received('a', 0));
    });
    const before = await store.transaction((tx) => ({ channels: tx.channels(), outbox: tx.outbox(), received: tx.received('a'), sent: tx.sent('a') }));
    store = await reopen();
    const after = await store.transaction((tx) => ({ channels: tx.channels(), outbox: tx.outbox(), received: tx.received('a'), sent: tx.sent('a') }));
    expect(after).toEqual(before);
    const next = await store.transaction((tx) => tx.insertOutbox(boxEntry('a', 1)));
    expect(next.seq).toBeGreaterThan(before.outbox[0]!.seq);
  });

  it('keeps contact exchanges and contacts, replaces exchanges by name, keeps contact names unique, and rolls them back with the rest', async () => {
    await store.transaction((tx) => {
      tx.putExchange(joinerExchange('j'));
      tx.putExchange(inductorExchange('i'));
      tx.insertContact(contactRecord('c'));
    });
    await store.transaction((tx) => tx.putExchange({ ...joinerExchange('j'), displayName: 'Alice B.' } as ExchangeRecord));
    await expect(store.transaction((tx) => tx.insertContact(contactRecord('c')))).rejects.toBeInstanceOf(ContactExistsError);
    await expect(
      store.transaction((tx) => {
        tx.deleteExchange('i');
        tx.insertContact(contactRecord('d'));
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    store = await reopen();
    const state = await store.transaction((tx) => ({ exchanges: tx.exchanges(), i: tx.exchange('i'), contacts: tx.contacts(), c: tx.contact('c'), none: tx.exchange('x') }));
    expect(state).toEqual({
      exchanges: [inductorExchange('i'), { ...joinerExchange('j'), displayName: 'Alice B.' }],
      i: inductorExchange('i'),
      contacts: [contactRecord('c')],
      c: contactRecord('c'),
      none: undefined,
    });
    expect(Object.getPrototypeOf((state.i as ExchangeRecord & { role: 'inductor' }).sealedReply)).toBe(Uint8Array.prototype);
    await store.transaction((tx) => {
      tx.deleteExchange('i');
      tx.deleteExchange('absent');
      tx.deleteContact('c');
    });
    expect(await store.transaction((tx) => [tx.exchanges().map((e) => e.name), tx.contacts()])).toEqual([['j'], []]);
  });

  it('rejects transactions after close', async () => {
    await store.close();
    await expect(store.transaction((tx) => tx.channels())).rejects.toBeInstanceOf(ChannelStoreError);
  });
});

describe('FileChannelStore specifics', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kprx-file-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('locks the file against a second opener and releases the lock on close', async () => {
    const path = join(dir, 'c.json');
    const store = await FileChannelStore.open(path);
    await expect(FileChannelStore.open(path)).rejects.toThrow(/already open in this process/);
    await store.close();
    const again = await FileChannelStore.open(path);
    await again.close();
  });

  it('takes over a lock left by a dead process and removes stale temporary files', async () => {
    const path = join(dir, 'c.json');
    writeFileSync(`${path}.lock`, '2147483646\n'); // no such process
    writeFileSync(join(dir, '.c.json.999.abc.tmp'), 'half-written');
    const store = await FileChannelStore.open(path);
    expect(readdirSync(dir).sort()).toEqual(['c.json.lock']);
    await store.transaction((tx) => tx.insertChannel(channelRecord('a')));
    expect(readdirSync(dir).sort()).toEqual(['c.json', 'c.json.lock']);
    await store.close();
  });

  it('opens a store written before contact exchanges existed (no exchanges or contacts in the file)', async () => {
    const path = join(dir, 'c.json');
    writeFileSync(path, JSON.stringify({ format: 'katzenpost-rx/channels', version: 1, nextOutboxSeq: 1, nextReceivedId: 1, nextSentId: 1, channels: [], outbox: [], received: [], sent: [] }));
    const store = await FileChannelStore.open(path);
    expect(await store.transaction((tx) => [tx.exchanges(), tx.contacts()])).toEqual([[], []]);
    await store.close();
  });

  it('refuses a corrupt or foreign file instead of starting over', async () => {
    const path = join(dir, 'c.json');
    writeFileSync(path, '{"format":"something-else"}');
    await expect(FileChannelStore.open(path)).rejects.toBeInstanceOf(ChannelStoreError);
    writeFileSync(path, '{"format": "katzenpost-rx/channels", "version": 1, "chan');
    await expect(FileChannelStore.open(path)).rejects.toThrow(/not a valid channel store file/);
    expect(readdirSync(dir)).toEqual(['c.json']); // lock released after the failure
  });
});
