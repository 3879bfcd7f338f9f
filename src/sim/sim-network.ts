import { bytesEqual, toHex } from '../core/hex.js';
import type { Logger } from '../core/logger.js';
import type { LatencyModel, PathTiming } from './latency-model.js';
import { BoxStore } from './pigeonhole/box-store.js';
import { SimCourier, type CourierReply } from './pigeonhole/sim-courier.js';
import type { SimClock } from './sim-clock.js';
import type { SimGeometry } from './sim-geometry.js';
import type { SimPki, SimServiceNode } from './sim-pki.js';
import type { SimRandom } from './sim-random.js';

/** What comes back through a SURB. */
export type ServiceReply = { readonly kind: 'echo'; readonly payload: Uint8Array } | { readonly kind: 'courier'; readonly reply: CourierReply };

/** One Sphinx packet leaving the daemon. */
export interface OutgoingPacket {
  /** `destination_id_hash`: BLAKE2b-256 of the service node's identity key. */
  readonly destination: Uint8Array;
  readonly queueId: Uint8Array;
  readonly payload: Uint8Array;
  /** Called when the reply reaches the daemon; `null` = no SURB attached. */
  readonly onReply: ((reply: ServiceReply) => void) | null;
}

/**
 * Everything outside the daemon: mixes, service nodes (couriers and the
 * echo service), replicas and the PKI. It survives a simulated daemon
 * restart — boxes written and copy results stay, as on a real network.
 *
 * The gateway link (`online`) decides whether packets get in or out:
 * the daemon's sender does not tick while offline, and a reply arriving
 * while offline is lost (the ARQ retransmits later; a legacy reply is gone).
 *
 * @example
 * const timing = network.send({ destination, queueId, payload, onReply: (r) => handle(r) });
 * timing.etaMs; // reply_eta
 */
export class SimNetwork {
  readonly boxes = new BoxStore();
  online: boolean;
  private readonly couriers = new Map<string, SimCourier>();

  constructor(
    readonly clock: SimClock,
    readonly random: SimRandom,
    readonly latency: LatencyModel,
    readonly pki: SimPki,
    readonly geometry: SimGeometry,
    private readonly logger: Logger,
    online: boolean,
  ) {
    this.online = online;
    for (const node of pki.serviceNodes) {
      if (!node.services.has('courier')) continue;
      this.couriers.set(
        toHex(node.identityHash),
        new SimCourier(node.name, { clock, latency, boxes: this.boxes, replicaEpoch: () => pki.replicaEpoch() }),
      );
    }
  }

  /** The service node with this identity hash, if any. */
  serviceNode(identityHash: Uint8Array): SimServiceNode | undefined {
    return this.pki.serviceNodes.find((node) => bytesEqual(node.identityHash, identityHash));
  }

  /** Service nodes running `capability`, in document order. */
  nodesWith(capability: string): SimServiceNode[] {
    return this.pki.serviceNodes.filter((node) => node.services.has(capability));
  }

  /**
   * Sends one packet into the mixnet. The service handles it after the
   * forward delay; its reply, if any and if a SURB was attached, reaches
   * `onReply` after the return delay. Returns the timing (`etaMs` is the
   * `reply_eta` the daemon reports).
   */
  send(packet: OutgoingPacket): PathTiming {
    const timing = this.latency.path(packet.onReply !== null);
    this.clock.setTimer(timing.forwardMs, () => {
      const reply = this.deliver(packet);
      if (reply === null || packet.onReply === null) return;
      const onReply = packet.onReply;
      this.clock.setTimer(timing.returnMs, () => {
        if (!this.online) {
          this.logger.debug('sim: reply lost, gateway link is down');
          return;
        }
        onReply(reply);
      });
    });
    return timing;
  }

  /** The service's answer to a packet, or null (unknown node or queue, or nothing to say). */
  private deliver(packet: OutgoingPacket): ServiceReply | null {
    const node = this.serviceNode(packet.destination);
    if (node === undefined) return null;
    const queue = new TextDecoder().decode(packet.queueId);
    if (node.services.get('echo') === queue) return { kind: 'echo', payload: this.echoPayload(packet.payload) };
    if (node.services.get('courier') === queue) {
      const reply = this.couriers.get(toHex(node.identityHash))?.handle(packet.payload) ?? null;
      return reply === null ? null : { kind: 'courier', reply };
    }
    return null;
  }

  /** The echo service returns the (zero-padded) request inside a ForwardPayloadLength SURB payload. */
  private echoPayload(request: Uint8Array): Uint8Array {
    const out = new Uint8Array(this.geometry.sphinx.forwardPayloadLength);
    out.set(request.subarray(0, out.length), 0);
    return out;
  }
}
