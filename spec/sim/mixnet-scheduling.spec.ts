import { blake2b256 } from '../../src/pki/blake2b256.js';
import { EPOCH_GENESIS_MS, ManualSimClock, syntheticIdentityKey, type SimulatorHandle, type SimulatorOptions } from '../../src/sim/index.js';
import { specTime, startSpecSimulator } from '../support/spec-simulator.js';
import type { Request } from '../../src/wire/messages.js';
import { connectSession, framesBeforeBarrier, id16, kinds, RawClient } from './support/raw-client.js';
import { waitFor } from './support/wait-for.js';

// DAEMON.md §1.7 and §6, §9 items 4, 10, 11: send slots, offline, the FIFO, legacy send.

const echoNode = blake2b256(syntheticIdentityKey('servicenode1'));
const echoQueue = new TextEncoder().encode('+echo');
const base = { seed: 'mixnet' } as const;

function echo(surb: number | null, payload: Uint8Array, extra: Partial<Extract<Request, { type: 'send_message' }>> = {}): Request {
  return {
    type: 'send_message',
    withSurb: surb !== null,
    surbId: surb === null ? null : id16(surb),
    destinationIdHash: echoNode,
    recipientQueueId: echoQueue,
    payload,
    ...extra,
  };
}

let sim: SimulatorHandle;
const clients: RawClient[] = [];
async function start(options: SimulatorOptions): Promise<RawClient> {
  sim = await startSpecSimulator(specTime({ ...base, ...options }, 'only the order and content of frames are asserted'));
  const { client } = await connectSession(sim.address, id16(1000 + clients.length));
  clients.push(client);
  return client;
}
afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await sim?.close();
});

describe('legacy send_message and the echo service', () => {
  it('with a SURB: message_sent_event, then message_reply_event with a ForwardPayloadLength payload', async () => {
    // The simulated clock starts 1 s before an epoch boundary and the spec crosses it.
    const period = 20 * 60_000;
    const clock = new ManualSimClock(EPOCH_GENESIS_MS + 1_500_000 * period - 1_000);
    const client = await start({ clock, epochPeriodMs: period });
    const payload = new TextEncoder().encode('hello mixnet');
    const before = clock.now();
    client.send(echo(7, payload, { messageId: id16(77) }));
    expect(await framesBeforeBarrier(client)).toEqual([]); // nothing before a send slot
    clock.advance(60_000);
    const frames = await framesBeforeBarrier(client);
    expect(kinds(frames)).toEqual(['message_sent_event', 'message_reply_event']);
    const [sent, reply] = frames.map((f) => f.message) as [
      Extract<(typeof frames)[0]['message'], { type: 'message_sent_event' }>,
      Extract<(typeof frames)[0]['message'], { type: 'message_reply_event' }>,
    ];
    expect(sent).toMatchObject({ messageId: id16(77), surbId: id16(7), err: '' });
    // Unix seconds of the simulated clock, at the send slot after our send; reply_eta in nanoseconds (about 1.6 s in docker).
    expect(sent.sentAt).toBeGreaterThanOrEqual(Math.floor(before / 1000));
    expect(sent.sentAt).toBeLessThanOrEqual(Math.ceil((before + 60_000) / 1000));
    expect(sent.replyEta).toBeGreaterThan(8 * 1e6);
    expect(reply).toMatchObject({ messageId: id16(77), surbId: id16(7), errorCode: 0 });
    expect(reply.payload).toHaveLength(2574);
    expect(reply.payload!.subarray(0, payload.length)).toEqual(payload);
    expect(reply.payload!.subarray(payload.length).every((b) => b === 0)).toBe(true);
  });

  it('without a SURB: no event at all, whether it succeeds or fails', async () => {
    const client = await start({ fixedLatencyMs: 20 });
    client.send(echo(null, new Uint8Array(10)));
    client.send(echo(null, new Uint8Array(3000)));
    client.send(echo(8, new Uint8Array(10)));
    // Same fixed latency for all: anything caused by the first two would come first.
    const first = await client.next();
    expect(first.message.type).toBe('message_sent_event');
    expect((await client.next()).message.type).toBe('message_reply_event');
  });

  it.each([
    ['a payload above UserForwardPayloadLength', { payload: new Uint8Array(2001) }, 'message too large: 2001 > 2000'],
    ['an unknown destination', { destinationIdHash: new Uint8Array(32).fill(1) }, 'client: failed to find destination service node: pki: service not found'],
    ['an empty recipient queue ID', { recipientQueueId: new Uint8Array(0) }, 'client: recipient is nil'],
    ['a null destination', { destinationIdHash: null }, 'request.DestinationIdHash is nil'],
  ])('reports %s in message_sent_event.err (reply_eta 0) and sends no reply', async (_label, extra, err) => {
    const clock = new ManualSimClock();
    const client = await start({ clock });
    client.send(echo(9, new Uint8Array(4), extra as never));
    expect(await framesBeforeBarrier(client)).toEqual([]);
    clock.advance(60_000);
    const frames = await framesBeforeBarrier(client);
    expect(kinds(frames)).toEqual(['message_sent_event']);
    expect(frames[0]!.message).toMatchObject({ surbId: id16(9), err, replyEta: 0 });
  });

  it('drops a reply that arrives after the SURB retention', async () => {
    const clock = new ManualSimClock();
    // Slack the reply_eta does not count: the reply comes back long after reply_eta + 4.5 s.
    const client = await start({ clock, latency: { hopSlackMs: 60_000, hopMeanMs: 1 } });
    client.send(echo(10, new Uint8Array(4)));
    expect(await framesBeforeBarrier(client)).toEqual([]);
    clock.advance(600_000);
    expect(kinds(await framesBeforeBarrier(client))).toEqual(['message_sent_event']);
  });
});

describe('send slots', () => {
  it('answers mixnet requests (even their validation errors) only on a send slot', async () => {
    const clock = new ManualSimClock();
    const client = await start({ clock });
    client.send({ type: 'start_resending_encrypted_message', queryId: null });
    expect(kinds(await framesBeforeBarrier(client))).toEqual([]);
    expect(sim.stats().pendingMixnetRequests).toBe(1);
    clock.advance(60_000);
    const frames = await framesBeforeBarrier(client);
    expect(frames.map((f) => f.message)).toEqual([
      { type: 'start_resending_encrypted_message_reply', queryId: null, plaintext: null, errorCode: 3, courierIdentityHash: null, courierQueueId: null },
    ]);
  });

  it('takes one request per slot', async () => {
    const clock = new ManualSimClock();
    const client = await start({ clock, latency: { slotMeanMs: 1000 } });
    for (let i = 0; i < 5; i++) client.send(echo(null, new Uint8Array(1)));
    await framesBeforeBarrier(client);
    expect(sim.stats().pendingMixnetRequests).toBe(5);
    // Ticks are exponential: after a while some, not necessarily all, are gone; each tick takes one.
    let previous = 5;
    while (previous > 0) {
      clock.advance(1);
      const now = sim.stats().pendingMixnetRequests;
      expect(previous - now).toBeLessThanOrEqual(1);
      previous = now;
    }
  });
});

describe('round-robin across clients', () => {
  it('serves one request per client in turn, not the longest queue first', async () => {
    const clock = new ManualSimClock();
    const a = await start({ clock });
    const { client: b } = await connectSession(sim.address, id16(2000));
    clients.push(b);
    sim.setOnline(false);
    for (let i = 0; i < 3; i++) a.send(echo(200 + i, new Uint8Array(1)));
    b.send(echo(300, new Uint8Array(1)));
    await framesBeforeBarrier(a);
    await framesBeforeBarrier(b);
    expect(sim.stats().pendingMixnetRequests).toBe(4);
    sim.setOnline(true);
    while (sim.stats().pendingMixnetRequests > 2) clock.advance(1);
    // Two slots: one for A, one for B — B's only request is out although A queued three first.
    expect(kinds(await framesBeforeBarrier(b)).filter((k) => k === 'message_sent_event')).toEqual(['message_sent_event']);
  });
});

describe('offline (gateway link down)', () => {
  it('broadcasts is_connected:false, leaves mixnet requests unanswered, still answers local ones, and resumes when online', async () => {
    const clock = new ManualSimClock();
    const client = await start({ clock, fixedLatencyMs: 10 });
    sim.setOnline(false);
    const status = await client.nextOf('connection_status_event');
    expect(status.isConnected).toBe(false);
    client.send(echo(11, new Uint8Array(3)));
    client.send({ type: 'start_resending_copy_command', queryId: id16(1), writeCap: null });
    await framesBeforeBarrier(client);
    clock.advance(3_600_000);
    const whileOffline = await framesBeforeBarrier(client);
    // Only repeated status events (one per failed dial), no replies.
    expect(new Set(kinds(whileOffline))).toEqual(new Set(['connection_status_event']));
    expect(whileOffline.length).toBeGreaterThan(1);
    expect(sim.stats().pendingMixnetRequests).toBe(2);
    sim.setOnline(true);
    expect((await client.nextOf('connection_status_event')).isConnected).toBe(true);
    clock.advance(100);
    const after = await framesBeforeBarrier(client);
    expect(kinds(after)).toEqual(['message_sent_event', 'start_resending_copy_command_reply', 'message_reply_event']);
  });

  it('does not send before the first document exists', async () => {
    const clock = new ManualSimClock();
    sim = await startSpecSimulator({ ...base, clock, hasDocument: false, pkiWaitMs: 0 });
    const { client } = await connectSession(sim.address);
    clients.push(client);
    client.send(echo(12, new Uint8Array(3)));
    await framesBeforeBarrier(client);
    clock.advance(600_000);
    expect(kinds(await framesBeforeBarrier(client))).toEqual([]);
    sim.publishNewDocument();
    await client.nextOf('new_pki_document_event');
    clock.advance(60_000);
    expect(kinds(await framesBeforeBarrier(client))).toEqual(['message_sent_event', 'message_reply_event']);
  });
});

describe('the per-client FIFO of 16', () => {
  it('stops reading when full, so later local requests wait behind it', async () => {
    const clock = new ManualSimClock();
    const client = await start({ clock });
    sim.setOnline(false);
    await client.nextOf('connection_status_event');
    for (let i = 0; i < 17; i++) client.send(echo(100 + i, new Uint8Array(1)));
    client.send({ type: 'new_keypair', queryId: id16(5), seed: new Uint8Array(32) });
    await waitFor(() => sim.stats().blockedConnections === 1, 'the reader to block');
    expect(sim.stats().pendingMixnetRequests).toBe(17);
    sim.setOnline(true);
    // One slot frees one place; only then is the keypair request read.
    await client.nextOf('connection_status_event');
    let sent = 0;
    for (;;) {
      clock.advance(1);
      if (sim.stats().pendingMixnetRequests < 17) break;
    }
    for (;;) {
      const frame = await client.next();
      if (frame.message.type === 'message_sent_event') sent += 1;
      if (frame.message.type === 'new_keypair_reply') break;
    }
    expect(sent).toBeGreaterThanOrEqual(1);
    expect(sim.stats().blockedConnections).toBe(0);
  });
});

describe('replies and connection loss', () => {
  it('loses requests still in the FIFO when the connection drops', async () => {
    const clock = new ManualSimClock();
    sim = await startSpecSimulator({ ...base, clock });
    const token = id16(50);
    const first = await connectSession(sim.address, token);
    sim.setOnline(false);
    await first.client.nextOf('connection_status_event');
    first.client.send(echo(13, new Uint8Array(3)));
    await framesBeforeBarrier(first.client);
    first.client.destroy();
    await waitFor(() => sim.stats().disconnectedSessions === 1, 'the grace period to start');
    expect(sim.stats().pendingMixnetRequests).toBe(0);
    const again = await connectSession(sim.address, token);
    clients.push(again.client);
    sim.setOnline(true);
    clock.advance(600_000);
    const frames = await framesBeforeBarrier(again.client);
    expect(kinds(frames).filter((k) => k !== 'connection_status_event')).toEqual([]);
  });

  it('loses the reply of a mixnet request sent before the session token of a resumed session', async () => {
    const clock = new ManualSimClock();
    sim = await startSpecSimulator({ ...base, clock });
    const token = id16(51);
    const first = await connectSession(sim.address, token);
    first.client.destroy();
    await waitFor(() => sim.stats().disconnectedSessions === 1, 'the grace period to start');
    const again = await RawClient.connect(sim.address);
    clients.push(again);
    await again.next();
    await again.next();
    again.send(echo(14, new Uint8Array(3)));
    again.send({ type: 'session_token', clientInstanceToken: token });
    expect((await again.nextOf('session_token_reply')).resumed).toBe(true);
    expect(sim.stats().pendingMixnetRequests).toBe(1);
    clock.advance(600_000);
    // The request carried the temporary AppID: its events went nowhere.
    expect(kinds(await framesBeforeBarrier(again))).toEqual([]);
  });

  it('queues at most 1000 replies for an absent client', async () => {
    const clock = new ManualSimClock();
    sim = await startSpecSimulator({ ...base, clock, fixedLatencyMs: 100 });
    const { client } = await connectSession(sim.address, id16(53));
    for (let i = 0; i < 1001; i++) client.send(echo(10_000 + i, new Uint8Array(1)));
    for (let i = 0; i < 1001; i++) await client.nextOf('message_sent_event');
    client.destroy();
    await waitFor(() => sim.stats().disconnectedSessions === 1, 'the grace period to start');
    clock.advance(1000);
    expect(sim.stats().queuedReplies).toBe(1000);
  });

  it('queues the legacy replies for an absent client and delivers them on resume', async () => {
    const clock = new ManualSimClock();
    sim = await startSpecSimulator({ ...base, clock, fixedLatencyMs: 100 });
    const token = id16(52);
    const first = await connectSession(sim.address, token);
    first.client.send(echo(15, new Uint8Array(3)));
    first.client.send(echo(16, new Uint8Array(3)));
    // Fixed latency: both leave at once; the replies are 100 ms away.
    await first.client.nextOf('message_sent_event');
    await first.client.nextOf('message_sent_event');
    first.client.destroy();
    await waitFor(() => sim.stats().disconnectedSessions === 1, 'the grace period to start');
    clock.advance(1000);
    expect(sim.stats().queuedReplies).toBe(2);
    const again = await RawClient.connect(sim.address);
    clients.push(again);
    await again.next();
    await again.next();
    again.send({ type: 'session_token', clientInstanceToken: token });
    expect(kinds([await again.next(), await again.next(), await again.next()])).toEqual([
      'message_reply_event',
      'message_reply_event',
      'session_token_reply',
    ]);
  });
});
