import { getAllCouriers } from '../../src/pki/couriers.js';
import { decodePKIDocument } from '../../src/pki/decode-pki-document.js';
import { findServices } from '../../src/pki/find-services.js';
import { buildSyntheticPKIDocument } from '../../src/sim/synthetic-pki.js';
import { entryOf, fromHex, parseCbor, toHex, type Node } from './go-cbor.js';
import { GO_CANONICAL_DOCUMENT_HEX, GO_EMPTY_DOCUMENT_HEX, GO_FIXTURE_OPTIONS } from './go-encoded-fixtures.js';

const descriptorBytes = (doc: Node): string[] => {
  const out: string[] = [];
  const collect = (list: Node): void => {
    if (list.major !== 4) throw new Error('not an array');
    for (const item of list.items) {
      if (item.major !== 2) throw new Error('not a byte string');
      out.push(toHex(item.bytes));
    }
  };
  const topology = entryOf(doc, 'Topology');
  if (topology.major !== 4) throw new Error('not an array');
  topology.items.forEach(collect);
  collect(entryOf(doc, 'GatewayNodes'));
  collect(entryOf(doc, 'ServiceNodes'));
  return out;
};

describe('documents encoded by Go (katzenpost v0.0.99, fxamacker/cbor v2.9.1)', () => {
  const goCanonical = fromHex(GO_CANONICAL_DOCUMENT_HEX);
  const ours = buildSyntheticPKIDocument(GO_FIXTURE_OPTIONS);

  it('decodes Go’s canonical encoding to the same document as the synthetic builder’s', () => {
    expect(goCanonical).not.toEqual(ours); // different key order and float widths…
    expect(decodePKIDocument(goCanonical)).toEqual(decodePKIDocument(ours)); // …same content
  });

  it('decodes the canonical float16 Mu and the services', () => {
    const doc = decodePKIDocument(goCanonical);
    expect(doc.mu).toBe(1);
    expect(doc.lambdaP).toBe(0.001);
    expect(getAllCouriers(doc).map((c) => c.mixDescriptor.name)).toEqual(['servicenode1']);
    expect(findServices(doc, 'echo')).toHaveLength(1);
  });

  it('builds MixDescriptor byte strings identical to Go’s MarshalBinary output', () => {
    expect(descriptorBytes(parseCbor(ours))).toEqual(descriptorBytes(parseCbor(goCanonical)));
  });

  it('decodes a Go document full of nil fields', () => {
    const doc = decodePKIDocument(fromHex(GO_EMPTY_DOCUMENT_HEX));
    expect(doc).toEqual({
      epoch: 5,
      genesisEpoch: 0,
      mu: 0,
      lambdaP: 0,
      lambdaL: 0,
      lambdaM: 0,
      lambdaG: 0,
      lambdaR: 0,
      topology: [],
      gatewayNodes: [],
      serviceNodes: [],
      storageReplicas: [],
      configuredReplicaIds: new Uint8Array(0),
      configuredReplicaIdentityKeys: [],
      sharedRandomCommit: new Map(),
      sharedRandomReveal: new Map(),
      sharedRandomValue: new Uint8Array(0),
      priorSharedRandom: [],
      sphinxGeometryHash: new Uint8Array(0),
      version: 'v1',
      pkiSignatureScheme: '',
    });
  });
});
