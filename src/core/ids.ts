import { WireSizes } from '../wire/constants.js';
import { cryptoRandom, type RandomSource } from './random-source.js';

/**
 * Fresh random identifiers of the protocol's sizes (PROTOCOL.md §8).
 *
 * @example
 * const ids = new IdGenerator();
 * const surbId = ids.newSURBID(); // 16 random bytes
 */
export class IdGenerator {
  constructor(private readonly random: RandomSource = cryptoRandom) {}

  /** A 16-byte `query_id` correlating a request with its reply. */
  newQueryID(): Uint8Array {
    return this.random(WireSizes.queryId);
  }

  /** A 16-byte message id (`send_message.id`). */
  newMessageID(): Uint8Array {
    return this.random(WireSizes.messageId);
  }

  /** A 16-byte SURB id: the reply to a `send_message` is matched on it. */
  newSURBID(): Uint8Array {
    return this.random(WireSizes.surbId);
  }

  /** The 16-byte client instance token that identifies this client's daemon session. */
  newInstanceToken(): Uint8Array {
    return this.random(WireSizes.instanceToken);
  }
}
