import { InvalidArgumentError, ServiceNotFoundError } from '../../src/errors/local-errors.js';
import { COURIER_CAPABILITY, courierIdentityHash, getAllCouriers, getDistinctCouriers } from '../../src/pki/couriers.js';
import { decodePKIDocument } from '../../src/pki/decode-pki-document.js';
import type { RandomSource } from '../../src/pki/random-source.js';
import { toHex } from './go-cbor.js';
import { buildFixture } from './go-shape-fixture.js';
import { docWith, node } from './pki-builders.js';

const names = (list: readonly { mixDescriptor: { name: string } }[]): string[] => list.map((c) => c.mixDescriptor.name);
const sequence = (...values: number[]): RandomSource => {
  let i = 0;
  return () => {
    const v = values[i++];
    if (v === undefined) throw new Error('random source exhausted');
    return v;
  };
};

const courier = { endpoint: 'courier' };
const threeCouriers = docWith({
  serviceNodes: [
    node('c0', 0x10, { courier }),
    node('echo-only', 0x11, { echo: { endpoint: '+echo' } }),
    node('c1', 0x12, { courier }),
    node('c2', 0x13, { courier, echo: { endpoint: '+echo' } }),
  ],
});

describe('getAllCouriers', () => {
  it('returns every "courier" service in document order', () => {
    expect(COURIER_CAPABILITY).toBe('courier');
    expect(names(getAllCouriers(threeCouriers))).toEqual(['c0', 'c1', 'c2']);
  });

  it('returns [] when there is none', () => {
    expect(getAllCouriers(docWith({}))).toEqual([]);
  });
});

describe('getDistinctCouriers', () => {
  it('draws without replacement (partial Fisher–Yates) from the injected source', () => {
    expect(names(getDistinctCouriers(threeCouriers, 3, sequence(0, 0, 0)))).toEqual(['c0', 'c1', 'c2']);
    // i=0: j=0+floor(.99*3)=2 → [c2,c1,c0]; i=1: j=1+floor(.99*2)=2 → [c2,c0,c1].
    expect(names(getDistinctCouriers(threeCouriers, 2, sequence(0.99, 0.99)))).toEqual(['c2', 'c0']);
    expect(names(getDistinctCouriers(threeCouriers, 1, sequence(0.5)))).toEqual(['c1']);
  });

  it('never returns two couriers with the same identity hash', () => {
    for (let i = 0; i < 50; i++) {
      const picked = getDistinctCouriers(threeCouriers, 3);
      expect(new Set(picked.map((c) => toHex(courierIdentityHash(c)))).size).toBe(3);
    }
  });

  it('counts nodes sharing an identity key once', () => {
    const dup = docWith({ serviceNodes: [node('a', 1, { courier }), node('a-again', 1, { courier }), node('b', 2, { courier })] });
    expect(getAllCouriers(dup)).toHaveLength(3);
    expect(names(getDistinctCouriers(dup, 2, sequence(0, 0)))).toEqual(['a', 'b']);
    expect(() => getDistinctCouriers(dup, 3)).toThrow(ServiceNotFoundError);
  });

  it('throws ServiceNotFoundError when fewer than n distinct couriers exist', () => {
    expect(() => getDistinctCouriers(threeCouriers, 4)).toThrow(
      '4 distinct couriers requested, the PKI document of epoch 7 advertises 3',
    );
    expect(() => getDistinctCouriers(docWith({}), 1)).toThrow(ServiceNotFoundError);
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects n = %p', (n) => {
    expect(() => getDistinctCouriers(threeCouriers, n)).toThrow(InvalidArgumentError);
  });
});

describe('courierIdentityHash', () => {
  it('is BLAKE2b-256 of the IdentityKey, for a ServiceDescriptor or a MixDescriptor', () => {
    const doc = decodePKIDocument(buildFixture());
    const [sn1] = getAllCouriers(doc);
    // python3: hashlib.blake2b(bytes(range(32)), digest_size=32).hexdigest()
    const expected = 'cb2f5160fc1f7e05a55ef49d340b48da2e5a78099d53393351cd579dd42503d6';
    expect(toHex(courierIdentityHash(sn1!))).toBe(expected);
    expect(toHex(courierIdentityHash(sn1!.mixDescriptor))).toBe(expected);
    expect(courierIdentityHash(sn1!)).toEqual(sn1!.toDestination().destinationIdHash);
  });
});
