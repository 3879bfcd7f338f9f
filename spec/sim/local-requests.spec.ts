import { decodeSignedPKIDocument } from '../../src/pki/decode-signed-pki-document.js';
import { toHex } from '../../src/core/hex.js';
import { idx64, type SimulatorHandle, type SimulatorOptions } from '../../src/sim/index.js';
import { specTime, startSpecSimulator } from '../support/spec-simulator.js';
import type { DaemonMessageOf, Request, ResponseKind } from '../../src/wire/messages.js';
import { connectSession, id16, RawClient } from './support/raw-client.js';

// DAEMON.md §2: every local request's validations, in order, with and without a document.

const base = { seed: 'local' } as const;
const REAL_TIME = 'local requests are answered inline; only answers are asserted';
const seed = (n: number): Uint8Array => new Uint8Array(32).fill(n);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

let sim: SimulatorHandle;
let client: RawClient;
let nextId = 1;

async function setup(options: SimulatorOptions = {}): Promise<void> {
  sim = await startSpecSimulator(specTime({ ...base, ...options }, REAL_TIME));
  client = (await connectSession(sim.address)).client;
}

async function teardown(): Promise<void> {
  client?.destroy();
  await sim?.close();
}

/** Sends a request and returns the reply of kind `kind`, checking it echoes the query id. */
async function ask<K extends ResponseKind>(kind: K, request: Request): Promise<DaemonMessageOf<K>> {
  const queryId = 'queryId' in request && request.queryId !== undefined ? request.queryId : null;
  client.send(request);
  const reply = await client.nextOf(kind);
  if ('queryId' in reply && queryId !== null) expect(reply.queryId).toEqual(queryId);
  return reply;
}

function qid(): Uint8Array {
  return id16(nextId++);
}

async function keypair(n = 1): Promise<DaemonMessageOf<'new_keypair_reply'>> {
  return ask('new_keypair_reply', { type: 'new_keypair', queryId: qid(), seed: seed(n) });
}

describe('local requests with a document', () => {
  beforeAll(() => setup());
  afterAll(teardown);

  describe('new_keypair', () => {
    it.each([
      ['null', null],
      ['31 bytes', new Uint8Array(31)],
      ['33 bytes', new Uint8Array(33)],
    ])('refuses a seed of %s with 3 and null fields', async (_label, value) => {
      const reply = await ask('new_keypair_reply', { type: 'new_keypair', queryId: qid(), seed: value });
      expect(reply).toMatchObject({ errorCode: 3, writeCap: null, readCap: null, firstMessageIndex: null });
    });

    it('derives caps deterministically from the seed, with the BACAP layout', async () => {
      const a = await keypair(1);
      const again = await keypair(1);
      const other = await keypair(2);
      expect(a.errorCode).toBe(0);
      expect(a.writeCap).toHaveLength(168);
      expect(a.readCap).toHaveLength(136);
      expect(a.firstMessageIndex).toHaveLength(104);
      expect(again.writeCap).toEqual(a.writeCap);
      expect(other.writeCap).not.toEqual(a.writeCap);
      // ReadCap = public key ‖ index = the write cap's bytes 32…168.
      expect(a.readCap).toEqual(a.writeCap!.exposeBytes().subarray(32));
      expect(a.readCap!.subarray(32)).toEqual(a.firstMessageIndex);
      // Idx64 starts at a pseudo-random value, not 0.
      expect(idx64(a.firstMessageIndex!)).not.toBe(0n);
    });
  });

  describe('next_message_box_index and get_message_box_index_counter', () => {
    it('advances Idx64 by one, as a pure function of the index', async () => {
      const { firstMessageIndex } = await keypair(3);
      const n1 = await ask('next_message_box_index_reply', { type: 'next_message_box_index', queryId: qid(), messageBoxIndex: firstMessageIndex });
      const n2 = await ask('next_message_box_index_reply', { type: 'next_message_box_index', queryId: qid(), messageBoxIndex: firstMessageIndex });
      expect(n1.errorCode).toBe(0);
      expect(n2.nextMessageBoxIndex).toEqual(n1.nextMessageBoxIndex);
      const c0 = await ask('get_message_box_index_counter_reply', { type: 'get_message_box_index_counter', queryId: qid(), messageBoxIndex: firstMessageIndex });
      const c1 = await ask('get_message_box_index_counter_reply', { type: 'get_message_box_index_counter', queryId: qid(), messageBoxIndex: n1.nextMessageBoxIndex });
      expect(c1.counter).toBe(c0.counter + 1n);
      expect(c0.counter).toBe(idx64(firstMessageIndex!));
    });

    it('answers 3 for a null index and 4 on Idx64 overflow', async () => {
      expect((await ask('next_message_box_index_reply', { type: 'next_message_box_index', queryId: qid(), messageBoxIndex: null })).errorCode).toBe(3);
      expect((await ask('get_message_box_index_counter_reply', { type: 'get_message_box_index_counter', queryId: qid(), messageBoxIndex: null })).errorCode).toBe(3);
      const last = new Uint8Array(104);
      last.fill(0xff, 0, 8);
      expect((await ask('next_message_box_index_reply', { type: 'next_message_box_index', queryId: qid(), messageBoxIndex: last })).errorCode).toBe(4);
      const counter = await ask('get_message_box_index_counter_reply', { type: 'get_message_box_index_counter', queryId: qid(), messageBoxIndex: last });
      expect(counter.counter).toBe(0xffff_ffff_ffff_ffffn);
    });
  });

  describe('encrypt_read / encrypt_write', () => {
    it('refuses missing fields with 3, in the daemon order', async () => {
      const { writeCap, readCap, firstMessageIndex: index } = await keypair(4);
      const read = (r: Partial<Extract<Request, { type: 'encrypt_read' }>>) =>
        ask('encrypt_read_reply', { type: 'encrypt_read', queryId: qid(), readCap, messageBoxIndex: index, ...r });
      const write = (r: Partial<Extract<Request, { type: 'encrypt_write' }>>) =>
        ask('encrypt_write_reply', { type: 'encrypt_write', queryId: qid(), writeCap, messageBoxIndex: index, plaintext: text('x'), ...r });
      expect((await read({ readCap: null })).errorCode).toBe(3);
      expect((await read({ messageBoxIndex: null })).errorCode).toBe(3);
      expect((await write({ writeCap: null })).errorCode).toBe(3);
      expect((await write({ messageBoxIndex: null })).errorCode).toBe(3);
      expect((await write({ plaintext: null })).errorCode).toBe(3);
      const tooLong = await write({ plaintext: new Uint8Array(1550) });
      expect(tooLong).toMatchObject({ errorCode: 3, messageCiphertext: null, envelopeDescriptor: null, envelopeHash: null, nextMessageBoxIndex: null });
    });

    it('returns a ciphertext of CourierQuery length, a fresh envelope hash per call and the next index', async () => {
      const { writeCap, readCap, firstMessageIndex: index } = await keypair(5);
      const next = await ask('next_message_box_index_reply', { type: 'next_message_box_index', queryId: qid(), messageBoxIndex: index });
      const w1 = await ask('encrypt_write_reply', { type: 'encrypt_write', queryId: qid(), writeCap, messageBoxIndex: index, plaintext: new Uint8Array(1549).fill(7) });
      const w2 = await ask('encrypt_write_reply', { type: 'encrypt_write', queryId: qid(), writeCap, messageBoxIndex: index, plaintext: new Uint8Array(1549).fill(7) });
      const tomb = await ask('encrypt_write_reply', { type: 'encrypt_write', queryId: qid(), writeCap, messageBoxIndex: index, plaintext: new Uint8Array(0) });
      const r = await ask('encrypt_read_reply', { type: 'encrypt_read', queryId: qid(), readCap, messageBoxIndex: index });
      for (const reply of [w1, w2, tomb, r]) {
        expect(reply.errorCode).toBe(0);
        expect(reply.messageCiphertext).toHaveLength(2000);
        expect(reply.envelopeHash).toHaveLength(32);
        expect(reply.envelopeDescriptor!.length).toBeGreaterThan(0);
        expect(reply.nextMessageBoxIndex).toEqual(next.nextMessageBoxIndex);
      }
      expect(w2.envelopeHash).not.toEqual(w1.envelopeHash);
      expect(w2.messageCiphertext).not.toEqual(w1.messageCiphertext);
      // The plaintext does not appear in the clear.
      expect(toHex(w1.messageCiphertext!)).not.toContain('07'.repeat(64));
    });
  });

  describe('get_pki_document', () => {
    it('returns the signed current document for epoch 0, with the document epoch', async () => {
      const reply = await ask('get_pki_document_reply', { type: 'get_pki_document', queryId: qid(), epoch: 0n });
      expect(reply.errorCode).toBe(0);
      expect(reply.epoch).toBe(BigInt(sim.epoch));
      const signed = decodeSignedPKIDocument(reply.payload!);
      expect(signed.document.epoch).toBe(sim.epoch);
      expect(signed.expiration).toBe(sim.epoch + 5);
    });

    it('answers 10 with the requested epoch for one it does not hold', async () => {
      const epoch = BigInt(sim.epoch + 7);
      const reply = await ask('get_pki_document_reply', { type: 'get_pki_document', queryId: qid(), epoch });
      expect(reply).toMatchObject({ errorCode: 10, epoch, payload: null });
    });
  });

  it('get_directory_authorities lists the signers of the document', async () => {
    const reply = await ask('get_directory_authorities_reply', { type: 'get_directory_authorities', queryId: qid() });
    expect(reply.errorCode).toBe(0);
    expect(reply.authorities!.map((a) => a.identifier)).toEqual(['auth1', 'auth2', 'auth3']);
    const doc = await ask('get_pki_document_reply', { type: 'get_pki_document', queryId: qid(), epoch: 0n });
    const signers = [...decodeSignedPKIDocument(doc.payload!).signatures.keys()].sort();
    expect(reply.authorities!.map((a) => toHex(a.identityKeyHash!)).sort()).toEqual(signers);
  });

  describe('cancel requests', () => {
    it('refuse a null query id or hash with 3 and answer an unknown hash with a single 0', async () => {
      expect((await ask('cancel_resending_encrypted_message_reply', { type: 'cancel_resending_encrypted_message', queryId: null, envelopeHash: new Uint8Array(32) })).errorCode).toBe(3);
      expect((await ask('cancel_resending_encrypted_message_reply', { type: 'cancel_resending_encrypted_message', queryId: qid(), envelopeHash: null })).errorCode).toBe(3);
      expect((await ask('cancel_resending_copy_command_reply', { type: 'cancel_resending_copy_command', queryId: null, writeCapHash: new Uint8Array(32) })).errorCode).toBe(3);
      expect((await ask('cancel_resending_copy_command_reply', { type: 'cancel_resending_copy_command', queryId: qid(), writeCapHash: null })).errorCode).toBe(3);
      const q = qid();
      client.send({ type: 'cancel_resending_encrypted_message', queryId: q, envelopeHash: new Uint8Array(32).fill(9) });
      expect((await client.next()).message).toEqual({ type: 'cancel_resending_encrypted_message_reply', queryId: q, errorCode: 0 });
    });
  });

  describe('copy-stream constructors', () => {
    it('validate in the daemon order', async () => {
      const { writeCap, firstMessageIndex: index } = await keypair(6);
      const from = (r: object) =>
        ask('create_courier_envelopes_from_payload_reply', {
          type: 'create_courier_envelopes_from_payload',
          queryId: qid(),
          destWriteCap: writeCap,
          destStartIndex: index,
          payload: text('x'),
          ...r,
        } as Request);
      expect((await from({ destWriteCap: null })).errorCode).toBe(3);
      expect((await from({ destStartIndex: null })).errorCode).toBe(3);
      expect((await from({ payload: new Uint8Array(10 * 1024 * 1024 + 1) })).errorCode).toBe(3);
      const multi = (destinations: object[] | null) =>
        ask('create_courier_envelopes_from_multi_payload_reply', {
          type: 'create_courier_envelopes_from_multi_payload',
          queryId: qid(),
          destinations,
          isStart: true,
          isLast: true,
        } as Request);
      expect((await multi(null)).errorCode).toBe(3);
      expect((await multi([])).errorCode).toBe(3);
      expect((await multi([{ payload: text('a'), writeCap, startIndex: index }, { payload: text('b'), writeCap: null, startIndex: index }])).errorCode).toBe(3);
      expect((await multi([{ payload: text('a'), writeCap, startIndex: null }])).errorCode).toBe(3);
      expect((await multi([{ payload: new Uint8Array(10 * 1024 * 1024 + 1), writeCap, startIndex: index }])).errorCode).toBe(3);
      const tomb = (r: object) =>
        ask('create_courier_envelopes_from_tombstone_range_reply', {
          type: 'create_courier_envelopes_from_tombstone_range',
          queryId: qid(),
          destWriteCap: writeCap,
          destStartIndex: index,
          maxCount: 1,
          ...r,
        } as Request);
      expect((await tomb({ destWriteCap: null })).errorCode).toBe(3);
      expect((await tomb({ destStartIndex: null })).errorCode).toBe(3);
    });
  });

  describe('vouchers', () => {
    it('mint → induct → open round-trips, with consistent mutated caps', async () => {
      const alice = await keypair(10);
      const mint = await ask('voucher_mint_reply', { type: 'voucher_mint', queryId: qid(), messageWriteCap: alice.writeCap, displayName: 'Alice' });
      expect(mint.errorCode).toBe(0);
      const induct = await ask('voucher_induct_reply', {
        type: 'voucher_induct',
        queryId: qid(),
        voucher: mint.voucher,
        voucherPayload: mint.voucherPayload,
        whoReply: text('bob here'),
      });
      expect(induct).toMatchObject({ errorCode: 0, displayName: 'Alice' });
      const opened = await ask('voucher_open_reply', {
        type: 'voucher_open',
        queryId: qid(),
        voucherSecretKey: mint.voucherSecretKey,
        sealedReply: induct.sealedReply,
        messageWriteCap: alice.writeCap,
      });
      expect(opened.errorCode).toBe(0);
      expect(new TextDecoder().decode(opened.whoReply!)).toBe('bob here');
      expect(opened.salt).toEqual(induct.salt);
      expect(opened.mutatedMessageWriteCap!.exposeBytes().subarray(32)).toEqual(induct.mutatedMessageReadCap);
      const derived = await ask('voucher_derive_stream_reply', { type: 'voucher_derive_stream', queryId: qid(), voucher: mint.voucher });
      expect(derived.voucherWriteCap).toEqual(mint.voucherWriteCap);
      expect(induct.voucherReadCap).toEqual(mint.voucherReadCap);
    });

    it('answers 28 for a payload that does not hash to the voucher and 30 for a seal that does not open', async () => {
      const alice = await keypair(11);
      const mint = await ask('voucher_mint_reply', { type: 'voucher_mint', queryId: qid(), messageWriteCap: alice.writeCap, displayName: 'A' });
      const bad = await ask('voucher_induct_reply', { type: 'voucher_induct', queryId: qid(), voucher: new Uint8Array(32), voucherPayload: mint.voucherPayload, whoReply: text('x') });
      expect(bad.errorCode).toBe(28);
      const induct = await ask('voucher_induct_reply', { type: 'voucher_induct', queryId: qid(), voucher: mint.voucher, voucherPayload: mint.voucherPayload, whoReply: text('x') });
      const tampered = induct.sealedReply!.slice();
      tampered[20] = tampered[20]! ^ 1;
      const open = await ask('voucher_open_reply', { type: 'voucher_open', queryId: qid(), voucherSecretKey: mint.voucherSecretKey, sealedReply: tampered, messageWriteCap: alice.writeCap });
      expect(open.errorCode).toBe(30);
    });
  });
});

describe('local requests without a document (an offline daemon)', () => {
  beforeAll(() => setup({ hasDocument: false, pkiWaitMs: 10 }));
  afterAll(teardown);

  it('still answers new_keypair, next_message_box_index and get_message_box_index_counter', async () => {
    const kp = await keypair(1);
    expect(kp.errorCode).toBe(0);
    expect((await ask('next_message_box_index_reply', { type: 'next_message_box_index', queryId: qid(), messageBoxIndex: kp.firstMessageIndex })).errorCode).toBe(0);
    expect((await ask('get_message_box_index_counter_reply', { type: 'get_message_box_index_counter', queryId: qid(), messageBoxIndex: kp.firstMessageIndex })).errorCode).toBe(0);
  });

  it('answers encrypt_* with 4 (the document check comes before the size check)', async () => {
    const { writeCap, readCap, firstMessageIndex: index } = await keypair(2);
    expect((await ask('encrypt_read_reply', { type: 'encrypt_read', queryId: qid(), readCap, messageBoxIndex: index })).errorCode).toBe(4);
    expect((await ask('encrypt_write_reply', { type: 'encrypt_write', queryId: qid(), writeCap, messageBoxIndex: index, plaintext: new Uint8Array(5000) })).errorCode).toBe(4);
    // Missing fields are still 3: checked before the document.
    expect((await ask('encrypt_write_reply', { type: 'encrypt_write', queryId: qid(), writeCap, messageBoxIndex: index, plaintext: null })).errorCode).toBe(3);
  });

  it('answers get_pki_document with 10 and the computed current epoch for 0, the requested one otherwise', async () => {
    const current = await ask('get_pki_document_reply', { type: 'get_pki_document', queryId: qid(), epoch: 0n });
    expect(current).toMatchObject({ errorCode: 10, epoch: BigInt(sim.epoch), payload: null });
    const other = await ask('get_pki_document_reply', { type: 'get_pki_document', queryId: qid(), epoch: 5n });
    expect(other).toMatchObject({ errorCode: 10, epoch: 5n });
  });

  it('answers get_directory_authorities from its config', async () => {
    expect((await ask('get_directory_authorities_reply', { type: 'get_directory_authorities', queryId: qid() })).errorCode).toBe(0);
  });

  it('answers the constructors with 4, except a tombstone range of 0 which succeeds', async () => {
    const { writeCap, firstMessageIndex: index } = await keypair(3);
    const payload = await ask('create_courier_envelopes_from_payload_reply', {
      type: 'create_courier_envelopes_from_payload',
      queryId: qid(),
      payload: text('x'),
      destWriteCap: writeCap,
      destStartIndex: index,
      isStart: true,
      isLast: true,
    });
    expect(payload.errorCode).toBe(4);
    // The document check comes before the per-destination checks.
    const multi = await ask('create_courier_envelopes_from_multi_payload_reply', {
      type: 'create_courier_envelopes_from_multi_payload',
      queryId: qid(),
      destinations: [{ payload: text('x'), writeCap: null, startIndex: index }],
      isStart: true,
      isLast: true,
    });
    expect(multi.errorCode).toBe(4);
    const zero = await ask('create_courier_envelopes_from_tombstone_range_reply', {
      type: 'create_courier_envelopes_from_tombstone_range',
      queryId: qid(),
      destWriteCap: writeCap,
      destStartIndex: index,
      maxCount: 0,
      isStart: true,
      isLast: false,
      buffer: new Uint8Array(10).fill(1),
    });
    expect(zero).toMatchObject({ errorCode: 0, envelopes: null, buffer: null, nextDestIndex: index });
    const one = await ask('create_courier_envelopes_from_tombstone_range_reply', {
      type: 'create_courier_envelopes_from_tombstone_range',
      queryId: qid(),
      destWriteCap: writeCap,
      destStartIndex: index,
      maxCount: 1,
      isStart: true,
      isLast: true,
    });
    expect(one.errorCode).toBe(4);
  });
});

describe('daemon configuration', () => {
  afterEach(teardown);

  it('answers get_directory_authorities with 10 when none are configured', async () => {
    await setup({ directoryAuthorities: [] });
    expect((await ask('get_directory_authorities_reply', { type: 'get_directory_authorities', queryId: qid() })).errorCode).toBe(10);
  });

  it('answers encrypt_read with 4 when the document has fewer than two replicas', async () => {
    await setup({ storageReplicas: 1 });
    const { readCap, firstMessageIndex } = await keypair(1);
    expect((await ask('encrypt_read_reply', { type: 'encrypt_read', queryId: qid(), readCap, messageBoxIndex: firstMessageIndex })).errorCode).toBe(4);
  });

  it('derives the whole geometry from UserForwardPayloadLength', async () => {
    sim = await startSpecSimulator({ ...base, realTime: REAL_TIME, geometry: { userForwardPayloadLength: 600 } });
    const session = await connectSession(sim.address);
    client = session.client;
    expect(session.status.pigeonholeGeometry).toMatchObject({ maxPlaintextPayloadLength: 149, courierQueryWriteLength: 600 });
    expect(session.status.sphinxGeometry).toMatchObject({ userForwardPayloadLength: 600, forwardPayloadLength: 1174, packetLength: 1682 });
    const { writeCap, firstMessageIndex } = await keypair(1);
    const write = (length: number) =>
      ask('encrypt_write_reply', { type: 'encrypt_write', queryId: qid(), writeCap, messageBoxIndex: firstMessageIndex, plaintext: new Uint8Array(length) });
    expect((await write(150)).errorCode).toBe(3);
    expect((await write(149)).messageCiphertext).toHaveLength(600);
  });

  it('keeps the previous epoch cached after a new document', async () => {
    await setup();
    const before = sim.epoch;
    sim.publishNewDocument();
    const previous = await ask('get_pki_document_reply', { type: 'get_pki_document', queryId: qid(), epoch: BigInt(before) });
    expect(previous).toMatchObject({ errorCode: 0, epoch: BigInt(before) });
    const older = await ask('get_pki_document_reply', { type: 'get_pki_document', queryId: qid(), epoch: BigInt(before - 1) });
    expect(older.errorCode).toBe(10);
  });
});
