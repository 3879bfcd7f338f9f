import { InvalidArgumentError, ProtocolError, ServiceNotFoundError } from '../errors/local-errors.js';
import type { PKIDocument } from './pki-document.js';
import { cryptoRandom, randomIndex, type RandomSource } from './random-source.js';
import { ServiceDescriptor } from './service-descriptor.js';

/** `constants.RecipientIDLength`: the longest queue ID a Sphinx packet can carry. */
const MAX_ENDPOINT_BYTES = 32;

/**
 * Refuses anything but a non-empty string as a capability name. Exported so
 * that callers can refuse a bad argument before looking for a document.
 *
 * @example
 * checkCapability('echo'); // passes
 */
export function checkCapability(capability: unknown): asserts capability is string {
  if (typeof capability !== 'string' || capability === '') throw new InvalidArgumentError('capability', 'expected the name of a service capability, e.g. "echo"');
}

/**
 * Every service advertising `capability` (Go `common.FindServices`,
 * PROTOCOL.md §6.2): each `serviceNodes` entry whose `Kaetzchen` map has
 * `capability` as a key, in document order. Returns `[]` when there is none.
 *
 * The queue ID is the UTF-8 encoding of `Kaetzchen[capability]["endpoint"]`.
 * Go asserts that value is a string (and the directory authorities only
 * publish 1–32-byte endpoints), so anything else is a `ProtocolError` naming
 * the node.
 *
 * @example
 * const echoes = findServices(doc, 'echo');
 * const { destinationIdHash, recipientQueueId } = echoes[0]!.toDestination();
 */
export function findServices(doc: PKIDocument, capability: string): ServiceDescriptor[] {
  checkCapability(capability);
  const found: ServiceDescriptor[] = [];
  for (const node of doc.serviceNodes) {
    const kaetzchen = node.kaetzchen;
    if (kaetzchen === null || !Object.hasOwn(kaetzchen, capability)) continue;
    const endpoint = kaetzchen[capability]?.['endpoint'];
    const queueId = typeof endpoint === 'string' ? new TextEncoder().encode(endpoint) : undefined;
    if (queueId === undefined || queueId.length === 0 || queueId.length > MAX_ENDPOINT_BYTES) {
      throw new ProtocolError(
        `PKI document: service node "${node.name}" capability "${capability}": ` +
          `Kaetzchen endpoint must be a text string of 1–${MAX_ENDPOINT_BYTES} bytes`,
      );
    }
    found.push(new ServiceDescriptor(node, capability, queueId));
  }
  return found;
}

/**
 * One service advertising `capability`, drawn uniformly at random (Go
 * `GetService`). Throws `ServiceNotFoundError` when none is advertised.
 *
 * @param random Source of uniform numbers in `[0, 1)`; defaults to the
 *   platform CSPRNG. Inject one to make the choice deterministic in tests.
 *
 * @example
 * const echo = getService(doc, 'echo');
 * const first = getService(doc, 'courier', () => 0); // deterministic
 */
export function getService(
  doc: PKIDocument,
  capability: string,
  random: RandomSource = cryptoRandom,
): ServiceDescriptor {
  const services = findServices(doc, capability);
  if (services.length === 0) {
    throw new ServiceNotFoundError(
      `no service with capability "${capability}" in the PKI document of epoch ${doc.epoch}`,
    );
  }
  return services[randomIndex(services.length, random)] as ServiceDescriptor;
}
