import { bytesToHex } from '@noble/hashes/utils.js';

import { InvalidArgumentError, ServiceNotFoundError } from '../errors/local-errors.js';
import { blake2b256 } from './blake2b256.js';
import { findServices } from './find-services.js';
import type { MixDescriptor, PKIDocument } from './pki-document.js';
import { cryptoRandom, randomIndex, type RandomSource } from './random-source.js';
import { ServiceDescriptor } from './service-descriptor.js';

/**
 * The Kaetzchen capability under which Pigeonhole couriers are advertised.
 *
 * @example
 * findServices(doc, COURIER_CAPABILITY); // same as getAllCouriers(doc)
 */
export const COURIER_CAPABILITY = 'courier';

/**
 * Every courier in the document (`GetAllCouriers`), in document order; `[]`
 * when there is none. `toDestination()` of each gives the
 * (`courier_identity_hash`, `courier_queue_id`) pair used to pin
 * `start_resending_copy_command` to that courier.
 *
 * @example
 * const couriers = getAllCouriers(doc);
 * const pairs = couriers.map((c) => c.toDestination());
 */
export function getAllCouriers(doc: PKIDocument): ServiceDescriptor[] {
  return findServices(doc, COURIER_CAPABILITY);
}

/**
 * Refuses a courier count that is not a positive integer. Exported so that
 * callers can refuse a bad argument before looking for a document.
 *
 * @example
 * checkCourierCount(2); // passes
 */
export function checkCourierCount(n: unknown): asserts n is number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('n', 'must be a positive integer');
}

/**
 * `n` couriers drawn uniformly at random without replacement, no two with the
 * same identity hash (`GetDistinctCouriers`) — e.g. one per layer of a nested
 * copy command, so no single courier sees both layers. Throws
 * `ServiceNotFoundError` when the document advertises fewer than `n`
 * distinct couriers and `InvalidArgumentError` unless `n` is a positive
 * integer.
 *
 * @param random Source of uniform numbers in `[0, 1)`; defaults to the
 *   platform CSPRNG.
 *
 * @example
 * const [outer, inner] = getDistinctCouriers(doc, 2);
 */
export function getDistinctCouriers(
  doc: PKIDocument,
  n: number,
  random: RandomSource = cryptoRandom,
): ServiceDescriptor[] {
  checkCourierCount(n);
  // Deduplicate by identity hash first: two entries for the same node (a
  // malformed document) must not count as two couriers.
  const byHash = new Map<string, ServiceDescriptor>();
  for (const courier of getAllCouriers(doc)) {
    const key = bytesToHex(courierIdentityHash(courier));
    if (!byHash.has(key)) byHash.set(key, courier);
  }
  const pool = [...byHash.values()];
  if (pool.length < n) {
    throw new ServiceNotFoundError(
      `${n} distinct couriers requested, the PKI document of epoch ${doc.epoch} advertises ${pool.length}`,
    );
  }
  // Partial Fisher–Yates: position i receives a uniform pick of the rest.
  for (let i = 0; i < n; i++) {
    const j = i + randomIndex(pool.length - i, random);
    const picked = pool[j] as ServiceDescriptor;
    pool[j] = pool[i] as ServiceDescriptor;
    pool[i] = picked;
  }
  return pool.slice(0, n);
}

/**
 * `courier_identity_hash` / `destination_id_hash` of a node: BLAKE2b-256 of
 * its `IdentityKey` (PROTOCOL.md §6.3).
 *
 * @example
 * const hash = courierIdentityHash(getAllCouriers(doc)[0]!); // Uint8Array(32)
 */
export function courierIdentityHash(courier: ServiceDescriptor | MixDescriptor): Uint8Array {
  const descriptor = courier instanceof ServiceDescriptor ? courier.mixDescriptor : courier;
  return blake2b256(descriptor.identityKey);
}
