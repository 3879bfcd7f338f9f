import { decodePKIDocument } from '../../src/pki/decode-pki-document.js';
import { EPOCH_GENESIS_MS, ManualSimClock, type SimulatorHandle } from '../../src/sim/index.js';
import { startSpecSimulator } from '../support/spec-simulator.js';
import { RESPONSE_KINDS } from '../../src/wire/messages.js';
import { connectSession, framesBeforeBarrier, id16, RawClient } from './support/raw-client.js';
import { waitFor } from './support/wait-for.js';

// DAEMON.md §0–§1, §9 items 1, 2, 9: framing, the handshake, sessions, lifecycle.

const base = { seed: 'handshake' } as const;
/** For the cases that assert only frames and their order, not when they come. */
const realTime = { ...base, realTime: 'only frames and their order are asserted' } as const;

describe('simulator handshake', () => {
  let sim: SimulatorHandle;
  const clients: RawClient[] = [];
  const open = async (): Promise<RawClient> => {
    const client = await RawClient.connect(sim.address);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    await sim?.close();
  });

  it('sends connection_status_event then new_pki_document_event, each with all 25 keys and one non-null', async () => {
    sim = await startSpecSimulator(realTime);
    const client = await open();
    const first = await client.next();
    const second = await client.next();
    for (const frame of [first, second]) {
      expect(Object.keys(frame.raw)).toEqual([...RESPONSE_KINDS]);
      expect(Object.values(frame.raw).filter((v) => v !== null)).toHaveLength(1);
    }
    expect(first.message).toEqual({
      type: 'connection_status_event',
      isConnected: true,
      err: null,
      instanceToken: sim.instanceToken,
      sphinxGeometry: {
        packetLength: 3082,
        nrHops: 5,
        headerLength: 476,
        routingInfoLength: 410,
        perHopRoutingInfoLength: 82,
        surbLength: 572,
        sphinxPlaintextHeaderLength: 2,
        payloadTagLength: 32,
        forwardPayloadLength: 2574,
        userForwardPayloadLength: 2000,
        nextNodeHopLength: 65,
        sprpKeyMaterialLength: 64,
        nikeName: 'x25519',
        kemName: '',
      },
      pigeonholeGeometry: {
        maxPlaintextPayloadLength: 1549,
        courierQueryReadLength: 2000,
        courierQueryWriteLength: 2000,
        courierQueryReplyReadLength: 1718,
        courierQueryReplyWriteLength: 1718,
        nikeName: 'CTIDH1024-X25519',
        signatureSchemeName: 'Ed25519',
      },
    });
    // The raw map carries `err: null` and Go field names for the geometry.
    expect((first.raw['connection_status_event'] as Record<string, unknown>)['err']).toBeNull();
    expect(second.message.type).toBe('new_pki_document_event');
    if (second.message.type !== 'new_pki_document_event') return;
    const doc = decodePKIDocument(second.message.payload!);
    expect(doc.epoch).toBe(sim.epoch);
    expect(doc.serviceNodes.length).toBe(3);
  });

  it('answers a fresh session token with resumed:false and a 16-byte AppID, before anything else', async () => {
    sim = await startSpecSimulator(realTime);
    const client = await open();
    await client.next();
    await client.next();
    client.send({ type: 'session_token', clientInstanceToken: id16(1) });
    const reply = await client.next();
    expect(reply.message.type).toBe('session_token_reply');
    if (reply.message.type !== 'session_token_reply') return;
    expect(reply.message.resumed).toBe(false);
    expect(reply.message.appId).toHaveLength(16);
  });

  it('can put an event before the session_token_reply, as a broadcast may', async () => {
    sim = await startSpecSimulator({ ...realTime, eventBeforeSessionTokenReply: true });
    const client = await open();
    await client.next();
    await client.next();
    client.send({ type: 'session_token', clientInstanceToken: id16(2) });
    expect((await client.next()).message.type).toBe('connection_status_event');
    expect((await client.next()).message.type).toBe('session_token_reply');
  });

  it('keeps one instance token across connections and changes it on restart (after shutdown_event)', async () => {
    sim = await startSpecSimulator(realTime);
    const token = id16(7);
    const a = await connectSession(sim.address, token);
    const b = await connectSession(sim.address, id16(8));
    clients.push(a.client, b.client);
    expect(b.status.instanceToken).toEqual(a.status.instanceToken);
    sim.restart();
    expect((await a.client.next()).message.type).toBe('shutdown_event');
    await a.client.waitClosed();
    const again = await RawClient.connect(sim.address);
    clients.push(again);
    const status = await again.nextOf('connection_status_event');
    expect(status.instanceToken).not.toEqual(a.status.instanceToken);
    expect(status.instanceToken).toEqual(sim.instanceToken);
    // All state was lost: the token is unknown to the new process.
    again.send({ type: 'session_token', clientInstanceToken: token });
    const reply = await again.nextOf('session_token_reply');
    expect(reply.resumed).toBe(false);
    expect(reply.appId).not.toEqual(a.appId);
  });

  it('kill drops connections without shutdown_event and changes the instance token', async () => {
    sim = await startSpecSimulator(realTime);
    const a = await connectSession(sim.address);
    clients.push(a.client);
    sim.kill();
    await a.client.waitClosed();
    expect(a.client.pending().map((f) => f.message.type)).toEqual([]);
    expect(sim.instanceToken).not.toEqual(a.status.instanceToken);
  });

  it('close sends shutdown_event to every connection, including one still waiting for its handshake', async () => {
    const clock = new ManualSimClock();
    sim = await startSpecSimulator({ ...base, clock, hasDocument: false });
    const waiting = await open();
    await waitFor(() => sim.stats().connections === 1, 'the connection to register');
    await sim.close();
    expect((await waiting.next()).message.type).toBe('shutdown_event');
    await waiting.waitClosed();
  });

  it('resumes a session: same AppID, queued legacy replies flushed before session_token_reply', async () => {
    // The echo reply arrives only when the spec advances the clock, after the client has gone.
    const clock = new ManualSimClock();
    sim = await startSpecSimulator({ ...base, clock, fixedLatencyMs: 200_000 });
    const token = id16(42);
    const first = await connectSession(sim.address, token);
    clients.push(first.client);
    const { blake2b256 } = await import('../../src/pki/blake2b256.js');
    const { syntheticIdentityKey } = await import('../../src/sim/index.js');
    first.client.send({
      type: 'send_message',
      withSurb: true,
      surbId: id16(5),
      destinationIdHash: blake2b256(syntheticIdentityKey('servicenode1')),
      recipientQueueId: new TextEncoder().encode('+echo'),
      payload: new TextEncoder().encode('ping'),
    });
    // Fixed latency has no send slots: it leaves at once; the reply is 200 simulated s away.
    expect((await framesBeforeBarrier(first.client)).map((f) => f.message.type)).toEqual(['message_sent_event']);
    first.client.destroy();
    await waitFor(() => sim.stats().disconnectedSessions === 1, 'the grace period to start');
    clock.advance(200_000);
    expect(sim.stats().queuedReplies).toBe(1);
    const again = await RawClient.connect(sim.address);
    clients.push(again);
    expect((await again.next()).message.type).toBe('connection_status_event');
    expect((await again.next()).message.type).toBe('new_pki_document_event');
    again.send({ type: 'session_token', clientInstanceToken: token });
    const queued = await again.next();
    expect(queued.message.type).toBe('message_reply_event');
    const reply = await again.next();
    expect(reply.message).toEqual({ type: 'session_token_reply', appId: first.appId, resumed: true });
  });

  it('thin_close closes the socket without a reply and destroys the session', async () => {
    sim = await startSpecSimulator(realTime);
    const token = id16(3);
    const a = await connectSession(sim.address, token);
    clients.push(a.client);
    a.client.send({ type: 'thin_close' });
    await a.client.waitClosed();
    expect(a.client.pending()).toEqual([]);
    await waitFor(() => sim.stats().sessions === 0, 'the session to be destroyed');
    const b = await connectSession(sim.address, token);
    clients.push(b.client);
    expect(b.appId).not.toEqual(a.appId);
  });

  it('keeps a session for the grace period after a plain disconnect, then forgets it', async () => {
    sim = await startSpecSimulator({ ...realTime, sessionGracePeriodMs: 60_000 });
    const token = id16(4);
    const a = await connectSession(sim.address, token);
    a.client.destroy();
    await waitFor(() => sim.stats().disconnectedSessions === 1, 'the grace period to start');
    const b = await connectSession(sim.address, token);
    clients.push(b.client);
    expect(b.appId).toEqual(a.appId);
    b.client.destroy();
    await waitFor(() => sim.stats().sessions === 0, 'the grace period to expire');
    const c = await connectSession(sim.address, token);
    clients.push(c.client);
    expect(c.appId).not.toEqual(a.appId);
  });

  it('forgets a client that never sent a session token as soon as it disconnects', async () => {
    sim = await startSpecSimulator(realTime);
    const a = await connectSession(sim.address, null);
    a.client.destroy();
    await waitFor(() => sim.stats().connections === 0, 'the connection to close');
    expect(sim.stats().disconnectedSessions).toBe(0);
  });

  it('reads frames split at every byte', async () => {
    sim = await startSpecSimulator(realTime);
    const { client } = await connectSession(sim.address);
    clients.push(client);
    const { encodeFrame } = await import('../../src/wire/frame-encoder.js');
    const { encodeRequest } = await import('../../src/wire/codec.js');
    const frame = encodeFrame(encodeRequest({ type: 'get_message_box_index_counter', queryId: id16(9), messageBoxIndex: new Uint8Array(104).fill(1) }));
    for (const byte of frame) client.sendRaw(Uint8Array.of(byte));
    const reply = await client.nextOf('get_message_box_index_counter_reply');
    expect(reply.counter).toBe(0x0101010101010101n);
  });

  describe('closes the connection silently on an undecodable frame', () => {
    const cases: Array<[string, Uint8Array]> = [
      ['garbage CBOR', Uint8Array.of(0, 0, 0, 3, 0xff, 0xff, 0xff)],
      ['an empty body', Uint8Array.of(0, 0, 0, 0)],
      ['an oversize length prefix', Uint8Array.of(0x02, 0x80, 0x00, 0x01)],
    ];
    it.each(cases)('%s', async (_label, bytes) => {
      sim = await startSpecSimulator(realTime);
      const { client } = await connectSession(sim.address);
      clients.push(client);
      client.sendRaw(bytes);
      await client.waitClosed();
      expect(client.pending()).toEqual([]);
    });

    it('a BACAP blob of the wrong length', async () => {
      sim = await startSpecSimulator(realTime);
      const { client } = await connectSession(sim.address);
      clients.push(client);
      const { Encoder } = await import('cbor-x');
      const encoder = new Encoder({ tagUint8Array: false, useRecords: false });
      client.sendBody(encoder.encode({ encrypt_read: { query_id: Buffer.alloc(16), read_cap: Buffer.alloc(135), message_box_index: Buffer.alloc(104) } }));
      await client.waitClosed();
      expect(client.pending()).toEqual([]);
    });
  });

  it('zero-pads a short query_id instead of closing, and echoes the padded value', async () => {
    sim = await startSpecSimulator(realTime);
    const { client } = await connectSession(sim.address);
    clients.push(client);
    const { Encoder } = await import('cbor-x');
    const encoder = new Encoder({ tagUint8Array: false, useRecords: false });
    client.sendBody(encoder.encode({ next_message_box_index: { query_id: Buffer.from([1, 2, 3]), message_box_index: Buffer.alloc(104) } }));
    const reply = await client.nextOf('next_message_box_index_reply');
    expect(reply.queryId).toEqual(Uint8Array.from([1, 2, 3, ...new Array(13).fill(0)]));
  });

  it('never answers an unknown variant or an all-null frame, and keeps serving', async () => {
    sim = await startSpecSimulator(realTime);
    const { client } = await connectSession(sim.address);
    clients.push(client);
    const { Encoder } = await import('cbor-x');
    const encoder = new Encoder({ tagUint8Array: false, useRecords: false });
    client.sendBody(encoder.encode({ write_stream: { query_id: Buffer.alloc(16) } }));
    client.sendBody(encoder.encode({ new_keypair: null }));
    client.send({ type: 'next_message_box_index', queryId: id16(1), messageBoxIndex: new Uint8Array(104) });
    const next = await client.next();
    expect(next.message.type).toBe('next_message_box_index_reply');
    // Both went to the mixnet queue and are dropped at a send slot, unanswered.
    await waitFor(() => sim.stats().pendingMixnetRequests === 0, 'the unknown requests to be dropped at dispatch');
    // Replies are in order: a round trip after the dispatch shows nothing came in between.
    client.send({ type: 'next_message_box_index', queryId: id16(2), messageBoxIndex: new Uint8Array(104) });
    expect((await client.next()).message.type).toBe('next_message_box_index_reply');
  });

  describe('without a PKI document', () => {
    it('waits the full pkiWaitMs (blocking later dialers too) and sends a null document', async () => {
      const clock = new ManualSimClock();
      sim = await startSpecSimulator({ ...base, clock, hasDocument: false });
      const a = await open();
      const b = await open();
      await waitFor(() => sim.stats().connections === 2, 'both connections to register');
      clock.advance(29_800);
      // Nothing may arrive before the wait ends.
      // real-time: a window for a frame that must not come; it cannot fail a correct simulator
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(a.pending()).toEqual([]);
      clock.advance(200);
      expect((await a.next()).message.type).toBe('connection_status_event');
      const doc = await a.next();
      expect(doc.message).toEqual({ type: 'new_pki_document_event', payload: null });
      // The second dialer waited behind the first; its own 30 s start now.
      expect(b.pending()).toEqual([]);
      clock.advance(30_000);
      expect((await b.next()).message.type).toBe('connection_status_event');
    });

    it('finishes the wait as soon as a document is published', async () => {
      const clock = new ManualSimClock();
      sim = await startSpecSimulator({ ...base, clock, hasDocument: false });
      const a = await open();
      await waitFor(() => sim.stats().connections === 1, 'the connection to register');
      clock.advance(1_000);
      const epoch = sim.publishNewDocument();
      clock.advance(200);
      await a.next();
      const doc = await a.next();
      if (doc.message.type !== 'new_pki_document_event') throw new Error('expected a document');
      expect(decodePKIDocument(doc.message.payload!).epoch).toBe(epoch);
    });
  });

  it('broadcasts a new_pki_document_event when a document is published', async () => {
    sim = await startSpecSimulator(realTime);
    const { client } = await connectSession(sim.address);
    clients.push(client);
    const epoch = sim.publishNewDocument();
    const event = await client.nextOf('new_pki_document_event');
    expect(decodePKIDocument(event.payload!).epoch).toBe(epoch);
  });

  it('advances epochs with the clock, one document event per epoch', async () => {
    // Start 1 s before an epoch boundary: the case that raced when epochs followed the wall clock.
    const period = 20_000;
    const clock = new ManualSimClock(EPOCH_GENESIS_MS + 1_000_000 * period - 1_000);
    sim = await startSpecSimulator({ ...base, clock, epochPeriodMs: period, autoAdvanceEpochs: true });
    const { client } = await connectSession(sim.address);
    clients.push(client);
    const start = sim.epoch;
    expect(start).toBe(999_999);
    const documentsNow = (): Promise<number[]> =>
      framesBeforeBarrier(client).then((frames) =>
        frames.flatMap((f) => (f.message.type === 'new_pki_document_event' ? [decodePKIDocument(f.message.payload!).epoch] : [])),
      );
    clock.advance(1_000); // the boundary: the new epoch's document is announced 11/16 into it
    expect(sim.epoch).toBe(start + 1);
    expect(await documentsNow()).toEqual([]);
    clock.advance((period * 11) / 16);
    expect(await documentsNow()).toEqual([start + 1]);
    clock.advance(period);
    expect(await documentsNow()).toEqual([start + 2]);
    clock.advance(3 * period);
    expect(await documentsNow()).toEqual([start + 3, start + 4, start + 5]);
  });
});
