import type { DaemonCpu } from '../daemon-cpu.js';
import { bytesEqual, toHex } from '../../core/hex.js';
import type { Logger } from '../../core/logger.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { WireSizes } from '../../wire/constants.js';
import type { DecodedRequest, OutgoingDaemonMessage } from '../../wire/messages.js';
import type { SimClock, SimTimer } from '../sim-clock.js';
import type { SimConnection } from '../sim-connection.js';
import type { ServiceReply, SimNetwork } from '../sim-network.js';
import type { SimRandom } from '../sim-random.js';
import { ReplicaCode } from './box-store.js';
import { descriptorMatches } from './courier-query.js';
import { capPublicKey } from './fake-bacap.js';
import { CourierError, encodeCopyCommand, type CopyReply, type CourierReply, type EnvelopeReply } from './sim-courier.js';

/** Thin-client codes (PROTOCOL.md §7.1). */
const Code = {
  success: 0,
  invalidRequest: 3,
  internalError: 4,
  courierCacheCorruption: 12,
  propagationError: 13,
  mkemDecryptionFailed: 22,
  bacapDecryptionFailed: 23,
  startResendingCancelled: 24,
  invalidTombstoneSig: 25,
  copyCommandFailed: 26,
  courierInvalidEnvelope: 31,
  courierInvalidEpoch: 32,
} as const;

/** `RoundTripTimeSlop`: a packet is resent reply_eta + 20 s after it left. */
const ROUND_TRIP_SLOP_MS = 20_000;
/** Re-arm delay while the client is away or its resend queue is full. */
const REARM_MS = 100;
/** Retry delay after a compose failure on a resend. */
const COMPOSE_RETRY_MS = 1000;
/** `CopyPollInterval`. */
const COPY_POLL_MS = 5000;

type StartEncrypted = Extract<DecodedRequest, { type: 'start_resending_encrypted_message' }>;
type StartCopy = Extract<DecodedRequest, { type: 'start_resending_copy_command' }>;
type CancelEncrypted = Extract<DecodedRequest, { type: 'cancel_resending_encrypted_message' }>;
type CancelCopy = Extract<DecodedRequest, { type: 'cancel_resending_copy_command' }>;

interface Courier {
  readonly identityHash: Uint8Array;
  readonly queueId: Uint8Array;
}

/** One in-flight `start_resending_*` operation (`ARQMessage`). */
interface ArqEntry {
  readonly appKey: string;
  readonly queryId: Uint8Array | null;
  /** Hex of the envelope hash, or of BLAKE2b-256(write cap) for copies: one shared namespace. */
  readonly hashKey: string;
  readonly kind: 'envelope' | 'copy';
  readonly courier: Courier;
  readonly payload: Uint8Array;
  readonly isRead: boolean;
  readonly readCap: Uint8Array | null;
  readonly messageBoxIndex: Uint8Array | null;
  readonly envelopeDescriptor: Uint8Array | null;
  readonly noRetry: boolean;
  readonly noIdempotent: boolean;
  state: 'waiting' | 'acked' | 'payload';
  /** The current SURB id (hex): the key under which replies and resends find this entry. */
  surb: string;
  timer: SimTimer | null;
}

/** What the engine needs from the daemon. */
export interface ArqHost {
  readonly clock: SimClock;
  readonly random: SimRandom;
  readonly network: SimNetwork;
  readonly logger: Logger;
  /** The cores the decryptions share with every connection's encryptions. */
  readonly cpu: DaemonCpu;
  /** The live connection serving an AppID, if any. */
  connection(appKey: string): SimConnection | undefined;
  /** Sends to the AppID's connection if there is one (pigeonhole replies are never queued). */
  deliver(appKey: string, message: OutgoingDaemonMessage): void;
  /** A resend was queued on a connection (fixed-latency mode sends at once). */
  resendQueued(): void;
}

/**
 * The daemon's ARQ for Pigeonhole (`client/arq.go`, `pigeonhole.go`,
 * DAEMON.md §3–§4): one entry per dispatched `start_resending_*`, indexed
 * by current SURB id and by envelope / write-cap hash, with:
 * - retransmission reply_eta + 20 s after each send, forever, same courier;
 * - follow-ups (read after ACK, BoxIDNotFound retries, copy polls every 5 s)
 *   through the client's resend queue, i.e. on its next send slot;
 * - the state machine WaitingForACK → ACKReceived → PayloadReceived;
 * - while the client is away, due resends re-arm every 100 ms; a reply that
 *   arrives while it is away is dropped and the entry orphaned;
 * - cancel finds only dispatched entries, answers code 24 to the original
 *   query, then 0 to the cancel.
 *
 * @example
 * engine.startEncrypted(appKey, request); // called at a send slot
 */
export class ArqEngine {
  /** When the daemon's one ingress worker is free again (it decrypts every read reply, one at a time). */
  private ingressFreeAt = 0;

  private readonly bySurb = new Map<string, ArqEntry>();
  private readonly byHash = new Map<string, string>();

  constructor(private readonly host: ArqHost) {}

  /** Entries in flight (including orphaned ones). */
  get inFlight(): number {
    return this.bySurb.size;
  }

  /**
   * Orphaned entries: no retransmit timer and no resend waiting in its
   * client's queue, so they will never progress, reply or end — a reply
   * dropped while the client was away, or a resend lost with its
   * connection (DAEMON.md §1.3). Only a cancel (or the end of the session)
   * removes them. The daemon's `metricsSampler` counts a wider set: every
   * entry whose AppID has no connection.
   */
  get orphaned(): number {
    let n = 0;
    for (const entry of this.bySurb.values()) {
      if (entry.timer === null && !this.host.connection(entry.appKey)?.resendQueue.includes(entry.surb)) n++;
    }
    return n;
  }

  /**
   * Entries beyond the first for one envelope (or write-cap) hash: a second
   * `start_resending_*` of the same hash starts an independent ARQ, and a
   * cancel reaches only the newest (DAEMON.md §3.5).
   */
  get duplicates(): number {
    const hashes = new Set<string>();
    for (const entry of this.bySurb.values()) hashes.add(entry.hashKey);
    return this.bySurb.size - hashes.size;
  }

  /** Dispatches a `start_resending_encrypted_message` (at a send slot). */
  startEncrypted(appKey: string, request: StartEncrypted): void {
    const fail = (errorCode: number): void =>
      this.host.deliver(appKey, { type: 'start_resending_encrypted_message_reply', queryId: request.queryId, errorCode });
    if (request.queryId === null || request.envelopeHash === null) return fail(Code.invalidRequest);
    if (request.messageCiphertext === null || request.messageCiphertext.length === 0) return fail(Code.invalidRequest);
    if (request.envelopeDescriptor === null || request.envelopeDescriptor.length === 0) return fail(Code.invalidRequest);
    if ((request.readCap === null) === (request.writeCap === null)) return fail(Code.invalidRequest);
    const { pki } = this.host.network;
    if (pki.currentDocumentEpoch() === null) return fail(Code.internalError);
    const courier = this.randomCourier();
    if (courier === null) return fail(Code.internalError);
    const entry: ArqEntry = {
      appKey,
      queryId: request.queryId,
      hashKey: toHex(request.envelopeHash),
      kind: 'envelope',
      courier,
      payload: request.messageCiphertext,
      isRead: request.readCap !== null,
      readCap: request.readCap,
      messageBoxIndex: request.messageBoxIndex,
      envelopeDescriptor: request.envelopeDescriptor,
      noRetry: request.noRetryOnBoxIdNotFound,
      noIdempotent: request.noIdempotentBoxAlreadyExists,
      state: 'waiting',
      surb: '',
      timer: null,
    };
    if (!this.firstSend(entry)) fail(Code.internalError);
  }

  /** Dispatches a `start_resending_copy_command` (at a send slot). */
  startCopy(appKey: string, request: StartCopy): void {
    const fail = (errorCode: number): void =>
      this.host.deliver(appKey, { type: 'start_resending_copy_command_reply', queryId: request.queryId, errorCode });
    if (request.queryId === null || request.writeCap === null) return fail(Code.invalidRequest);
    // Pinned only when both fields are given and the queue ID is not empty; not checked against the document.
    const pinned =
      request.courierIdentityHash !== null && request.courierQueueId !== null && request.courierQueueId.length > 0
        ? { identityHash: request.courierIdentityHash, queueId: request.courierQueueId }
        : null;
    if (pinned === null && this.host.network.pki.currentDocumentEpoch() === null) return fail(Code.internalError);
    const courier = pinned ?? this.randomCourier();
    if (courier === null) return fail(Code.internalError);
    const entry: ArqEntry = {
      appKey,
      queryId: request.queryId,
      hashKey: toHex(blake2b256(request.writeCap)),
      kind: 'copy',
      courier,
      payload: encodeCopyCommand(request.writeCap),
      isRead: false,
      readCap: null,
      messageBoxIndex: null,
      envelopeDescriptor: null,
      noRetry: false,
      noIdempotent: false,
      state: 'waiting',
      surb: '',
      timer: null,
    };
    // A pinned courier missing from the document fails to compose: 4.
    if (!this.firstSend(entry)) fail(Code.internalError);
  }

  /** `cancel_resending_encrypted_message` (local). */
  cancelEncrypted(connection: SimConnection, request: CancelEncrypted): void {
    const reply = (errorCode: number): OutgoingDaemonMessage => ({ type: 'cancel_resending_encrypted_message_reply', queryId: request.queryId, errorCode });
    if (request.queryId === null || request.envelopeHash === null) {
      connection.send(reply(Code.invalidRequest));
      return;
    }
    const entry = this.remove(toHex(request.envelopeHash));
    if (entry !== null) {
      connection.send({
        type: 'start_resending_encrypted_message_reply',
        queryId: entry.queryId,
        errorCode: Code.startResendingCancelled,
        courierIdentityHash: entry.courier.identityHash,
        courierQueueId: entry.courier.queueId,
      });
    }
    connection.send(reply(Code.success));
  }

  /** `cancel_resending_copy_command` (local). Shares the hash index with encrypted messages. */
  cancelCopy(connection: SimConnection, request: CancelCopy): void {
    const reply = (errorCode: number): OutgoingDaemonMessage => ({ type: 'cancel_resending_copy_command_reply', queryId: request.queryId, errorCode });
    if (request.queryId === null || request.writeCapHash === null) {
      connection.send(reply(Code.invalidRequest));
      return;
    }
    const entry = this.remove(toHex(request.writeCapHash));
    if (entry !== null) {
      connection.send({ type: 'start_resending_copy_command_reply', queryId: entry.queryId, errorCode: Code.startResendingCancelled });
    }
    connection.send(reply(Code.success));
  }

  /** A resend taken from a client's resend queue at a send slot (`arqDoResend`). */
  resend(surb: string): void {
    const entry = this.bySurb.get(surb);
    if (entry === undefined) return;
    if (this.host.connection(entry.appKey) === undefined) {
      this.bySurb.delete(surb);
      this.byHash.delete(entry.hashKey);
      return;
    }
    if (!this.composable(entry)) {
      // Retried every second, indefinitely, never reported.
      this.rotate(entry, this.newSurb());
      this.arm(entry, COMPOSE_RETRY_MS, () => this.enqueueResend(entry.surb));
      return;
    }
    this.rotate(entry, this.newSurb());
    this.transmit(entry);
  }

  /** Forgets every entry of an AppID (thin_close, grace expiry, legacy disconnect). */
  cleanupApp(appKey: string): void {
    for (const [surb, entry] of this.bySurb) {
      if (entry.appKey !== appKey) continue;
      entry.timer?.cancel();
      this.bySurb.delete(surb);
      if (this.byHash.get(entry.hashKey) === surb) this.byHash.delete(entry.hashKey);
    }
  }

  /** Stops every timer (daemon stop). */
  dispose(): void {
    for (const entry of this.bySurb.values()) entry.timer?.cancel();
    this.bySurb.clear();
    this.byHash.clear();
  }

  // ---- sending --------------------------------------------------------------

  /** `arqSend`: false when the packet cannot be composed (the start then fails with 4). */
  private firstSend(entry: ArqEntry): boolean {
    if (!this.composable(entry)) return false;
    entry.surb = this.newSurb();
    this.bySurb.set(entry.surb, entry);
    this.byHash.set(entry.hashKey, entry.surb);
    this.transmit(entry);
    return true;
  }

  /** Sends the entry's packet under its current SURB and arms the retransmit timer. */
  private transmit(entry: ArqEntry): void {
    const surb = entry.surb;
    const timing = this.host.network.send({
      destination: entry.courier.identityHash,
      queueId: entry.courier.queueId,
      payload: entry.payload,
      onReply: (reply) => this.onReply(surb, reply),
    });
    this.arm(entry, timing.etaMs + ROUND_TRIP_SLOP_MS, () => this.enqueueResend(surb));
  }

  /** Whether a Sphinx packet to the entry's courier can be built now (a document, the courier in it, the size). */
  private composable(entry: ArqEntry): boolean {
    const { network } = this.host;
    if (network.pki.currentDocumentEpoch() === null) return false;
    if (network.serviceNode(entry.courier.identityHash) === undefined) return false;
    return entry.payload.length <= network.geometry.sphinx.userForwardPayloadLength;
  }

  /** `enqueueResend`: onto the client's resend queue, or re-armed while it is away or the queue is full. */
  private enqueueResend(surb: string): void {
    const entry = this.bySurb.get(surb);
    if (entry === undefined) return;
    const connection = this.host.connection(entry.appKey);
    if (connection === undefined || connection.resendQueue.length >= 8) {
      this.arm(entry, REARM_MS, () => this.enqueueResend(surb));
      return;
    }
    connection.resendQueue.push(surb);
    this.host.resendQueued();
  }

  private rotate(entry: ArqEntry, surb: string): void {
    this.bySurb.delete(entry.surb);
    entry.surb = surb;
    this.bySurb.set(surb, entry);
    this.byHash.set(entry.hashKey, surb);
  }

  private arm(entry: ArqEntry, delayMs: number, fn: () => void): void {
    entry.timer?.cancel();
    entry.timer = this.host.clock.setTimer(delayMs, () => {
      entry.timer = null;
      fn();
    });
  }

  private newSurb(): string {
    return toHex(this.host.random.bytes(WireSizes.surbId));
  }

  private randomCourier(): Courier | null {
    const nodes = this.host.network.nodesWith('courier');
    if (nodes.length === 0) return null;
    const node = nodes[this.host.random.int(nodes.length)]!;
    return { identityHash: node.identityHash, queueId: new TextEncoder().encode(node.services.get('courier')!) };
  }

  /** Removes the entry the hash index points at (cancel); returns it, or null. */
  private remove(hashKey: string): ArqEntry | null {
    const surb = this.byHash.get(hashKey);
    if (surb === undefined) return null;
    const entry = this.bySurb.get(surb) ?? null;
    this.bySurb.delete(surb);
    this.byHash.delete(hashKey);
    entry?.timer?.cancel();
    return entry;
  }

  /** Terminal: out of both indexes (the hash entry even if it now points at a duplicate). */
  private finish(entry: ArqEntry): void {
    entry.timer?.cancel();
    this.bySurb.delete(entry.surb);
    this.byHash.delete(entry.hashKey);
  }

  // ---- replies ----------------------------------------------------------------

  private onReply(surb: string, reply: ServiceReply): void {
    const entry = this.bySurb.get(surb);
    // Superseded SURB, cancelled or finished: ignored.
    if (entry === undefined) return;
    entry.timer?.cancel();
    entry.timer = null;
    const connection = this.host.connection(entry.appKey);
    if (connection === undefined) {
      // The client is away: the reply is dropped and the entry orphaned (DAEMON.md §1.3).
      this.host.logger.debug('sim: pigeonhole reply while the client is away, ARQ orphaned');
      return;
    }
    if (reply.kind !== 'courier') {
      this.finish(entry);
      return;
    }
    if (entry.kind === 'copy') this.onCopyReply(entry, connection, reply.reply);
    else this.onEnvelopeReply(entry, connection, reply.reply);
  }

  private onCopyReply(entry: ArqEntry, connection: SimConnection, reply: CourierReply): void {
    // A reply of the wrong kind is ignored: the entry stays, orphaned.
    if (reply.kind !== 'copy') return;
    const copy: CopyReply = reply;
    if (copy.status === 'in-progress') {
      // No intermediate event: poll again in 5 s, on the client's next slot.
      this.rotate(entry, this.newSurb());
      this.arm(entry, COPY_POLL_MS, () => this.enqueueResend(entry.surb));
      return;
    }
    this.finish(entry);
    connection.send(
      copy.status === 'succeeded'
        ? { type: 'start_resending_copy_command_reply', queryId: entry.queryId, errorCode: Code.success }
        : {
            type: 'start_resending_copy_command_reply',
            queryId: entry.queryId,
            errorCode: Code.copyCommandFailed,
            replicaErrorCode: copy.replicaErrorCode,
            failedEnvelopeIndex: copy.failedEnvelopeIndex,
          },
    );
  }

  private onEnvelopeReply(entry: ArqEntry, connection: SimConnection, reply: CourierReply): void {
    if (reply.kind === 'copy') {
      this.finish(entry);
      return;
    }
    const envelope: EnvelopeReply = reply;
    if (envelope.kind === 'courier-error') {
      this.finish(entry);
      this.complete(entry, connection, courierErrorToThin(envelope.code), null);
      return;
    }
    if (entry.state === 'payload') return;
    if (envelope.kind === 'ack') {
      if (entry.state === 'waiting' && !entry.isRead && !entry.noIdempotent) {
        // Default write: success on the courier's ACK, one round trip.
        this.finish(entry);
        this.complete(entry, connection, Code.success, null);
        return;
      }
      entry.state = 'acked';
      this.enqueueResend(entry.surb);
      return;
    }
    entry.state = 'payload';
    this.decryptThen(() => {
      // Cancelled while its reply waited for the decrypting worker: nothing to report.
      if (this.bySurb.get(entry.surb) !== entry) return;
      const current = this.host.connection(entry.appKey);
      if (current === undefined) return; // away: orphaned, as a reply that finds no connection
      this.onPayload(entry, current, envelope);
    });
  }

  /**
   * Runs `fn` once the daemon has decrypted a reply (MKEM): on its single
   * ingress worker, so the decryptions of every client queue behind each
   * other (`latency.replyDecrypt`, 0 in fixed-latency mode), on a core
   * the connections' encryptions also want.
   */
  private decryptThen(fn: () => void): void {
    const cost = this.host.network.latency.replyDecrypt();
    if (cost <= 0) return fn();
    const now = this.host.clock.now();
    this.ingressFreeAt = this.host.cpu.schedule(Math.max(now, this.ingressFreeAt), cost);
    this.host.clock.setTimer(this.ingressFreeAt - now, fn);
  }

  /** `handlePayloadReply` / `decryptPigeonholeReply`, with the simulator's fake crypto. */
  private onPayload(entry: ArqEntry, connection: SimConnection, reply: Extract<EnvelopeReply, { kind: 'payload' }>): void {
    const { query, result } = reply;
    const outcome = (errorCode: number, plaintext: Uint8Array | null = null): void => {
      this.finish(entry);
      this.complete(entry, connection, errorCode, plaintext);
    };
    const replicaError = (code: number): void => {
      if (code === ReplicaCode.boxIdNotFound && entry.isRead && !entry.noRetry) {
        // Retried without bound: back to WaitingForACK, resent on the next slot.
        entry.state = 'waiting';
        this.enqueueResend(entry.surb);
        return;
      }
      if (code === ReplicaCode.boxAlreadyExists && !entry.isRead && !entry.noIdempotent) return outcome(Code.success);
      outcome(code);
    };
    if (entry.envelopeDescriptor === null || !descriptorMatches(entry.envelopeDescriptor, query.nonce)) return outcome(Code.mkemDecryptionFailed);
    let plaintext: Uint8Array;
    if (query.op === 'read') {
      if (result.code !== ReplicaCode.success && result.code !== ReplicaCode.tombstone) return replicaError(result.code);
      const tombstone = result.code === ReplicaCode.tombstone;
      if (entry.isRead && entry.readCap !== null && entry.messageBoxIndex !== null) {
        if (entry.messageBoxIndex.length !== WireSizes.messageBoxIndex) return outcome(Code.bacapDecryptionFailed);
        const matches = bytesEqual(capPublicKey(entry.readCap), query.publicKey) && bytesEqual(entry.messageBoxIndex, query.index);
        if (!matches) return outcome(tombstone ? Code.invalidTombstoneSig : Code.bacapDecryptionFailed);
        if (tombstone) return outcome(ReplicaCode.tombstone);
        plaintext = result.plaintext ?? new Uint8Array(0);
      } else {
        // No BACAP step: the raw box ciphertext, which does not unpad (4), or empty for a tombstone.
        if (!tombstone && entry.isRead) return outcome(Code.internalError);
        plaintext = new Uint8Array(0);
      }
    } else {
      if (result.code !== ReplicaCode.success) return replicaError(result.code);
      plaintext = new Uint8Array(0);
    }
    if (!entry.isRead) return outcome(Code.success);
    // The defensive tombstone path: an empty plaintext reads as 11 with an empty byte string.
    if (plaintext.length === 0) return outcome(ReplicaCode.tombstone, new Uint8Array(0));
    outcome(Code.success, plaintext);
  }

  private complete(entry: ArqEntry, connection: SimConnection, errorCode: number, plaintext: Uint8Array | null): void {
    connection.send({
      type: 'start_resending_encrypted_message_reply',
      queryId: entry.queryId,
      plaintext,
      errorCode,
      courierIdentityHash: entry.courier.identityHash,
      courierQueueId: entry.courier.queueId,
    });
  }
}

/** The daemon's remap of courier EnvelopeError codes out of the replica range. */
function courierErrorToThin(code: number): number {
  switch (code) {
    case CourierError.cacheCorruption:
      return Code.courierCacheCorruption;
    case CourierError.propagation:
      return Code.propagationError;
    case CourierError.invalidEpoch:
      return Code.courierInvalidEpoch;
    default:
      return Code.courierInvalidEnvelope;
  }
}
