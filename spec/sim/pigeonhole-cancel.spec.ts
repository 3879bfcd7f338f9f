import { blake2b256 } from '../../src/pki/blake2b256.js';
import { ManualSimClock, type SimulatorHandle } from '../../src/sim/index.js';
import { startSpecSimulator } from '../support/spec-simulator.js';
import { connectSession, framesBeforeBarrier, id16, kinds, RawClient } from './support/raw-client.js';
import { Pigeonhole, text } from './support/pigeonhole.js';

// DAEMON.md §3.6, §4.2, §9 item 7: cancellation.

let sim: SimulatorHandle;
let client: RawClient;
let ph: Pigeonhole;
let clock: ManualSimClock;

beforeEach(async () => {
  clock = new ManualSimClock();
  sim = await startSpecSimulator({ clock, seed: 'cancel', fixedLatencyMs: 1000 });
  client = (await connectSession(sim.address, id16(1))).client;
  ph = new Pigeonhole(client);
});
afterEach(async () => {
  client.destroy();
  await sim.close();
});

describe('cancel_resending_encrypted_message', () => {
  it('on a dispatched operation: code 24 to the original query (with courier fields), then 0, then nothing', async () => {
    const { readCap, index } = await ph.keypair(1);
    const encrypted = await ph.encryptRead(readCap, index);
    const read = ph.startRead(readCap, index, encrypted);
    await framesBeforeBarrier(client);
    expect(sim.stats().arqInFlight).toBe(1);
    const cancel = ph.qid();
    client.send({ type: 'cancel_resending_encrypted_message', queryId: cancel, envelopeHash: encrypted.envelopeHash });
    const frames = await framesBeforeBarrier(client);
    expect(frames.map((f) => f.message)).toEqual([
      {
        type: 'start_resending_encrypted_message_reply',
        queryId: read,
        plaintext: null,
        errorCode: 24,
        courierIdentityHash: expect.any(Uint8Array),
        courierQueueId: text('courier'),
      },
      { type: 'cancel_resending_encrypted_message_reply', queryId: cancel, errorCode: 0 },
    ]);
    expect(sim.stats().arqInFlight).toBe(0);
    clock.advance(3_600_000);
    expect(kinds(await framesBeforeBarrier(client))).toEqual([]);
  });

  it('before dispatch (still in the FIFO): only the 0 reply, and the operation later completes', async () => {
    const { writeCap, index } = await ph.keypair(2);
    const encrypted = await ph.encryptWrite(writeCap, index, text('raced'));
    sim.setOnline(false);
    await client.nextOf('connection_status_event');
    const write = ph.startWrite(writeCap, encrypted);
    const cancel = ph.qid();
    client.send({ type: 'cancel_resending_encrypted_message', queryId: cancel, envelopeHash: encrypted.envelopeHash });
    const frames = await framesBeforeBarrier(client);
    expect(frames.map((f) => f.message)).toEqual([{ type: 'cancel_resending_encrypted_message_reply', queryId: cancel, errorCode: 0 }]);
    sim.setOnline(true);
    clock.advance(1000);
    expect((await ph.result(write)).errorCode).toBe(0);
  });

  it('after completion: only the 0 reply', async () => {
    const { writeCap, index } = await ph.keypair(3);
    const encrypted = await ph.encryptWrite(writeCap, index, text('done'));
    const write = ph.startWrite(writeCap, encrypted);
    await framesBeforeBarrier(client);
    clock.advance(1000);
    expect(await client.nextOf('start_resending_encrypted_message_reply')).toMatchObject({ queryId: write, errorCode: 0 });
    const cancel = ph.qid();
    client.send({ type: 'cancel_resending_encrypted_message', queryId: cancel, envelopeHash: encrypted.envelopeHash });
    expect(kinds(await framesBeforeBarrier(client))).toEqual(['cancel_resending_encrypted_message_reply']);
  });

  it('reaches only the newest of duplicate submissions; the other completes', async () => {
    const { writeCap, index } = await ph.keypair(4);
    const encrypted = await ph.encryptWrite(writeCap, index, text('twice'));
    const first = ph.startWrite(writeCap, encrypted);
    const second = ph.startWrite(writeCap, encrypted);
    await framesBeforeBarrier(client);
    const cancel = ph.qid();
    client.send({ type: 'cancel_resending_encrypted_message', queryId: cancel, envelopeHash: encrypted.envelopeHash });
    const cancelled = await client.nextOf('start_resending_encrypted_message_reply');
    expect(cancelled).toMatchObject({ queryId: second, errorCode: 24 });
    clock.advance(1000);
    expect((await ph.result(first)).errorCode).toBe(0);
  });
});

describe('one hash namespace for encrypted messages and copy commands', () => {
  it('cancel_resending_copy_command with an envelope hash cancels the encrypted message, reported as a copy reply', async () => {
    const { readCap, index } = await ph.keypair(5);
    const encrypted = await ph.encryptRead(readCap, index);
    const read = ph.startRead(readCap, index, encrypted);
    await framesBeforeBarrier(client);
    const cancel = ph.qid();
    client.send({ type: 'cancel_resending_copy_command', queryId: cancel, writeCapHash: encrypted.envelopeHash });
    expect((await framesBeforeBarrier(client)).map((f) => f.message)).toEqual([
      { type: 'start_resending_copy_command_reply', queryId: read, errorCode: 24, replicaErrorCode: 0, failedEnvelopeIndex: 0n },
      { type: 'cancel_resending_copy_command_reply', queryId: cancel, errorCode: 0 },
    ]);
  });

  it('cancel_resending_copy_command with BLAKE2b-256 of the write cap cancels a polling copy', async () => {
    const temp = await ph.keypair(6);
    // An empty temporary channel: the courier keeps retrying the first box.
    const copy = ph.qid();
    client.send({ type: 'start_resending_copy_command', queryId: copy, writeCap: temp.writeCap });
    await framesBeforeBarrier(client);
    clock.advance(10_000);
    expect(kinds(await framesBeforeBarrier(client))).toEqual([]);
    const cancel = ph.qid();
    client.send({ type: 'cancel_resending_encrypted_message', queryId: cancel, envelopeHash: blake2b256(temp.writeCap) });
    expect((await framesBeforeBarrier(client)).map((f) => f.message)).toEqual([
      {
        type: 'start_resending_encrypted_message_reply',
        queryId: copy,
        plaintext: null,
        errorCode: 24,
        courierIdentityHash: expect.any(Uint8Array),
        courierQueueId: text('courier'),
      },
      { type: 'cancel_resending_encrypted_message_reply', queryId: cancel, errorCode: 0 },
    ]);
  });
});
