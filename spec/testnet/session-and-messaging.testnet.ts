/**
 * On a live mixnet: the handshake and connection state, a new PKI document
 * every epoch on `events$`, the document's services and couriers, and the
 * legacy Sphinx messaging to the echo service in its four forms.
 *
 * The "new document per epoch" check is last: its subscription is made
 * before connecting, so the other checks run while the next epoch comes.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { filter, firstValueFrom, ReplaySubject, take, timeout, TimeoutError } from 'rxjs';
import {
  RequestTimeoutError,
  ServiceNotFoundError,
  ThinClient,
  bytesEqual,
  decodeSignedPKIDocument,
  loadConfig,
  type ClientEvent,
  type PKIDocument,
} from 'katzenpost-rx';
import type { Testnet } from '../../testnet/testnet.js';
import { attachTestnet, check, line, testnetClientOptions, utf8 } from './support/testnet-env.js';

const ECHO_TIMEOUT_MS = 60_000;

let net: Testnet;
let client: ThinClient;
const events: ClientEvent[] = [];
const documents = new ReplaySubject<PKIDocument>();

beforeAll(async () => {
  net = await attachTestnet();
  client = new ThinClient(await loadConfig(net.thinClientToml()), testnetClientOptions);
  client.events$.subscribe((event) => events.push(event));
  client.pkiDocument$.subscribe(documents);
  await client.connect();
}, 120_000);

afterAll(async () => {
  await client?.close();
});

/**
 * Runs a legacy (Sphinx) send, once more if the first one timed out: legacy
 * sends are not retransmitted, and the network loses a packet now and then
 * — at an epoch boundary a node that has not fetched the new document yet
 * refuses its peers' links for a moment ("not in current PKI"). Says so in
 * the check's line when it happens.
 */
async function legacySend<T>(what: string, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (!(error instanceof RequestTimeoutError) && !(error instanceof TimeoutError)) throw error;
    line(`     ${what}: no reply (${error.message}); the mixnet lost a packet: sending once more`);
    return attempt();
  }
}

/** How many service requests the service node has processed without replying, and dropped (it logs each at DEBUG). */
async function surblessRequests(): Promise<{ processed: number; dropped: number }> {
  const log = await readFile(path.join(net.snapshot.networkDir, 'servicenode1', 'katzenpost.log'), 'utf8');
  return {
    processed: log.match(/Processed Kaetzchen request: \d+ \(No response\)/g)?.length ?? 0,
    dropped: log.match(/Dropping Kaetzchen request: \d+ \(invalid message reserved/g)?.length ?? 0,
  };
}

/** Polls the service node's log until `done` holds. */
async function untilServiceNodeLogs(done: (counts: { processed: number; dropped: number }) => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done(await surblessRequests())) {
    if (Date.now() > deadline) throw new RequestTimeoutError('the service node logging the message', timeoutMs);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a live mixnet', () => {
  check('handshake: connection status, PKI document, session; state mixnet: true', 10_000, async () => {
    const types = events.map((e) => e.type);
    expect(types.slice(0, 3)).toEqual(['connection_status_event', 'new_pki_document_event', 'session_token_reply']);
    const status = events[0] as Extract<ClientEvent, { type: 'connection_status_event' }>;
    expect(status.isConnected).toBe(true);
    expect(client.state).toMatchObject({ daemon: 'connected', mixnet: true, resumed: false });
    expect(client.isConnected()).toBe(true);
    expect(client.sphinxGeometry().userForwardPayloadLength).toBe(2000);
    expect(client.pigeonholeGeometry().maxPlaintextPayloadLength).toBeGreaterThan(1000);
    const doc = client.pkiDocument();
    expect(doc?.epoch).toBeGreaterThanOrEqual(net.snapshot.firstEpoch!);
  });

  check('PKI: the echo service, one courier, two storage replicas, two directory authorities', 30_000, async () => {
    const doc = client.pkiDocument()!;
    expect(doc.topology.length).toBe(1);
    expect(doc.gatewayNodes.length).toBe(1);
    expect(doc.serviceNodes.length).toBe(1);
    expect(doc.storageReplicas.length).toBe(2);
    expect(client.getService('echo').toDestination().recipientQueueId).toEqual(utf8('+echo'));
    expect(client.getAllCouriers().length).toBe(1);
    expect(client.getDistinctCouriers(1)[0]?.toCourierDestination()).toEqual(client.getAllCouriers()[0]?.toCourierDestination());
    expect(() => client.getDistinctCouriers(2)).toThrow(ServiceNotFoundError);
    expect(() => client.getService('no-such-service')).toThrow(ServiceNotFoundError);
    const authorities = await firstValueFrom(client.getDirectoryAuthorities());
    expect(authorities.map((a) => a.identifier).sort()).toEqual(['auth1', 'auth2']);
    const raw = await firstValueFrom(client.getPKIDocumentRaw(doc.epoch));
    expect(raw.epoch).toBe(BigInt(doc.epoch));
    const signed = decodeSignedPKIDocument(raw.payload);
    expect(signed.document.epoch).toBe(doc.epoch);
    expect(signed.signatures.size).toBe(2);
  });
});

describe('echo over the mixnet', () => {
  check('send: one request, one reply with our payload', ECHO_TIMEOUT_MS, async () => {
    const payload = utf8(`ping ${Date.now()}`);
    const reply = await legacySend('send', () => firstValueFrom(client.send(payload, client.getService('echo').toDestination(), { timeoutMs: ECHO_TIMEOUT_MS / 2 })));
    expect(bytesEqual(reply.subarray(0, payload.length), payload)).toBe(true);
  });

  check('sendMessage: message_sent_event with a reply ETA, then message_reply_event on events$', ECHO_TIMEOUT_MS, async () => {
    const payload = utf8('sendMessage over the mixnet');
    const event = await legacySend('sendMessage', async () => {
      const surbId = client.newSURBID();
      const reply = firstValueFrom(
        client.events$.pipe(
          filter((e): e is Extract<ClientEvent, { type: 'message_reply_event' }> => e.type === 'message_reply_event' && bytesEqual(e.surbId ?? new Uint8Array(), surbId)),
          take(1),
          timeout(ECHO_TIMEOUT_MS / 2 - 5000),
        ),
      );
      const sent = await firstValueFrom(client.sendMessage(surbId, payload, client.getService('echo').toDestination()));
      expect(sent.surbId).toEqual(surbId);
      expect(sent.replyEta).toBeGreaterThan(0);
      return reply;
    });
    expect(event.errorCode).toBe(0);
    expect(bytesEqual(event.payload!.subarray(0, payload.length), payload)).toBe(true);
  });

  // kpclientd v0.0.99 puts a SURB-less payload into the Sphinx packet WITHOUT
  // the 2-byte plaintext header and SURB space a service node parses first
  // (client/send.go, ComposeSphinxPacket): the node reads the payload's first
  // two bytes as flags and "reserved", drops the message unless they are
  // zero, and hands the service the payload from byte 410 on.
  check('sendMessageWithoutReply: reaches the service only with two leading zero bytes (upstream header bug)', ECHO_TIMEOUT_MS, async () => {
    const echo = client.getService('echo').toDestination();
    const before = await surblessRequests();
    const sendUntilLogged = (payload: Uint8Array, logged: (now: { processed: number; dropped: number }) => boolean) =>
      legacySend('sendMessageWithoutReply', async () => {
        await firstValueFrom(client.sendMessageWithoutReply(payload, echo), { defaultValue: undefined });
        await untilServiceNodeLogs(logged, ECHO_TIMEOUT_MS / 4);
      });
    await sendUntilLogged(utf8('no reply wanted'), (now) => now.dropped > before.dropped);
    const text = utf8('after the missing header');
    const zeroLed = new Uint8Array(410 + text.length);
    zeroLed.set(text, 410);
    await sendUntilLogged(zeroLed, (now) => now.processed > before.processed);
  });

  check('blockingSendMessage: a Promise of the reply', ECHO_TIMEOUT_MS, async () => {
    const payload = utf8('blocking');
    const reply = await legacySend('blockingSendMessage', () => client.blockingSendMessage(payload, client.getService('echo').toDestination(), { timeoutMs: ECHO_TIMEOUT_MS / 2 - 5000 }));
    expect(bytesEqual(reply.subarray(0, payload.length), payload)).toBe(true);
  });
});

describe('epochs', () => {
  check('a new PKI document every epoch on events$ and pkiDocument$', 200_000, async () => {
    const first = client.pkiDocument()!.epoch;
    // The network's epochs last a minute: the next document comes within two.
    const next = await firstValueFrom(documents.pipe(filter((d) => d.epoch > first), take(1), timeout(180_000)));
    expect(next.epoch).toBe(first + 1);
    const announced = events.filter((e) => e.type === 'new_pki_document_event').length;
    expect(announced).toBeGreaterThanOrEqual(2);
    expect(client.pkiDocument()?.epoch).toBe(next.epoch);
  });
});
