/**
 * The same client against the REAL kpclientd v0.0.99 (offline: no mixnet).
 * Built from the Go module proxy by the harness when Go is installed;
 * skipped with a one-line reason otherwise (or with KPRX_CONFORMANCE=0).
 *
 * Every connection to an offline daemon costs ~30 s (it waits for a PKI
 * document before greeting, one connection at a time), so one client does
 * most checks and new connections are made only where a check needs one:
 * resume after disconnect(), a daemon restart, thin_close.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { filter, firstValueFrom, map, take } from 'rxjs';
import {
  DaemonInternalError,
  InvalidArgumentError,
  OfflineError,
  RequestTimeoutError,
  ServiceUnavailableError,
  ThinClient,
  loadConfig,
  type ClientEvent,
  type ThinClientConfig,
} from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';
import { connectByteStream } from '../../src/transport/connect-byte-stream.js';
import { Decoder } from 'cbor-x';
import { writeDaemonConfig, validateDaemonConfig, type DaemonConfig } from './harness/daemon-config.js';
import { installKatzenpost, type KatzenpostBinaries } from '../../testnet/install-katzenpost.js';
import { KpclientdProcess } from './harness/kpclientd-process.js';
import { localProbes, type ProbeOutcome } from './local-probes.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
const skipReason =
  process.env['KPRX_CONFORMANCE'] === '0'
    ? 'KPRX_CONFORMANCE=0'
    : goVersion.status !== 0
      ? 'Go is not installed, so kpclientd cannot be built'
      : null;
if (skipReason) console.log(`real-kpclientd conformance suite skipped: ${skipReason}`);
const describeReal = skipReason ? describe.skip : describe;

const SEED = new Uint8Array(32).fill(7);
const HANDSHAKE_MS = 100_000;

/** Logs each check so CI output shows what was checked against the real daemon. */
function check(line: string): void {
  console.log(`conformance: ${line}`);
}

describeReal('conformance with the real kpclientd v0.0.99 (offline daemon)', () => {
  let bins: KatzenpostBinaries;
  let dir: string;
  let cfg: DaemonConfig;
  let daemon: KpclientdProcess;
  let config: ThinClientConfig;
  let client: ThinClient;
  const events: ClientEvent[] = [];
  /** Every frame body the daemon sent to `client`, as raw CBOR maps (tapped below the client). */
  const rawFrames: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    // The default log writes straight to stderr: jest would hold console lines back until the suite ends.
    const result = await installKatzenpost();
    if (result.status === 'skipped') throw new Error(`cannot build kpclientd: ${result.reason}`);
    bins = result.binaries;
    dir = await mkdtemp(path.join(os.tmpdir(), 'kprx-conformance-'));
    cfg = await writeDaemonConfig({ genconfig: bins.genconfig, dir, transport: 'tcp', sessionGracePeriod: '10m' });
    await validateDaemonConfig(bins, cfg);
    daemon = await KpclientdProcess.start({ binary: bins.kpclientd, configPath: cfg.clientToml, logPath: path.join(dir, 'kpclientd.log'), listen: cfg.listen });
    config = await loadConfig(cfg.thinClientToml);
    const raw = new Decoder({ mapsAsObjects: true, useRecords: false });
    client = new ThinClient(config, {
      // Tap the byte stream to check the daemon's frames as bytes, under the client.
      socketFactory: (dial) =>
        connectByteStream(dial).pipe(
          map((stream) => {
            const decoder = new FrameDecoder();
            return {
              ...stream,
              chunks$: stream.chunks$.pipe(
                map((chunk) => {
                  decoder.push(chunk, (body) => rawFrames.push(raw.decode(new Uint8Array(body)) as Record<string, unknown>));
                  return chunk;
                }),
              ),
              write: (buffers: readonly Uint8Array[]) => stream.write(buffers),
              close: () => stream.close(),
            };
          }),
        ),
    });
    client.events$.subscribe((event) => events.push(event));
    await client.connect();
  }, 30 * 60_000);

  afterAll(async () => {
    await client?.close();
    await daemon?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('handshake: status event, then the PKI document event (null offline), then session_token_reply', () => {
    expect(events.slice(0, 3).map((e) => e.type)).toEqual(['connection_status_event', 'new_pki_document_event', 'session_token_reply']);
    expect(events[1]).toEqual({ type: 'new_pki_document_event', payload: null });
    expect(client.state).toMatchObject({ daemon: 'connected', mixnet: false, resumed: false });
    expect(client.state.instanceToken).toHaveLength(16);
    expect(client.state.appId).toHaveLength(16);
    expect(client.isConnected()).toBe(false);
    expect(client.pkiDocument()).toBeNull();
    check('handshake order, offline status, null PKI payload, 16-byte instance token and app id');
  });

  it('geometry: both geometries arrive and match the configured docker network', () => {
    expect(client.sphinxGeometry()).toMatchObject({ packetLength: 3082, nrHops: 5, forwardPayloadLength: 2574, userForwardPayloadLength: 2000, nikeName: 'x25519', kemName: '' });
    expect(client.pigeonholeGeometry()).toEqual({
      maxPlaintextPayloadLength: 1549,
      courierQueryReadLength: 2000,
      courierQueryWriteLength: 2000,
      courierQueryReplyReadLength: 1718,
      courierQueryReplyWriteLength: 1718,
      nikeName: 'CTIDH1024-X25519',
      signatureSchemeName: 'Ed25519',
    });
    check('sphinx and pigeonhole geometry (M = 1549 = 2000 − 451)');
  });

  it('every daemon frame is a map of all 25 response keys with exactly one non-null', () => {
    expect(rawFrames.length).toBeGreaterThanOrEqual(3);
    for (const frame of rawFrames) {
      expect(Object.keys(frame)).toHaveLength(25);
      expect(Object.values(frame).filter((v) => v !== null)).toHaveLength(1);
    }
    check(`${rawFrames.length} frames, each with all 25 keys and one variant`);
  });

  it('newKeypair: 168/136/104 bytes, deterministic in the seed, read cap = public key ‖ index', async () => {
    const a = await firstValueFrom(client.newKeypair(SEED));
    const b = await firstValueFrom(client.newKeypair(SEED));
    expect([a.writeCap.length, a.readCap.length, a.firstMessageIndex.length]).toEqual([168, 136, 104]);
    expect(b).toEqual(a);
    expect(a.readCap.subarray(0, 32)).toEqual(a.writeCap.exposeBytes().subarray(32, 64));
    expect(a.readCap.subarray(32)).toEqual(a.firstMessageIndex);
    await expect(firstValueFrom(client.newKeypair(new Uint8Array(31)))).rejects.toThrow(InvalidArgumentError);
    check('new_keypair sizes, determinism, cap layout; a 31-byte seed is refused before the wire');
  });

  it('getMessageBoxIndexCounter and nextMessageBoxIndex: 64-bit counter, +1 per step', async () => {
    const { firstMessageIndex } = await firstValueFrom(client.newKeypair(SEED));
    const counter = await firstValueFrom(client.getMessageBoxIndexCounter(firstMessageIndex));
    expect(counter).toBe(new DataView(firstMessageIndex.buffer, firstMessageIndex.byteOffset).getBigUint64(0, true));
    const next = await firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex));
    expect(next).toHaveLength(104);
    expect(await firstValueFrom(client.getMessageBoxIndexCounter(next))).toBe(counter + 1n);
    check(`counter ${counter} (> 2^53: ${counter > 2n ** 53n}), next index counter + 1`);
  });

  it('offline errors: encrypt and copy-stream requests need a PKI document (code 4), get_pki_document code 10', async () => {
    const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(SEED));
    await expect(firstValueFrom(client.encryptWrite(new Uint8Array(10), writeCap, firstMessageIndex))).rejects.toBeInstanceOf(DaemonInternalError);
    await expect(firstValueFrom(client.encryptRead(readCap, firstMessageIndex))).rejects.toBeInstanceOf(DaemonInternalError);
    await expect(firstValueFrom(client.createCourierEnvelopesFromPayload(new Uint8Array(10), writeCap, firstMessageIndex, true, true))).rejects.toBeInstanceOf(
      DaemonInternalError,
    );
    const pki = firstValueFrom(client.getPKIDocumentRaw(0));
    await expect(pki).rejects.toBeInstanceOf(ServiceUnavailableError);
    await expect(pki).rejects.toThrow(/code 10/);
    const empty = await firstValueFrom(client.createCourierEnvelopesFromTombstoneRange(writeCap, firstMessageIndex, 0, true, true));
    expect(empty.envelopes).toEqual([]);
    expect(empty.nextDestIndex).toEqual(firstMessageIndex);
    check('encrypt_write/encrypt_read/create_courier_envelopes_from_payload → 4, get_pki_document → 10, tombstone_range(0) → empty success');
  }, 120_000);

  it('directory authorities and cancels of unknown operations are answered offline', async () => {
    const authorities = await firstValueFrom(client.getDirectoryAuthorities());
    expect(authorities.length).toBeGreaterThan(0);
    for (const authority of authorities) expect(authority.identityKeyHash).toHaveLength(32);
    await firstValueFrom(client.cancelResendingEncryptedMessage(new Uint8Array(32).fill(9)));
    await firstValueFrom(client.cancelResendingCopyCommand(new Uint8Array(32).fill(9)));
    check(`get_directory_authorities (${authorities.length}), cancels of unknown hashes → 0`);
  });

  it('mixnet requests wait offline: a timeout ends them, sends the cancel, and local requests keep working', async () => {
    const envelope = { envelopeDescriptor: new Uint8Array(8).fill(1), messageCiphertext: new Uint8Array(100).fill(2), envelopeHash: new Uint8Array(32).fill(3) };
    const { writeCap } = await firstValueFrom(client.newKeypair(SEED));
    await expect(firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...envelope }, { timeoutMs: 2000 }))).rejects.toBeInstanceOf(RequestTimeoutError);
    expect(await firstValueFrom(client.newKeypair(SEED))).toBeDefined();
    const echo = { destinationIdHash: new Uint8Array(32), recipientQueueId: new TextEncoder().encode('+echo') };
    await expect(firstValueFrom(client.send(new Uint8Array(4), echo))).rejects.toBeInstanceOf(OfflineError);
    check('start_resending unanswered offline, ends by timeout + cancel; send refused with OfflineError');
  }, 120_000);

  it('a cancel of a start still in the daemon queue finds nothing: only its own 0 reply, no code 24 (DAEMON.md §3.6)', async () => {
    const envelopeHash = new Uint8Array(32).fill(0x51);
    const envelope = { envelopeDescriptor: new Uint8Array(8).fill(1), messageCiphertext: new Uint8Array(100).fill(2), envelopeHash };
    const { writeCap } = await firstValueFrom(client.newKeypair(SEED));
    const from = events.length;
    // Offline: the start waits in the daemon's queue; unsubscribing sends the cancel.
    const subscription = client.startResendingEncryptedMessage({ writeCap, ...envelope }).subscribe({ error: () => undefined });
    await firstValueFrom(client.newKeypair(SEED)); // the start has reached the daemon
    const cancelled = firstValueFrom(client.events$.pipe(filter((e) => e.type === 'cancel_resending_encrypted_message_reply')));
    subscription.unsubscribe();
    expect(await cancelled).toMatchObject({ errorCode: 0 });
    await firstValueFrom(client.newKeypair(SEED)); // anything the cancel produced has arrived
    expect(events.slice(from).filter((e) => e.type === 'start_resending_encrypted_message_reply')).toEqual([]);
    check('cancel before dispatch: only cancel_resending_encrypted_message_reply {0}, no start reply (the start stays queued)');
  }, 30_000);

  it("the client never overfills the daemon's 16-deep queue, even when starts still queued there are abandoned (issue 12, case 4)", async () => {
    const { writeCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(SEED));
    const start = (i: number) =>
      client
        .startResendingEncryptedMessage({ writeCap, envelopeDescriptor: new Uint8Array(8).fill(1), messageCiphertext: new Uint8Array(100).fill(2), envelopeHash: new Uint8Array(32).fill(0x60 + i) })
        .subscribe({ error: () => undefined });
    // 16 starts wait in the offline daemon's queue; abandoned, their cancels find nothing: they stay queued.
    const abandoned = Array.from({ length: 16 }, (_, i) => start(i));
    abandoned.forEach((s) => s.unsubscribe());
    const later = Array.from({ length: 16 }, (_, i) => start(16 + i));
    // Had the client written the later ones, the daemon's queue would hold 32 and its reader would block
    // (client/incoming_conn.go, perClientRequestBuf = 16): this local request would never be answered.
    expect(await firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex, { timeoutMs: 10_000 }))).toHaveLength(104);
    later.forEach((s) => s.unsubscribe());
    check('16 starts abandoned while queued offline keep their place: 16 more are held in the client, local requests still answered');
  }, 30_000);

  it('the simulator answers the local probes exactly as the real daemon does', async () => {
    const real = await localProbes(client);
    let sim: SimulatorHandle | null = null;
    let simClient: ThinClient | null = null;
    try {
      sim = await startSpecSimulator({ realTime: 'local probes compared with the real daemon; answers, not timings, are asserted', hasDocument: false, pkiWaitMs: 10, online: false });
      simClient = await ThinClient.connect(sim.config);
      const simulated = await localProbes(simClient);
      expect(simulated).toEqual(real);
      check(`simulator matches the daemon on ${real.length} local probes: ${real.map((p: ProbeOutcome) => `${p.probe}=${p.outcome}`).join(', ')}`);
    } finally {
      await simClient?.close();
      await sim?.close();
    }
  }, 120_000);

  it('disconnect() keeps the session: connect() again resumes it with the same app id', async () => {
    const appId = client.state.appId;
    await client.disconnect();
    await client.connect();
    expect(client.state).toMatchObject({ daemon: 'connected', resumed: true });
    expect(client.state.appId).toEqual(appId);
    check('session_token resume after disconnect(): resumed=true, same app id');
  }, HANDSHAKE_MS);

  it('a daemon restart: shutdown_event, daemon_disconnected (graceful), automatic reconnect to the new instance', async () => {
    const token = client.state.instanceToken;
    const disconnected = firstValueFrom(client.events$.pipe(filter((e) => e.type === 'daemon_disconnected')));
    const reconnected = firstValueFrom(client.state$.pipe(filter((s) => s.daemon === 'connected' && s.instanceToken !== token), take(1)));
    const pending = firstValueFrom(client.newKeypair(SEED)); // may be in flight across the restart: must still complete
    await daemon.restart();
    expect(await disconnected).toMatchObject({ type: 'daemon_disconnected', isGraceful: true, willReconnect: true });
    const state = await reconnected;
    expect(state.resumed).toBe(false);
    expect(state.instanceToken).not.toEqual(token);
    expect((await pending).writeCap).toHaveLength(168);
    expect(events.some((e) => e.type === 'shutdown_event')).toBe(true);
    check('SIGTERM: shutdown_event → graceful daemon_disconnected → reconnect to a new instance token, resumed=false');
  }, 2 * HANDSHAKE_MS);

  it('close() sends thin_close: the daemon forgets the session', async () => {
    const token = client.clientInstanceToken;
    await client.close();
    const again = await ThinClient.connect(config, { clientInstanceToken: token });
    try {
      expect(again.state.resumed).toBe(false);
      check('thin_close: a new client with the same token is not resumed');
    } finally {
      await again.close();
    }
  }, HANDSHAKE_MS);
});
