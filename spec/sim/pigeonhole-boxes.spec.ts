import { blake2b256 } from '../../src/pki/blake2b256.js';
import { ManualSimClock, syntheticIdentityKey, type SimulatorHandle, type SimulatorOptions } from '../../src/sim/index.js';
import { connectSession, framesBeforeBarrier, id16, kinds, RawClient } from './support/raw-client.js';
import { decode, Pigeonhole, text } from './support/pigeonhole.js';
import { waitFor } from './support/wait-for.js';
import { specTime, startSpecSimulator } from '../support/spec-simulator.js';

// DAEMON.md §3 and §9 items 5–7: box store semantics, the ARQ, indexes, replies while away.

const base = { seed: 'boxes' } as const;
const courierHashes = ['servicenode1', 'servicenode2', 'servicenode3'].map((n) => blake2b256(syntheticIdentityKey(n)));

let sim: SimulatorHandle;
const clients: RawClient[] = [];
async function start(options: SimulatorOptions = {}, token = id16(1)): Promise<Pigeonhole> {
  sim = await startSpecSimulator(specTime({ ...base, ...options }, 'box contents and reply kinds are asserted; timed cases pass a ManualSimClock'));
  return connect(token);
}
async function connect(token = id16(clients.length + 1)): Promise<Pigeonhole> {
  const { client } = await connectSession(sim.address, token);
  clients.push(client);
  return new Pigeonhole(client, 0x100000 * clients.length);
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await sim?.close();
});

describe('box store semantics', () => {
  it('writes and reads back the exact plaintext, with the courier fields set', async () => {
    const ph = await start();
    const { writeCap, readCap, index } = await ph.keypair(1);
    const plaintext = new Uint8Array(1549).map((_, i) => i % 251);
    const encrypted = await ph.encryptWrite(writeCap, index, plaintext);
    const written = await ph.result(ph.startWrite(writeCap, encrypted));
    expect(written).toMatchObject({ errorCode: 0, plaintext: null, courierQueueId: text('courier') });
    expect(courierHashes).toContainEqual(written.courierIdentityHash);
    const read = await ph.read(readCap, index);
    expect(read.errorCode).toBe(0);
    expect(read.plaintext).toEqual(plaintext);
  });

  it('default writes succeed on the ACK whatever the box holds; the first write wins', async () => {
    const ph = await start();
    const { writeCap, readCap, index } = await ph.keypair(2);
    expect(await ph.write(writeCap, index, text('first'))).toBe(0);
    expect(await ph.write(writeCap, index, text('second'))).toBe(0);
    expect(decode((await ph.read(readCap, index)).plaintext)).toBe('first');
  });

  it('with no_idempotent_box_already_exists: 10 for different content, 0 for an identical re-write', async () => {
    const ph = await start();
    const { writeCap, index } = await ph.keypair(3);
    expect(await ph.write(writeCap, index, text('same'), { noIdempotent: true })).toBe(0);
    expect(await ph.write(writeCap, index, text('same'), { noIdempotent: true })).toBe(0);
    expect(await ph.write(writeCap, index, text('other'), { noIdempotent: true })).toBe(10);
  });

  it('a tombstone (empty plaintext) overwrites and reads back as 11; data cannot be written over it', async () => {
    const ph = await start();
    const { writeCap, readCap, index } = await ph.keypair(4);
    expect(await ph.write(writeCap, index, text('to delete'))).toBe(0);
    expect(await ph.write(writeCap, index, new Uint8Array(0), { noIdempotent: true })).toBe(0);
    expect(await ph.read(readCap, index)).toMatchObject({ errorCode: 11, plaintext: null });
    expect(await ph.write(writeCap, index, text('again'), { noIdempotent: true })).toBe(10);
    expect(sim.readBox(readCap, index)).toEqual({ code: 11 });
  });

  it('a read of an empty box returns 1 with no_retry_on_box_id_not_found', async () => {
    const ph = await start();
    const { readCap, index } = await ph.keypair(5);
    expect(await ph.read(readCap, index, { noRetry: true })).toMatchObject({ errorCode: 1, plaintext: null });
  });

  it('a read of an empty box polls until the box is written', async () => {
    const ph = await start();
    const { writeCap, readCap, index } = await ph.keypair(6);
    const encrypted = await ph.encryptRead(readCap, index);
    const polling = ph.startRead(readCap, index, encrypted);
    // Sent after the polling read: proves the box was still empty after that read started.
    expect((await ph.read(readCap, index, { noRetry: true })).errorCode).toBe(1);
    expect(await ph.write(writeCap, index, text('late'))).toBe(0);
    const result = await ph.result(polling);
    expect(result.errorCode).toBe(0);
    expect(decode(result.plaintext)).toBe('late');
  });

  it('a read cap reads only what its own write cap wrote', async () => {
    const ph = await start();
    const alice = await ph.keypair(7);
    const bob = await ph.keypair(8);
    expect(await ph.write(alice.writeCap, alice.index, text('alice'))).toBe(0);
    expect((await ph.read(bob.readCap, bob.index, { noRetry: true })).errorCode).toBe(1);
    expect(decode((await ph.read(alice.readCap, alice.index)).plaintext)).toBe('alice');
  });

  it('boxes at successive indexes are independent', async () => {
    const ph = await start();
    const { writeCap, readCap, index } = await ph.keypair(9);
    const second = await ph.nextIndex(index);
    expect(await ph.write(writeCap, index, text('one'))).toBe(0);
    expect(await ph.write(writeCap, second, text('two'))).toBe(0);
    expect(decode((await ph.read(readCap, second)).plaintext)).toBe('two');
    expect(decode((await ph.read(readCap, index)).plaintext)).toBe('one');
  });

  it('answers 23 when start_resending gets another index than encrypt_read (25 for a tombstone), 22 for a foreign descriptor', async () => {
    const ph = await start();
    const { writeCap, readCap, index } = await ph.keypair(10);
    const other = await ph.nextIndex(index);
    expect(await ph.write(writeCap, index, text('x'))).toBe(0);
    const encrypted = await ph.encryptRead(readCap, index);
    expect((await ph.result(ph.startRead(readCap, other, encrypted))).errorCode).toBe(23);
    const foreign = await ph.encryptRead(readCap, index);
    const mismatched = await ph.encryptRead(readCap, index);
    expect((await ph.result(ph.startRead(readCap, index, mismatched, { descriptor: foreign.envelopeDescriptor!.exposeBytes() }))).errorCode).toBe(22);
    expect(await ph.write(writeCap, other, new Uint8Array(0))).toBe(0);
    const tomb = await ph.encryptRead(readCap, other);
    expect((await ph.result(ph.startRead(readCap, index, tomb))).errorCode).toBe(25);
  });
});

describe('start_resending_encrypted_message validation (at dispatch)', () => {
  it('answers 3 for each missing field and 4 for an oversize ciphertext, with null courier fields', async () => {
    const ph = await start();
    const { writeCap, readCap, index } = await ph.keypair(11);
    const w = await ph.encryptWrite(writeCap, index, text('v'));
    const good = { envelopeDescriptor: w.envelopeDescriptor, messageCiphertext: w.messageCiphertext, envelopeHash: w.envelopeHash, writeCap };
    const cases = [
      { ...good, envelopeHash: null },
      { ...good, messageCiphertext: new Uint8Array(0) },
      { ...good, envelopeDescriptor: null },
      { ...good, readCap, messageBoxIndex: index },
      { ...good, writeCap: null },
      { ...good, messageCiphertext: new Uint8Array(2001) },
    ];
    const codes: number[] = [];
    for (const fields of cases) {
      const queryId = ph.qid();
      ph.client.send({ type: 'start_resending_encrypted_message', queryId, ...fields });
      const reply = await ph.result(queryId);
      expect(reply).toMatchObject({ courierIdentityHash: null, courierQueueId: null, plaintext: null });
      codes.push(reply.errorCode);
    }
    expect(codes).toEqual([3, 3, 3, 3, 3, 4]);
  });

  it('answers 4 when the document lists no courier', async () => {
    const ph = await start({ services: [{ capability: 'echo', endpoint: '+echo', nodeName: 'servicenode1' }] });
    const { writeCap, index } = await ph.keypair(12);
    expect(await ph.write(writeCap, index, text('nowhere'))).toBe(4);
  });

  it('runs duplicate submissions of one envelope as independent operations', async () => {
    const ph = await start();
    const { writeCap, index } = await ph.keypair(13);
    const encrypted = await ph.encryptWrite(writeCap, index, text('dup'));
    const a = ph.startWrite(writeCap, encrypted);
    const b = ph.startWrite(writeCap, encrypted);
    expect((await ph.result(a)).errorCode).toBe(0);
    expect((await ph.result(b)).errorCode).toBe(0);
  });
});

describe('ARQ timing', () => {
  it('in fixed-latency mode a write and a read of a written box each take exactly L', async () => {
    const clock = new ManualSimClock();
    const ph = await start({ clock, fixedLatencyMs: 400 });
    const { writeCap, readCap, index } = await ph.keypair(14);
    const encrypted = await ph.encryptWrite(writeCap, index, text('timed'));
    const write = ph.startWrite(writeCap, encrypted);
    await framesBeforeBarrier(ph.client);
    clock.advance(399);
    expect(kinds(await framesBeforeBarrier(ph.client))).toEqual([]);
    clock.advance(1);
    expect((await ph.result(write)).errorCode).toBe(0);
    const r = await ph.encryptRead(readCap, index);
    const read = ph.startRead(readCap, index, r);
    await framesBeforeBarrier(ph.client);
    clock.advance(399);
    expect(kinds(await framesBeforeBarrier(ph.client))).toEqual([]);
    clock.advance(1);
    expect(decode((await ph.result(read)).plaintext)).toBe('timed');
  });

  it('retransmits an unanswered packet after reply_eta + 20 s, to the same courier, forever', async () => {
    const clock = new ManualSimClock();
    const ph = await start({ clock, fixedLatencyMs: 1000 });
    const { writeCap, index } = await ph.keypair(15);
    const encrypted = await ph.encryptWrite(writeCap, index, text('lost'));
    // The gateway link drops right after the send: the reply is lost on the way back.
    const write = ph.startWrite(writeCap, encrypted);
    await framesBeforeBarrier(ph.client);
    sim.setOnline(false);
    clock.advance(1000);
    sim.setOnline(true);
    await framesBeforeBarrier(ph.client);
    clock.advance(19_999);
    expect(kinds(await framesBeforeBarrier(ph.client)).filter((k) => k !== 'connection_status_event')).toEqual([]);
    // Resent at reply_eta + 20 s = 21 s, answered one round trip later.
    clock.advance(1);
    expect(sim.stats().arqInFlight).toBe(1);
    clock.advance(999);
    expect(kinds(await framesBeforeBarrier(ph.client)).filter((k) => k !== 'connection_status_event')).toEqual([]);
    clock.advance(1);
    expect((await ph.result(write)).errorCode).toBe(0);
  });
});

describe('replies while the client is away (DAEMON.md §1.3)', () => {
  it('drops the reply and orphans the ARQ: no reply after resume, but a cancel still finds it', async () => {
    const clock = new ManualSimClock();
    const token = id16(77);
    const ph = await start({ clock, fixedLatencyMs: 1000 }, token);
    const { writeCap, index } = await ph.keypair(16);
    const encrypted = await ph.encryptWrite(writeCap, index, text('orphan'));
    const write = ph.startWrite(writeCap, encrypted);
    await framesBeforeBarrier(ph.client);
    expect(sim.stats().arqInFlight).toBe(1);
    ph.client.destroy();
    await waitFor(() => sim.stats().disconnectedSessions === 1, 'the grace period to start');
    clock.advance(60_000);
    const again = await connect(token);
    expect(kinds(await framesBeforeBarrier(again.client))).toEqual([]);
    // The write itself landed: work at the couriers continues regardless.
    expect(sim.readBox(writeCap, index)).toEqual({ code: 0, plaintext: text('orphan') });
    const cancel = again.qid();
    again.client.send({ type: 'cancel_resending_encrypted_message', queryId: cancel, envelopeHash: encrypted.envelopeHash });
    const first = await again.client.nextOf('start_resending_encrypted_message_reply');
    expect(first).toMatchObject({ queryId: write, errorCode: 24 });
    expect(await again.client.nextOf('cancel_resending_encrypted_message_reply')).toMatchObject({ queryId: cancel, errorCode: 0 });
  });

  it('loses everything on a daemon restart: no reply ever comes for in-flight operations', async () => {
    const clock = new ManualSimClock();
    const token = id16(78);
    const ph = await start({ clock, fixedLatencyMs: 1000 }, token);
    const { readCap, index } = await ph.keypair(17);
    const encrypted = await ph.encryptRead(readCap, index);
    ph.startRead(readCap, index, encrypted);
    await framesBeforeBarrier(ph.client);
    sim.restart();
    await ph.client.waitClosed();
    const again = await connect(token);
    clock.advance(3_600_000);
    expect(kinds(await framesBeforeBarrier(again.client))).toEqual([]);
    expect(sim.stats().arqInFlight).toBe(0);
  });
});
