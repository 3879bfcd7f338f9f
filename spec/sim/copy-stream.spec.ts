import { blake2b256 } from '../../src/pki/blake2b256.js';
import { syntheticIdentityKey, type SimulatorHandle } from '../../src/sim/index.js';
import type { DaemonMessageOf } from '../../src/wire/messages.js';
import { connectSession, id16, RawClient } from './support/raw-client.js';
import { Pigeonhole, text } from './support/pigeonhole.js';
import { waitFor } from './support/wait-for.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

// DAEMON.md §4, §5 and §9 item 8: the copy-stream constructors and copy commands.

const M = 1549;
const CHUNK = M - 4;
const CAPACITY = M - 5;
const ENVELOPE = 1999;

let sim: SimulatorHandle;
let client: RawClient;
let ph: Pigeonhole;

beforeAll(async () => {
  sim = await startSpecSimulator({ realTime: 'copy commands complete; only their results and the boxes are asserted', seed: 'copy' });
  client = (await connectSession(sim.address, id16(1))).client;
  ph = new Pigeonhole(client);
});
afterAll(async () => {
  client.destroy();
  await sim.close();
});

/** [flags, n] of each element, checking the framing. */
function shape(elements: readonly Uint8Array[] | null): Array<[number, number]> {
  return (elements ?? []).map((e) => {
    const n = new DataView(e.buffer, e.byteOffset, e.byteLength).getUint32(1, false);
    expect(e.length).toBe(5 + n);
    return [e[0]!, n];
  });
}

const bytesOf = (length: number, salt = 0): Uint8Array => new Uint8Array(length).map((_, i) => (i * 7 + salt) % 256);

async function fromPayload(
  dest: { writeCap: Uint8Array; index: Uint8Array },
  payload: Uint8Array,
  isStart: boolean,
  isLast: boolean,
): Promise<DaemonMessageOf<'create_courier_envelopes_from_payload_reply'>> {
  const queryId = ph.qid();
  client.send({ type: 'create_courier_envelopes_from_payload', queryId, payload, destWriteCap: dest.writeCap, destStartIndex: dest.index, isStart, isLast });
  return ph.reply('create_courier_envelopes_from_payload_reply', queryId);
}

async function advance(index: Uint8Array, count: number): Promise<Uint8Array> {
  let current = index;
  for (let i = 0; i < count; i++) current = await ph.nextIndex(current);
  return current;
}

/** Writes the elements into the temporary channel from its first index, one per box, in order. */
async function writeElements(temp: { writeCap: Uint8Array; index: Uint8Array }, elements: readonly Uint8Array[]): Promise<void> {
  let index = temp.index;
  for (const element of elements) {
    expect(await ph.write(temp.writeCap, index, element)).toBe(0);
    index = await ph.nextIndex(index);
  }
}

async function copy(writeCap: Uint8Array, pin: { courierIdentityHash?: Uint8Array; courierQueueId?: Uint8Array } = {}): Promise<DaemonMessageOf<'start_resending_copy_command_reply'>> {
  const queryId = ph.qid();
  client.send({ type: 'start_resending_copy_command', queryId, writeCap, ...pin });
  return ph.reply('start_resending_copy_command_reply', queryId);
}

describe('create_courier_envelopes_from_payload', () => {
  it('reproduces the worked example: 3000 bytes → 2 chunks → 3 elements START, 0, FINAL; next = start + 2', async () => {
    const dest = await ph.keypair(1);
    const reply = await fromPayload(dest, bytesOf(3000), true, true);
    expect(reply.errorCode).toBe(0);
    expect(shape(reply.envelopes)).toEqual([
      [1, CAPACITY],
      [0, CAPACITY],
      [2, 2 * (ENVELOPE + 4) - 2 * CAPACITY],
    ]);
    expect(reply.envelopes!.map((e) => e.length)).toEqual([1549, 1549, 923]);
    expect(reply.nextDestIndex).toEqual(await advance(dest.index, 2));
  });

  it('flushes everything without FINAL when not last, and sets no START when not first', async () => {
    const dest = await ph.keypair(2);
    expect(shape((await fromPayload(dest, bytesOf(3000), true, false)).envelopes).map(([f]) => f)).toEqual([1, 0, 0]);
    expect(shape((await fromPayload(dest, bytesOf(3000), false, true)).envelopes).map(([f]) => f)).toEqual([0, 0, 2]);
  });

  it('cuts destination chunks of M − 4: exactly M bytes take two boxes', async () => {
    const dest = await ph.keypair(3);
    expect((await fromPayload(dest, bytesOf(M), true, true)).nextDestIndex).toEqual(await advance(dest.index, 2));
    expect((await fromPayload(dest, bytesOf(CHUNK), true, true)).nextDestIndex).toEqual(await advance(dest.index, 1));
  });

  it('gives no elements and an unchanged index for an empty payload', async () => {
    const dest = await ph.keypair(4);
    expect(await fromPayload(dest, new Uint8Array(0), true, true)).toMatchObject({ errorCode: 0, envelopes: null, nextDestIndex: dest.index });
  });

  it('hides the payload: the plaintext does not appear in the elements', async () => {
    const dest = await ph.keypair(5);
    const marker = new Uint8Array(64).fill(0xab);
    const { envelopes } = await fromPayload(dest, marker, true, true);
    const joined = Buffer.concat(envelopes!);
    expect(joined.includes(Buffer.from(marker))).toBe(false);
  });
});

describe('create_courier_envelopes_from_multi_payload', () => {
  it('continues a stream through the buffer across calls', async () => {
    const a = await ph.keypair(6);
    const b = await ph.keypair(7);
    const q1 = ph.qid();
    client.send({
      type: 'create_courier_envelopes_from_multi_payload',
      queryId: q1,
      destinations: [{ payload: bytesOf(1000), writeCap: a.writeCap, startIndex: a.index }],
      isStart: true,
      isLast: false,
      buffer: null,
    });
    const first = await ph.reply('create_courier_envelopes_from_multi_payload_reply', q1);
    expect(shape(first.envelopes)).toEqual([[1, CAPACITY]]);
    expect(first.buffer).toHaveLength(ENVELOPE + 4 - CAPACITY);
    expect(first.nextDestIndices).toEqual([await advance(a.index, 1)]);
    const q2 = ph.qid();
    client.send({
      type: 'create_courier_envelopes_from_multi_payload',
      queryId: q2,
      destinations: [
        { payload: bytesOf(2000), writeCap: b.writeCap, startIndex: b.index },
        { payload: new Uint8Array(0), writeCap: a.writeCap, startIndex: a.index },
      ],
      isStart: false,
      isLast: true,
      buffer: first.buffer,
    });
    const second = await ph.reply('create_courier_envelopes_from_multi_payload_reply', q2);
    const total = first.buffer!.length + 2 * (ENVELOPE + 4);
    expect(shape(second.envelopes)).toEqual([
      [0, CAPACITY],
      [0, CAPACITY],
      [2, total - 2 * CAPACITY],
    ]);
    expect(second.buffer).toBeNull();
    expect(second.nextDestIndices).toEqual([await advance(b.index, 2), a.index]);
  });

  it('returns an empty buffer (not null) when nothing was buffered, and loses START when no element is emitted', async () => {
    const a = await ph.keypair(8);
    const q = ph.qid();
    client.send({
      type: 'create_courier_envelopes_from_multi_payload',
      queryId: q,
      destinations: [{ payload: new Uint8Array(0), writeCap: a.writeCap, startIndex: a.index }],
      isStart: true,
      isLast: false,
      buffer: null,
    });
    const reply = await ph.reply('create_courier_envelopes_from_multi_payload_reply', q);
    expect(reply).toMatchObject({ errorCode: 0, envelopes: null, buffer: new Uint8Array(0) });
    // The stream's first element comes from the next call, which is not the start: no START flag anywhere.
    const q2 = ph.qid();
    client.send({
      type: 'create_courier_envelopes_from_multi_payload',
      queryId: q2,
      destinations: [{ payload: bytesOf(10), writeCap: a.writeCap, startIndex: a.index }],
      isStart: false,
      isLast: true,
      buffer: reply.buffer,
    });
    const next = await ph.reply('create_courier_envelopes_from_multi_payload_reply', q2);
    expect(shape(next.envelopes).map(([f]) => f)).toEqual([0, 2]);
  });
});

describe('create_courier_envelopes_from_tombstone_range', () => {
  it('makes max_count tombstone envelopes and advances by max_count, with the same buffer rules', async () => {
    const dest = await ph.keypair(9);
    const q = ph.qid();
    client.send({ type: 'create_courier_envelopes_from_tombstone_range', queryId: q, destWriteCap: dest.writeCap, destStartIndex: dest.index, maxCount: 2, isStart: true, isLast: true, buffer: null });
    const reply = await ph.reply('create_courier_envelopes_from_tombstone_range_reply', q);
    expect(shape(reply.envelopes).map(([f]) => f)).toEqual([1, 0, 2]);
    expect(reply.buffer).toBeNull();
    expect(reply.nextDestIndex).toEqual(await advance(dest.index, 2));
    const q2 = ph.qid();
    client.send({ type: 'create_courier_envelopes_from_tombstone_range', queryId: q2, destWriteCap: dest.writeCap, destStartIndex: dest.index, maxCount: 1, isStart: true, isLast: false, buffer: null });
    const partial = await ph.reply('create_courier_envelopes_from_tombstone_range_reply', q2);
    expect(shape(partial.envelopes)).toEqual([[1, CAPACITY]]);
    expect(partial.buffer).toHaveLength(ENVELOPE + 4 - CAPACITY);
  });
});

describe('start_resending_copy_command', () => {
  it('copies a payload into the destination, chunk by chunk, and tombstones the temporary channel', async () => {
    const dest = await ph.keypair(20);
    const temp = await ph.keypair(21);
    const payload = bytesOf(3000, 3);
    await writeElements(temp, (await fromPayload(dest, payload, true, true)).envelopes!);
    const before = client.frames.length;
    // Pinned: the result cache is per courier, so only the same courier can answer from it.
    const pin = { courierIdentityHash: blake2b256(syntheticIdentityKey('servicenode1')), courierQueueId: text('courier') };
    const result = await copy(temp.writeCap, pin);
    expect(result).toEqual({ type: 'start_resending_copy_command_reply', queryId: expect.any(Uint8Array), errorCode: 0, replicaErrorCode: 0, failedEnvelopeIndex: 0n });
    // Polling produced no intermediate events: this reply is the only frame since the request.
    expect(client.frames.slice(before).map((f) => f.message)).toEqual([result]);
    const first = await ph.read(dest.readCap, dest.index);
    const second = await ph.read(dest.readCap, await ph.nextIndex(dest.index));
    expect(first.plaintext).toEqual(payload.subarray(0, CHUNK));
    expect(second.plaintext).toEqual(payload.subarray(CHUNK));
    await waitFor(() => sim.readBox(temp.writeCap, temp.index).code === 11, 'the courier to tombstone the temporary box');
    // The result is cached per write-cap hash: re-issuing returns it without re-running (which would now fail).
    expect((await copy(temp.writeCap, pin)).errorCode).toBe(0);
    // Another courier has no cached result: it re-runs the copy over the tombstoned channel.
    const other = { courierIdentityHash: blake2b256(syntheticIdentityKey('servicenode2')), courierQueueId: text('courier') };
    expect(await copy(temp.writeCap, other)).toMatchObject({ errorCode: 26, replicaErrorCode: 11, failedEnvelopeIndex: 1n });
  });

  it('fails with 26, the replica code and the 1-based envelope position; earlier writes stay', async () => {
    const dest = await ph.keypair(22);
    const temp = await ph.keypair(23);
    const payload = bytesOf(3000, 5);
    const second = await ph.nextIndex(dest.index);
    expect(await ph.write(dest.writeCap, second, text('squatter'))).toBe(0);
    await writeElements(temp, (await fromPayload(dest, payload, true, true)).envelopes!);
    expect(await copy(temp.writeCap)).toMatchObject({ errorCode: 26, replicaErrorCode: 10, failedEnvelopeIndex: 2n });
    expect((await ph.read(dest.readCap, dest.index)).plaintext).toEqual(payload.subarray(0, CHUNK));
  });

  it('fails with replica code 1 when the stream has no FINAL (the next box never appears)', async () => {
    const dest = await ph.keypair(24);
    const temp = await ph.keypair(25);
    const q = ph.qid();
    client.send({
      type: 'create_courier_envelopes_from_multi_payload',
      queryId: q,
      destinations: [{ payload: bytesOf(1000), writeCap: dest.writeCap, startIndex: dest.index }],
      isStart: true,
      isLast: false,
      buffer: null,
    });
    const reply = await ph.reply('create_courier_envelopes_from_multi_payload_reply', q);
    await writeElements(temp, reply.envelopes!);
    expect(await copy(temp.writeCap)).toMatchObject({ errorCode: 26, replicaErrorCode: 1, failedEnvelopeIndex: 1n });
  });

  it('tombstones a destination range', async () => {
    const dest = await ph.keypair(26);
    const temp = await ph.keypair(27);
    expect(await ph.write(dest.writeCap, dest.index, text('old'))).toBe(0);
    const q = ph.qid();
    client.send({ type: 'create_courier_envelopes_from_tombstone_range', queryId: q, destWriteCap: dest.writeCap, destStartIndex: dest.index, maxCount: 2, isStart: true, isLast: true, buffer: null });
    await writeElements(temp, (await ph.reply('create_courier_envelopes_from_tombstone_range_reply', q)).envelopes!);
    expect((await copy(temp.writeCap)).errorCode).toBe(0);
    expect((await ph.read(dest.readCap, dest.index)).errorCode).toBe(11);
  });

  it('uses a pinned courier, and fails with 4 when the pinned courier is not in the document', async () => {
    const dest = await ph.keypair(28);
    const temp = await ph.keypair(29);
    await writeElements(temp, (await fromPayload(dest, bytesOf(10), true, true)).envelopes!);
    const courier = blake2b256(syntheticIdentityKey('servicenode2'));
    expect((await copy(temp.writeCap, { courierIdentityHash: courier, courierQueueId: text('courier') })).errorCode).toBe(0);
    const unknown = await ph.keypair(30);
    expect((await copy(unknown.writeCap, { courierIdentityHash: new Uint8Array(32).fill(3), courierQueueId: text('courier') })).errorCode).toBe(4);
  });

  it('answers 3 for a null write cap', async () => {
    expect((await copy(null as unknown as Uint8Array)).errorCode).toBe(3);
  });
});
