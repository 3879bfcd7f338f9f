import { InvalidArgumentError, ProtocolError, ServiceNotFoundError } from '../../src/errors/local-errors.js';
import { decodePKIDocument } from '../../src/pki/decode-pki-document.js';
import { findServices, getService } from '../../src/pki/find-services.js';
import { ServiceDescriptor } from '../../src/pki/service-descriptor.js';
import { toHex } from './go-cbor.js';
import { buildFixture, SN1_IDENTITY_KEY } from './go-shape-fixture.js';
import { docWith, node } from './pki-builders.js';

// BLAKE2b-256 of the fixture's identity keys, computed independently with
//   python3 -c "import hashlib; print(hashlib.blake2b(bytes(range(0, 32)), digest_size=32).hexdigest())"
// and bytes(range(32, 64)) for servicenode2.
const SN1_HASH = 'cb2f5160fc1f7e05a55ef49d340b48da2e5a78099d53393351cd579dd42503d6';
const SN2_HASH = '20f01c2c9470650a95375bb28254ac56fa844bf8d663a4ffb10273fca29481b9';
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('findServices', () => {
  const doc = decodePKIDocument(buildFixture());

  it('finds every service node advertising the capability, in document order', () => {
    const couriers = findServices(doc, 'courier');
    expect(couriers.map((s) => s.mixDescriptor.name)).toEqual(['servicenode1', 'servicenode2']);
    for (const c of couriers) {
      expect(c).toBeInstanceOf(ServiceDescriptor);
      expect(c.capability).toBe('courier');
      expect(c.recipientQueueId).toEqual(utf8('courier'));
    }
  });

  it('maps toDestination() to BLAKE2b-256(IdentityKey) and the endpoint bytes', () => {
    const [sn1, sn2] = findServices(doc, 'courier');
    expect(toHex(sn1!.toDestination().destinationIdHash)).toBe(SN1_HASH);
    expect(toHex(sn2!.toDestination().destinationIdHash)).toBe(SN2_HASH);
    const echo = findServices(doc, 'echo');
    expect(echo).toHaveLength(1);
    expect(echo[0]!.mixDescriptor.identityKey).toEqual(SN1_IDENTITY_KEY);
    expect(echo[0]!.toDestination()).toEqual({
      destinationIdHash: Uint8Array.from(Buffer.from(SN1_HASH, 'hex')),
      recipientQueueId: utf8('+echo'),
    });
  });

  it('returns fresh destination arrays on every call', () => {
    const echo = findServices(doc, 'echo')[0]!;
    const first = echo.toDestination();
    first.recipientQueueId.fill(0);
    first.destinationIdHash.fill(0);
    expect(echo.toDestination().recipientQueueId).toEqual(utf8('+echo'));
    expect(toHex(echo.toDestination().destinationIdHash)).toBe(SN1_HASH);
  });

  it('returns [] for an unknown capability and ignores non-service lists', () => {
    expect(findServices(doc, 'nope')).toEqual([]);
    // Only ServiceNodes are searched (Go common.FindServices), even if a mix advertises Kaetzchen.
    const d = docWith({ topology: [[node('mix1', 1, { courier: { endpoint: 'courier' } })]] });
    expect(findServices(d, 'courier')).toEqual([]);
  });

  it('does not match inherited properties such as "constructor" or "__proto__"', () => {
    const d = docWith({ serviceNodes: [node('sn', 1, { echo: { endpoint: '+echo' } })] });
    expect(findServices(d, 'constructor')).toEqual([]);
    expect(findServices(d, '__proto__')).toEqual([]);
    expect(findServices(d, 'toString')).toEqual([]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['a missing endpoint', {}],
    ['a non-string endpoint', { endpoint: 5 }],
    ['an empty endpoint', { endpoint: '' }],
    ['a 33-byte endpoint', { endpoint: 'x'.repeat(33) }],
    ['a 33-byte UTF-8 endpoint', { endpoint: 'é'.repeat(16) + 'x' }],
  ])('rejects %s with a ProtocolError naming the node', (_name, params) => {
    const d = docWith({ serviceNodes: [node('bad-node', 1, { courier: params })] });
    expect(() => findServices(d, 'courier')).toThrow(ProtocolError);
    expect(() => findServices(d, 'courier')).toThrow('service node "bad-node" capability "courier"');
  });

  it('accepts a 32-byte endpoint', () => {
    const d = docWith({ serviceNodes: [node('n', 1, { courier: { endpoint: 'y'.repeat(32) } })] });
    expect(findServices(d, 'courier')[0]?.recipientQueueId).toHaveLength(32);
  });
});

describe('getService', () => {
  const d = docWith({
    serviceNodes: [
      node('a', 1, { echo: { endpoint: '+echo' } }),
      node('b', 2, null),
      node('c', 3, { echo: { endpoint: '+echo' } }),
      node('d', 4, { echo: { endpoint: '+echo' } }),
    ],
  });

  it('picks uniformly with the injected random source', () => {
    expect(getService(d, 'echo', () => 0).mixDescriptor.name).toBe('a');
    expect(getService(d, 'echo', () => 0.34).mixDescriptor.name).toBe('c');
    expect(getService(d, 'echo', () => 0.999999).mixDescriptor.name).toBe('d');
  });

  it('uses a CSPRNG by default and only ever returns matches', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(getService(d, 'echo').mixDescriptor.name);
    expect([...seen].sort()).toEqual(['a', 'c', 'd']);
  });

  it('throws ServiceNotFoundError when nothing advertises the capability', () => {
    expect(() => getService(d, 'courier')).toThrow(ServiceNotFoundError);
    expect(() => getService(d, 'courier')).toThrow('no service with capability "courier" in the PKI document of epoch 7');
  });

  it('rejects a random source outside [0, 1)', () => {
    expect(() => getService(d, 'echo', () => 1)).toThrow(InvalidArgumentError);
    expect(() => getService(d, 'echo', () => -0.1)).toThrow(InvalidArgumentError);
    expect(() => getService(d, 'echo', () => Number.NaN)).toThrow(InvalidArgumentError);
  });
});
