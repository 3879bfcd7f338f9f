import { toHex } from '../core/hex.js';
import type { Logger } from '../core/logger.js';
import { WireSizes } from '../wire/constants.js';
import type { DecodedRequest, OutgoingDaemonMessage } from '../wire/messages.js';
import type { SimClock, SimTimer } from './sim-clock.js';
import type { SimNetwork } from './sim-network.js';

type SendMessage = Extract<DecodedRequest, { type: 'send_message' }>;

/** Per-hop wall-clock budget the daemon adds to a SURB's retention (`perHopSlopMs`). */
const PER_HOP_SLOP_MS = 500;

interface ReplyDescriptor {
  readonly appKey: string;
  readonly messageId: Uint8Array | null;
  readonly surbId: Uint8Array;
  readonly gc: SimTimer;
}

/** What legacy sending needs from the daemon. */
export interface LegacyHost {
  readonly clock: SimClock;
  readonly network: SimNetwork;
  readonly logger: Logger;
  /** Layers of the topology (SURB retention is reply_eta + (2·layers + 3) · 500 ms). */
  readonly mixLayers: number;
  /** Sends to the live connection of the AppID; false when there is none. */
  sendIfConnected(appKey: string, message: OutgoingDaemonMessage): boolean;
  /** Delivers a reply: to the connection, or queued for a session in its grace period. */
  deliverQueueable(appKey: string, message: OutgoingDaemonMessage): void;
  /** `with_surb` without a `surbid` makes the real daemon crash a few seconds later. */
  crash(reason: string): void;
}

/**
 * Legacy `send_message` (DAEMON.md §6, `daemon.send`), dispatched at a send
 * slot:
 * - checks happen now, not at receipt, and produce no error code: with a
 *   SURB the `message_sent_event` carries `err`, without one nothing at all
 *   is sent back;
 * - with a SURB: `message_sent_event` (only if the client is connected at
 *   that moment; `sent_at` in Unix seconds, `reply_eta` in ns), then the
 *   echo service's `message_reply_event` with a ForwardPayloadLength payload,
 *   queued for a client in its grace period;
 * - the SURB is kept for reply_eta + (2·layers + 3)·500 ms; a later reply is
 *   dropped silently.
 *
 * @example
 * legacy.send(appKey, request);
 */
export class LegacySender {
  private readonly replies = new Map<string, ReplyDescriptor>();

  constructor(private readonly host: LegacyHost) {}

  send(appKey: string, request: SendMessage): void {
    const { network, clock } = this.host;
    const error = this.validate(request);
    let etaMs = 0;
    const surbKey = request.surbId === null ? null : toHex(request.surbId);
    if (error === null) {
      const timing = network.send({
        destination: request.destinationIdHash!,
        queueId: request.recipientQueueId!,
        payload: padTo(request.payload ?? new Uint8Array(0), network.geometry.sphinx.userForwardPayloadLength),
        onReply: request.withSurb && surbKey !== null ? (reply) => this.onReply(surbKey, reply.kind === 'echo' ? reply.payload : null) : null,
      });
      etaMs = timing.etaMs;
    } else {
      this.host.logger.debug('sim: send_message failed', { error });
    }
    if (!request.withSurb) return;
    if (surbKey === null) {
      // The SURB garbage-collection timer dereferences the nil id (DAEMON.md §6 [suspected bug]).
      clock.setTimer(5000, () => this.host.crash('send_message with with_surb and a null surbid'));
      return;
    }
    const now = clock.now();
    this.host.sendIfConnected(appKey, {
      type: 'message_sent_event',
      messageId: request.messageId,
      surbId: request.surbId,
      sentAt: Math.floor(now / 1000),
      replyEta: Math.round(etaMs * 1e6),
      ...(error === null ? {} : { err: error }),
    });
    const retention = etaMs + (2 * this.host.mixLayers + 3) * PER_HOP_SLOP_MS;
    this.replies.get(surbKey)?.gc.cancel();
    const gc = clock.setTimer(retention, () => {
      if (this.replies.get(surbKey)?.gc === gc) this.replies.delete(surbKey);
    });
    this.replies.set(surbKey, { appKey, messageId: request.messageId, surbId: request.surbId!, gc });
  }

  /** Forgets an AppID's reply descriptors (thin_close, grace expiry). */
  cleanupApp(appKey: string): void {
    for (const [key, descriptor] of this.replies) {
      if (descriptor.appKey !== appKey) continue;
      descriptor.gc.cancel();
      this.replies.delete(key);
    }
  }

  dispose(): void {
    for (const descriptor of this.replies.values()) descriptor.gc.cancel();
    this.replies.clear();
  }

  private onReply(surbKey: string, payload: Uint8Array | null): void {
    const descriptor = this.replies.get(surbKey);
    // Past its retention (or never stored): dropped without an event.
    if (descriptor === undefined || payload === null) return;
    descriptor.gc.cancel();
    this.replies.delete(surbKey);
    this.host.deliverQueueable(descriptor.appKey, {
      type: 'message_reply_event',
      messageId: descriptor.messageId,
      surbId: descriptor.surbId,
      payload,
      errorCode: 0,
    });
  }

  /** The daemon's checks (`validateSendMessageRequest`, `makePath`), with its error texts. */
  private validate(request: SendMessage): string | null {
    const { network } = this.host;
    if (request.destinationIdHash === null) return 'request.DestinationIdHash is nil';
    const queue = request.recipientQueueId;
    if (queue === null || queue.length === 0) return 'client: recipient is nil';
    if (queue.length > WireSizes.maxQueueId) return `client: invalid recipient: '[${[...queue].join(' ')}]'`;
    const max = network.geometry.sphinx.userForwardPayloadLength;
    const length = request.payload?.length ?? 0;
    if (length > max) return `message too large: ${length} > ${max}`;
    if (network.pki.currentDocumentEpoch() === null) return 'client: makePath: no PKI document for current epoch';
    if (network.serviceNode(request.destinationIdHash) === undefined) {
      return 'client: failed to find destination service node: pki: service not found';
    }
    return null;
  }
}

function padTo(payload: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(Math.max(length, payload.length));
  out.set(payload, 0);
  return out;
}
