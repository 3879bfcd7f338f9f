import { InvalidArgumentError, ServiceNotFoundError } from '../../src/errors/local-errors.js';
import { blake2b256 } from '../../src/pki/blake2b256.js';
import { getAllCouriers, getDistinctCouriers } from '../../src/pki/couriers.js';
import { decodePKIDocument } from '../../src/pki/decode-pki-document.js';
import { decodeSignedPKIDocument } from '../../src/pki/decode-signed-pki-document.js';
import { findServices, getService } from '../../src/pki/find-services.js';
import {
  buildSignedPKIDocument,
  buildSyntheticPKIDocument,
  DEFAULT_SYNTHETIC_SERVICES,
  SYNTHETIC_AUTHORITIES,
  syntheticIdentityKey,
  syntheticKey,
} from '../../src/sim/synthetic-pki.js';
import { entryOf, parseCbor, toHex, walk, type Node } from '../pki/go-cbor.js';

const EPOCH = 123456;

/** Parses `bytes` and every MixDescriptor byte string inside (Topology, GatewayNodes, ServiceNodes). */
function parseWithDescriptors(bytes: Uint8Array): { doc: Node; descriptors: Node[] } {
  const doc = parseCbor(bytes);
  const descriptors: Node[] = [];
  const unwrapList = (list: Node): void => {
    if (list.major !== 4) throw new Error('not an array');
    for (const item of list.items) {
      if (item.major !== 2) throw new Error(`descriptor is major ${item.major}, not a byte string`);
      descriptors.push(parseCbor(item.bytes));
    }
  };
  const topology = entryOf(doc, 'Topology');
  if (topology.major !== 4) throw new Error('Topology not an array');
  topology.items.forEach(unwrapList);
  unwrapList(entryOf(doc, 'GatewayNodes'));
  unwrapList(entryOf(doc, 'ServiceNodes'));
  return { doc, descriptors };
}

describe('buildSyntheticPKIDocument — defaults (docker-like network)', () => {
  const bytes = buildSyntheticPKIDocument({ epoch: EPOCH });
  const doc = decodePKIDocument(bytes);

  it('round-trips through decodePKIDocument with the docker parameters', () => {
    expect(doc.epoch).toBe(EPOCH);
    expect(doc.genesisEpoch).toBe(EPOCH);
    expect([doc.mu, doc.lambdaP, doc.lambdaL, doc.lambdaM, doc.lambdaR]).toEqual([0.005, 0.001, 0.0005, 0.0005, 0.005]);
    expect(doc.version).toBe('v1');
    expect(doc.pkiSignatureScheme).toBe('Ed25519');
    expect(doc.topology.map((l) => l.map((d) => d.name))).toEqual([['mix1'], ['mix2'], ['mix3']]);
    expect(doc.gatewayNodes.map((d) => [d.name, d.isGatewayNode, d.authenticationType])).toEqual([['gateway1', true, 'tofu']]);
    expect(doc.serviceNodes.map((d) => d.name)).toEqual(['servicenode1', 'servicenode2', 'servicenode3']);
    expect(doc.serviceNodes.every((d) => d.isServiceNode)).toBe(true);
    expect(doc.topology.flat().every((d) => d.kaetzchen === null && d.kaetzchenAdvertizedData === null)).toBe(true);
  });

  it('advertises courier on three nodes and echo ("+echo") on one', () => {
    expect(getAllCouriers(doc).map((c) => c.mixDescriptor.name)).toEqual(['servicenode1', 'servicenode2', 'servicenode3']);
    const echo = findServices(doc, 'echo');
    expect(echo.map((s) => s.mixDescriptor.name)).toEqual(['servicenode1']);
    expect(new TextDecoder().decode(echo[0]!.recipientQueueId)).toBe('+echo');
    expect(getDistinctCouriers(doc, 3)).toHaveLength(3);
    expect(doc.serviceNodes[0]?.kaetzchenAdvertizedData?.['courier']?.['linkPublicKey']).toMatch(/PUBLIC KEY/);
  });

  it('derives identity keys deterministically from node names', () => {
    // python3: hashlib.blake2b(b"katzenpost-rx synthetic identity key\x00servicenode1\x000", digest_size=32)
    expect(toHex(syntheticIdentityKey('servicenode1'))).toBe('1b83fc385329b215af8e448156b83ece39b17d15828455c816917947e43c4ccb');
    const sn1 = doc.serviceNodes[0]!;
    expect(sn1.identityKey).toEqual(syntheticIdentityKey('servicenode1'));
    // …and blake2b-256 of that key (python3, same call on the digest above):
    expect(toHex(getService(doc, 'courier', () => 0).toDestination().destinationIdHash)).toBe(
      'eb1d5b5550b5b9937547e516069bd2c18837199178d8cf59474e7e270fef591c',
    );
    expect(buildSyntheticPKIDocument({ epoch: EPOCH })).toEqual(bytes);
  });

  it('publishes mix keys for epochs e, e+1, e+2 and 5 replicas with weekly envelope keys', () => {
    expect([...doc.topology[0]![0]!.mixKeys.keys()]).toEqual([EPOCH, EPOCH + 1, EPOCH + 2]);
    expect(doc.storageReplicas.map((r) => [r.name, r.replicaId])).toEqual([
      ['replica1', 0],
      ['replica2', 1],
      ['replica3', 2],
      ['replica4', 3],
      ['replica5', 4],
    ]);
    expect(doc.configuredReplicaIds).toEqual(Uint8Array.of(0, 1, 2, 3, 4));
    expect(doc.configuredReplicaIdentityKeys).toEqual(doc.storageReplicas.map((r) => r.identityKey));
    // floor(123456 × 20 min / 7 days) = 244
    const keys = doc.storageReplicas[0]!.envelopeKeys;
    expect([...keys.keys()]).toEqual([244, 245]);
    expect(keys.get(244)).toHaveLength(160);
  });

  it('keys SharedRandomCommit by BLAKE2b-256 of each authority identity key', () => {
    expect([...doc.sharedRandomCommit.keys()]).toEqual(
      SYNTHETIC_AUTHORITIES.map((a) => toHex(blake2b256(syntheticIdentityKey(a)))),
    );
    expect(doc.sharedRandomValue).toHaveLength(32);
    expect(doc.priorSharedRandom).toEqual([]); // genesis epoch: nil slice
  });
});

describe('buildSyntheticPKIDocument — exact Go wire shape', () => {
  const bytes = buildSyntheticPKIDocument({ epoch: EPOCH, genesisEpoch: EPOCH - 10, mu: 1 });
  const { doc, descriptors } = parseWithDescriptors(bytes);

  it('uses Go field names: struct order for the document, canonical order inside descriptors', () => {
    if (doc.major !== 5) throw new Error('not a map');
    expect(doc.entries.map(([k]) => (k.major === 3 ? k.text : '?'))).toEqual([
      'Epoch', 'GenesisEpoch', 'Mu', 'LambdaP', 'LambdaL', 'LambdaM', 'LambdaG', 'LambdaR',
      'Topology', 'GatewayNodes', 'ServiceNodes', 'StorageReplicas',
      'ConfiguredReplicaIDs', 'ConfiguredReplicaIdentityKeys',
      'SharedRandomCommit', 'SharedRandomReveal', 'SharedRandomValue', 'PriorSharedRandom',
      'SphinxGeometryHash', 'Version', 'PKISignatureScheme',
    ]);
    expect(descriptors).toHaveLength(3 + 1 + 3);
    if (descriptors[0]?.major !== 5) throw new Error('descriptor not a map');
    // Descriptors are canonical (Go's MarshalBinary): keys sorted by encoded length, then bytes.
    expect(descriptors[0].entries.map(([k]) => (k.major === 3 ? k.text : '?'))).toEqual([
      'Name', 'Epoch', 'LinkKey', 'MixKeys', 'Version', 'Addresses', 'Kaetzchen',
      'LoadWeight', 'IdentityKey', 'IsGatewayNode', 'IsServiceNode',
      'AuthenticationType', 'KaetzchenAdvertizedData',
    ]);
  });

  it('contains no CBOR tags anywhere, descriptors included', () => {
    for (const tree of [doc, ...descriptors]) walk(tree, (n) => expect(n.major).not.toBe(6));
  });

  it('writes every float field as float64, even an integral one', () => {
    for (const key of ['Mu', 'LambdaP', 'LambdaL', 'LambdaM', 'LambdaG', 'LambdaR']) {
      const n = entryOf(doc, key);
      expect(n).toMatchObject({ major: 7, simple: 27 });
    }
    expect(entryOf(doc, 'Mu')).toMatchObject({ float: 1 });
  });

  it('writes integer keys as CBOR unsigned integers and SharedRandom keys as byte strings', () => {
    const mixKeys = entryOf(descriptors[0]!, 'MixKeys');
    if (mixKeys.major !== 5) throw new Error('MixKeys not a map');
    expect(mixKeys.entries.map(([k]) => k)).toEqual([
      { major: 0, value: BigInt(EPOCH), headLength: 5 },
      { major: 0, value: BigInt(EPOCH + 1), headLength: 5 },
      { major: 0, value: BigInt(EPOCH + 2), headLength: 5 },
    ]);
    const replicas = entryOf(doc, 'StorageReplicas');
    if (replicas.major !== 4) throw new Error('StorageReplicas not an array');
    expect(replicas.items[0]?.major).toBe(5); // inline map, not a byte string
    const envelopeKeys = entryOf(replicas.items[0]!, 'EnvelopeKeys');
    if (envelopeKeys.major !== 5) throw new Error('EnvelopeKeys not a map');
    expect(envelopeKeys.entries.every(([k]) => k.major === 0)).toBe(true);
    const commit = entryOf(doc, 'SharedRandomCommit');
    if (commit.major !== 5) throw new Error('SharedRandomCommit not a map');
    expect(commit.entries.every(([k]) => k.major === 2 && k.bytes.length === 32)).toBe(true);
    expect(entryOf(doc, 'ConfiguredReplicaIDs')).toEqual({ major: 2, bytes: Uint8Array.of(0, 1, 2, 3, 4) });
  });

  it('writes null for nil maps and shortest integer heads', () => {
    expect(entryOf(descriptors[0]!, 'Kaetzchen')).toEqual({ major: 7, simple: 22 });
    expect(entryOf(descriptors[0]!, 'LoadWeight')).toEqual({ major: 0, value: 0n, headLength: 1 });
    expect(entryOf(doc, 'Epoch')).toEqual({ major: 0, value: BigInt(EPOCH), headLength: 5 });
    const prior = entryOf(doc, 'PriorSharedRandom');
    expect(prior.major).toBe(4); // epoch > genesis: one prior value
  });

  it('writes epochs ≥ 2^32 as integers (bigint), never as floats', () => {
    const big = 2 ** 40 + 3;
    const parsed = parseCbor(buildSyntheticPKIDocument({ epoch: big, storageReplicas: 0 }));
    expect(entryOf(parsed, 'Epoch')).toEqual({ major: 0, value: BigInt(big), headLength: 9 });
    const decoded = decodePKIDocument(buildSyntheticPKIDocument({ epoch: big, storageReplicas: 0 }));
    expect(decoded.epoch).toBe(big);
    expect([...decoded.topology[0]![0]!.mixKeys.keys()]).toEqual([big, big + 1, big + 2]);
  });
});

describe('buildSyntheticPKIDocument — options', () => {
  it('omits the omitempty replica fields when there are no replicas', () => {
    const parsed = parseCbor(buildSyntheticPKIDocument({ epoch: 1, storageReplicas: 0 }));
    expect(() => entryOf(parsed, 'ConfiguredReplicaIDs')).toThrow('no key');
    expect(() => entryOf(parsed, 'ConfiguredReplicaIdentityKeys')).toThrow('no key');
    expect(decodePKIDocument(buildSyntheticPKIDocument({ epoch: 1, storageReplicas: 0 })).storageReplicas).toEqual([]);
  });

  it('builds custom services, topology and rates', () => {
    const doc = decodePKIDocument(
      buildSyntheticPKIDocument({
        epoch: 9,
        services: [
          { capability: 'echo', endpoint: '+echo', nodeName: 'svc-a' },
          { capability: 'courier', endpoint: 'courier', nodeName: 'svc-b' },
          { capability: 'courier', endpoint: 'courier', nodeName: 'svc-a' },
        ],
        mixLayers: 2,
        mixesPerLayer: 2,
        gateways: 2,
        lambdaP: 0.25,
      }),
    );
    expect(doc.serviceNodes.map((n) => n.name)).toEqual(['svc-a', 'svc-b']);
    expect(doc.serviceNodes[0]?.kaetzchen).toEqual({ echo: { endpoint: '+echo' }, courier: { endpoint: 'courier' } });
    expect(doc.topology.map((l) => l.map((d) => d.name))).toEqual([['mix1', 'mix2'], ['mix3', 'mix4']]);
    expect(doc.gatewayNodes.map((d) => d.name)).toEqual(['gateway1', 'gateway2']);
    expect(doc.lambdaP).toBe(0.25);
    expect(getAllCouriers(doc)).toHaveLength(2);
  });

  it('builds a document without services', () => {
    const doc = decodePKIDocument(buildSyntheticPKIDocument({ epoch: 1, services: [] }));
    expect(doc.serviceNodes).toEqual([]);
    expect(() => getService(doc, 'courier')).toThrow(ServiceNotFoundError);
  });

  it('exposes the default services', () => {
    expect(DEFAULT_SYNTHETIC_SERVICES.filter((s) => s.capability === 'courier')).toHaveLength(3);
    expect(Object.isFrozen(DEFAULT_SYNTHETIC_SERVICES)).toBe(true);
  });

  it.each([
    ['a negative epoch', { epoch: -1 }],
    ['a fractional epoch', { epoch: 1.5 }],
    ['negative mix layers', { epoch: 1, mixLayers: -1 }],
    ['257 replicas', { epoch: 1, storageReplicas: 257 }],
  ])('rejects %s', (_name, options) => {
    expect(() => buildSyntheticPKIDocument(options)).toThrow(InvalidArgumentError);
  });
});

describe('syntheticKey', () => {
  it('produces keys of any length, deterministic per label and name', () => {
    expect(syntheticKey('envelope key', 'r', 160)).toHaveLength(160);
    expect(syntheticKey('envelope key', 'r', 160).subarray(0, 64)).not.toEqual(syntheticKey('envelope key', 'r', 160).subarray(64, 128));
    expect(syntheticKey('link key', 'mix1')).toEqual(syntheticKey('link key', 'mix1'));
    expect(syntheticKey('link key', 'mix1')).not.toEqual(syntheticKey('link key', 'mix2'));
  });
});

describe('buildSignedPKIDocument', () => {
  const docBytes = buildSyntheticPKIDocument({ epoch: EPOCH });
  const signedBytes = buildSignedPKIDocument(docBytes, EPOCH);

  it('wraps the document in a cert.Certificate that decodeSignedPKIDocument accepts', () => {
    const signed = decodeSignedPKIDocument(signedBytes);
    expect(signed.version).toBe(0);
    expect(signed.expiration).toBe(EPOCH + 5);
    expect(signed.keyType).toBe('Ed25519');
    expect(signed.certified).toEqual(docBytes);
    expect(signed.document).toEqual(decodePKIDocument(docBytes));
    expect([...signed.signatures.keys()].sort()).toEqual(
      SYNTHETIC_AUTHORITIES.map((a) => toHex(blake2b256(syntheticIdentityKey(a)))).sort(),
    );
    for (const [key, sig] of signed.signatures) {
      expect(toHex(sig.publicKeySum256)).toBe(key);
      expect(sig.payload).toHaveLength(64);
    }
  });

  it('has the Go certificate shape: canonical key order, byte-string signature keys, no tags', () => {
    const cert = parseCbor(signedBytes);
    if (cert.major !== 5) throw new Error('not a map');
    // cert.Certificate.Marshal is canonical (checked byte for byte against Go).
    expect(cert.entries.map(([k]) => (k.major === 3 ? k.text : '?'))).toEqual([
      'KeyType', 'Version', 'Certified', 'Expiration', 'Signatures',
    ]);
    expect(entryOf(cert, 'Certified').major).toBe(2);
    const sigs = entryOf(cert, 'Signatures');
    if (sigs.major !== 5) throw new Error('Signatures not a map');
    expect(sigs.entries.every(([k]) => k.major === 2 && k.bytes.length === 32)).toBe(true);
    walk(cert, (n) => expect(n.major).not.toBe(6));
  });

  it('honours keyType and authorities, and is deterministic', () => {
    const signed = decodeSignedPKIDocument(
      buildSignedPKIDocument(docBytes, EPOCH, { keyType: 'Ed25519 Sphincs+', authorities: ['x'] }),
    );
    expect(signed.keyType).toBe('Ed25519 Sphincs+');
    expect(signed.signatures.size).toBe(1);
    expect(buildSignedPKIDocument(docBytes, EPOCH)).toEqual(signedBytes);
  });
});
