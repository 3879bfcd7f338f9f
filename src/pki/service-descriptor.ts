import { blake2b256 } from './blake2b256.js';
import type { MixDescriptor } from './pki-document.js';

/**
 * Where to send a message for a service: the two fields of `send_message`
 * (`destination_id_hash`, `recipient_queue_id`), or of a pinned courier
 * (`courier_identity_hash`, `courier_queue_id`) for
 * `start_resending_copy_command`.
 *
 * @example
 * const { destinationIdHash, recipientQueueId } = service.toDestination();
 */
export interface ServiceDestination {
  /** BLAKE2b-256 of the service node's `IdentityKey` (32 bytes). */
  readonly destinationIdHash: Uint8Array;
  /** UTF-8 bytes of the service's Kaetzchen `endpoint` (1–32 bytes). */
  readonly recipientQueueId: Uint8Array;
}

/**
 * One service found in a PKI document (Go `common.ServiceDescriptor`): a
 * service node advertising `capability` in its `Kaetzchen` map, with the
 * queue ID taken from that entry's `endpoint` (PROTOCOL.md §6.2). Built by
 * {@link findServices}.
 *
 * @example
 * const echo = getService(doc, 'echo');
 * const dest = echo.toDestination(); // { destinationIdHash, recipientQueueId }
 */
export class ServiceDescriptor {
  constructor(
    /** The node that runs the service. */
    readonly mixDescriptor: MixDescriptor,
    /** The capability it was found under, e.g. `"courier"`. */
    readonly capability: string,
    /** UTF-8 bytes of `Kaetzchen[capability]["endpoint"]`, e.g. `"courier"`, `"+echo"`. */
    readonly recipientQueueId: Uint8Array,
  ) {}

  /**
   * The destination pair for this service. Returns fresh arrays on every
   * call, so callers may keep or mutate them.
   *
   * @example
   * const { destinationIdHash } = courier.toDestination(); // = courier_identity_hash
   */
  toDestination(): ServiceDestination {
    return {
      destinationIdHash: blake2b256(this.mixDescriptor.identityKey),
      recipientQueueId: new Uint8Array(this.recipientQueueId),
    };
  }

  /**
   * The same pair named as a courier pin, for `startResendingCopyCommand`
   * and `copySend({ courier })`.
   *
   * @example
   * const [outer, inner] = client.getDistinctCouriers(2).map((c) => c.toCourierDestination());
   */
  toCourierDestination(): { readonly courierIdentityHash: Uint8Array; readonly courierQueueId: Uint8Array } {
    const { destinationIdHash, recipientQueueId } = this.toDestination();
    return { courierIdentityHash: destinationIdHash, courierQueueId: recipientQueueId };
  }
}
