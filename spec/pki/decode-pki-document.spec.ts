import { ProtocolError } from '../../src/errors/local-errors.js';
import { decodePKIDocument } from '../../src/pki/decode-pki-document.js';
import {
  arr,
  bstr,
  concat,
  filled,
  map,
  negint,
  NULL,
  tag,
  tmap,
  toHex,
  tstr,
  uint,
  uint64,
  withEntry,
} from './go-cbor.js';
import {
  buildFixture,
  COMMIT_KEY,
  FIXTURE_EPOCH,
  FIXTURE_GENESIS_EPOCH,
  FIXTURE_REPLICA_EPOCH,
  MIX1_IDENTITY_KEY,
  mixEntries,
  replicaEntries,
  serviceNode1Entries,
  SN1_IDENTITY_KEY,
  type Entries,
} from './go-shape-fixture.js';

function expectProtocolError(payload: Uint8Array, messagePart: string | RegExp): void {
  let caught: unknown;
  try {
    decodePKIDocument(payload);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ProtocolError);
  expect((caught as ProtocolError).code).toBe('ERR_PROTOCOL');
  expect((caught as ProtocolError).message).toMatch(messagePart);
}

const docWith = (key: string, value: Uint8Array | undefined): Uint8Array =>
  buildFixture({ document: (e) => withEntry(e, key, value) });

const mix1With = (key: string, value: Uint8Array | undefined): Uint8Array =>
  buildFixture({ mix1: withEntry(mixEntries('mix1', MIX1_IDENTITY_KEY, 0x10), key, value) });

describe('decodePKIDocument — Go-shaped fixture', () => {
  const doc = decodePKIDocument(buildFixture());

  it('decodes the scalar fields, including an 8-byte head, a float16 and an integer float', () => {
    expect(doc.epoch).toBe(FIXTURE_EPOCH);
    expect(doc.genesisEpoch).toBe(FIXTURE_GENESIS_EPOCH);
    expect(typeof doc.genesisEpoch).toBe('number');
    expect(doc.mu).toBe(0.005);
    expect(doc.lambdaP).toBe(0.001);
    expect(doc.lambdaL).toBe(0.0005);
    expect(doc.lambdaM).toBe(0.5);
    expect(doc.lambdaG).toBe(0.0005);
    expect(doc.lambdaR).toBe(0);
    expect(doc.version).toBe('v1');
    expect(doc.pkiSignatureScheme).toBe('Ed25519');
  });

  it('unwraps byte-string MixDescriptors in topology, gateways and service nodes', () => {
    expect(doc.topology.map((layer) => layer.map((d) => d.name))).toEqual([['mix1'], ['mix2']]);
    expect(doc.gatewayNodes.map((d) => d.name)).toEqual(['gateway1']);
    expect(doc.serviceNodes.map((d) => d.name)).toEqual(['servicenode1', 'servicenode2']);

    const mix1 = doc.topology[0]?.[0];
    expect(mix1).toEqual({
      name: 'mix1',
      epoch: FIXTURE_EPOCH,
      identityKey: MIX1_IDENTITY_KEY,
      linkKey: filled(32, 0x10),
      mixKeys: new Map([
        [FIXTURE_EPOCH, filled(32, 0x11)],
        [FIXTURE_EPOCH + 1, filled(32, 0x12)],
        [FIXTURE_EPOCH + 2, filled(32, 0x13)],
      ]),
      addresses: { tcp: ['tcp://127.0.0.1:30016'] },
      kaetzchen: null,
      kaetzchenAdvertizedData: null,
      isGatewayNode: false,
      isServiceNode: false,
      loadWeight: 0,
      authenticationType: '',
      version: '',
    });
    // Integer map keys survive as numbers.
    expect([...(mix1?.mixKeys.keys() ?? [])]).toEqual([123456, 123457, 123458]);

    const gateway = doc.gatewayNodes[0];
    expect(gateway?.isGatewayNode).toBe(true);
    expect(gateway?.authenticationType).toBe('tofu');
  });

  it('decodes Kaetzchen maps of service nodes, keeping extra parameters', () => {
    const [sn1, sn2] = doc.serviceNodes;
    expect(sn1?.identityKey).toEqual(SN1_IDENTITY_KEY);
    expect(sn1?.isServiceNode).toBe(true);
    expect(sn1?.kaetzchen).toEqual({ courier: { endpoint: 'courier' }, echo: { endpoint: '+echo' } });
    expect(sn1?.kaetzchenAdvertizedData?.['courier']?.['linkPublicKey']).toMatch(/^-----BEGIN XWING PUBLIC KEY-----/);
    expect(sn2?.kaetzchen).toEqual({ courier: { endpoint: 'courier', maxConcurrency: 1, nested: { a: 2 } } });
    expect(sn2?.kaetzchenAdvertizedData).toEqual({});
  });

  it('decodes inline StorageReplicas with integer-keyed EnvelopeKeys', () => {
    expect(doc.storageReplicas).toEqual([
      {
        name: 'replica1',
        replicaId: 0,
        epoch: FIXTURE_EPOCH,
        identityKey: filled(32, 0xc0),
        linkKey: filled(32, 0xd0),
        envelopeKeys: new Map([[FIXTURE_REPLICA_EPOCH, filled(160, 0xe0)]]),
        addresses: { tcp: ['tcp://127.0.0.1:31000'] },
      },
      {
        name: 'replica2',
        replicaId: 1,
        epoch: FIXTURE_EPOCH,
        identityKey: filled(32, 0xc1),
        linkKey: filled(32, 0xd1),
        envelopeKeys: new Map([[FIXTURE_REPLICA_EPOCH, filled(160, 0xe1)]]),
        addresses: { tcp: ['tcp://127.0.0.1:31001'] },
      },
    ]);
  });

  it('decodes byte-string map keys as hex, the replica ID byte string, and nil fields as empty', () => {
    expect(doc.configuredReplicaIds).toEqual(Uint8Array.of(0, 1));
    expect(doc.configuredReplicaIdentityKeys).toEqual([filled(32, 0xc0), filled(32, 0xc1)]);
    expect(doc.sharedRandomCommit).toEqual(new Map([[toHex(COMMIT_KEY), filled(40, 0x22)]]));
    expect(doc.sharedRandomReveal).toEqual(new Map());
    expect(doc.sharedRandomValue).toEqual(filled(32, 0x33));
    expect(doc.priorSharedRandom).toEqual([]);
    expect(doc.sphinxGeometryHash).toEqual(filled(32, 0x44));
  });

  it('treats the omitempty ConfiguredReplica* fields as empty when absent', () => {
    const d = decodePKIDocument(
      buildFixture({
        document: (e) => withEntry(withEntry(e, 'ConfiguredReplicaIDs', undefined), 'ConfiguredReplicaIdentityKeys', undefined),
      }),
    );
    expect(d.configuredReplicaIds).toEqual(new Uint8Array(0));
    expect(d.configuredReplicaIdentityKeys).toEqual([]);
  });

  it('returns plain Uint8Array copies that do not alias the payload', () => {
    const payload = buildFixture();
    const d = decodePKIDocument(payload);
    const key = d.serviceNodes[0]?.identityKey as Uint8Array;
    expect(Object.getPrototypeOf(key)).toBe(Uint8Array.prototype); // not a Buffer
    expect(key.buffer).not.toBe(payload.buffer);
    payload.fill(0);
    expect(key).toEqual(SN1_IDENTITY_KEY);
    expect(d.sharedRandomValue).toEqual(filled(32, 0x33));
  });

  it('does not let a "__proto__" key replace a record prototype', () => {
    const d = decodePKIDocument(
      mix1With('Addresses', tmap(['__proto__', arr(tstr('tcp://evil:1'))], ['tcp', arr(tstr('tcp://ok:1'))])),
    );
    const addresses = d.topology[0]?.[0]?.addresses as Record<string, readonly string[]>;
    expect(Object.getPrototypeOf(addresses)).toBe(Object.prototype);
    expect(Object.keys(addresses)).toEqual(['__proto__', 'tcp']);
    expect(Object.getOwnPropertyDescriptor(addresses, '__proto__')?.value).toEqual(['tcp://evil:1']);
  });

  it('accepts nil Topology / node lists / maps as empty', () => {
    const d = decodePKIDocument(
      buildFixture({
        document: (e) =>
          withEntry(withEntry(withEntry(e, 'Topology', NULL), 'GatewayNodes', NULL), 'SharedRandomCommit', NULL),
      }),
    );
    expect(d.topology).toEqual([]);
    expect(d.gatewayNodes).toEqual([]);
    expect(d.sharedRandomCommit.size).toBe(0);
    const nilMixKeys = decodePKIDocument(mix1With('MixKeys', NULL));
    expect(nilMixKeys.topology[0]?.[0]?.mixKeys.size).toBe(0);
  });
});

describe('decodePKIDocument — malformed input is a ProtocolError naming the field', () => {
  const mix1Path = 'PKI document.Topology[0][0]';

  it.each<[string, Uint8Array, string | RegExp]>([
    ['empty payload', new Uint8Array(0), 'PKI document: empty CBOR input'],
    ['undecodable CBOR', Uint8Array.of(0xa1), /PKI document: invalid CBOR/],
    ['trailing bytes', concat(buildFixture(), Uint8Array.of(0x00)), /PKI document: invalid CBOR/],
    ['an array instead of a map', arr(uint(1)), 'PKI document: expected a map, got array'],
    ['missing Epoch', docWith('Epoch', undefined), 'PKI document.Epoch: missing'],
    ['Epoch as text', docWith('Epoch', tstr('1')), 'PKI document.Epoch: expected an unsigned integer, got text string'],
    ['negative Epoch', docWith('Epoch', negint(-1)), 'PKI document.Epoch: expected an unsigned integer, got negative integer'],
    ['Epoch beyond 2^53', docWith('Epoch', uint64(2n ** 60n)), 'PKI document.Epoch: integer exceeds 9007199254740991'],
    ['LambdaP as bytes', docWith('LambdaP', bstr(filled(8, 0))), 'PKI document.LambdaP: expected a float, got byte string'],
    ['Version as integer', docWith('Version', uint(1)), 'PKI document.Version: expected a text string, got integer'],
    ['Topology as a map', docWith('Topology', tmap()), 'PKI document.Topology: expected an array, got map'],
    [
      'an inline (unwrapped) MixDescriptor',
      docWith('ServiceNodes', arr(tmap(...serviceNode1Entries()))),
      'PKI document.ServiceNodes[0]: expected a byte string holding a CBOR MixDescriptor, got map',
    ],
    ['a null MixDescriptor', docWith('GatewayNodes', arr(NULL)), 'PKI document.GatewayNodes[0]: expected a byte string'],
    [
      'a MixDescriptor byte string that is not CBOR',
      docWith('GatewayNodes', arr(bstr(Uint8Array.of(0xa2, 0x01)))),
      /PKI document\.GatewayNodes\[0\]: invalid CBOR/,
    ],
    ['a MixDescriptor that is not a map', docWith('GatewayNodes', arr(bstr(tstr('x')))), 'PKI document.GatewayNodes[0]: expected a map, got text string'],
    ['a descriptor without IdentityKey', mix1With('IdentityKey', undefined), `${mix1Path}.IdentityKey: missing`],
    ['IdentityKey as text', mix1With('IdentityKey', tstr('k')), `${mix1Path}.IdentityKey: expected a byte string, got text string`],
    ['a text MixKeys key', mix1With('MixKeys', map([tstr('1'), bstr(filled(32, 1))])), `${mix1Path}.MixKeys key: expected an unsigned integer, got text string`],
    ['a negative MixKeys key', mix1With('MixKeys', map([negint(-5), bstr(filled(32, 1))])), `${mix1Path}.MixKeys key: expected an unsigned integer, got negative integer`],
    ['LoadWeight above uint8', mix1With('LoadWeight', uint(256)), `${mix1Path}.LoadWeight: integer exceeds 255`],
    ['IsServiceNode as integer', mix1With('IsServiceNode', uint(1)), `${mix1Path}.IsServiceNode: expected a bool, got integer`],
    ['Kaetzchen as an array', mix1With('Kaetzchen', arr()), `${mix1Path}.Kaetzchen: expected a map, got array`],
    ['a non-text address', mix1With('Addresses', tmap(['tcp', arr(uint(1))])), `${mix1Path}.Addresses.tcp[0]: expected a text string, got integer`],
    [
      'a 31-byte SharedRandomCommit key',
      docWith('SharedRandomCommit', map([bstr(filled(31, 1)), bstr(filled(40, 2))])),
      'PKI document.SharedRandomCommit key: expected 32 bytes, got 31',
    ],
    [
      'a text SharedRandomCommit key',
      docWith('SharedRandomCommit', tmap(['k', bstr(filled(40, 2))])),
      'PKI document.SharedRandomCommit key: expected a byte string, got text string',
    ],
    ['ConfiguredReplicaIDs as an array', docWith('ConfiguredReplicaIDs', arr(uint(0))), 'PKI document.ConfiguredReplicaIDs: expected a byte string, got array'],
    ['a null replica', docWith('StorageReplicas', arr(NULL)), 'PKI document.StorageReplicas[0]: expected a map, got null'],
    [
      'ReplicaID above uint8',
      buildFixture({ replica0: withEntry(replicaEntries(0), 'ReplicaID', uint(300)) }),
      'PKI document.StorageReplicas[0].ReplicaID: integer exceeds 255',
    ],
    [
      'a text EnvelopeKeys key',
      buildFixture({ replica0: withEntry(replicaEntries(0), 'EnvelopeKeys', tmap(['1', bstr(filled(1, 0))])) }),
      'PKI document.StorageReplicas[0].EnvelopeKeys key: expected an unsigned integer, got text string',
    ],
  ])('rejects %s', (_name, payload, message) => {
    expectProtocolError(payload, message);
  });

  it('accepts a tagged byte string only where cbor-x unwraps it to bytes (tag 64)', () => {
    // Go never emits tags; cbor-x turns tag 64 into a Uint8Array, which is
    // indistinguishable from a byte string after decoding. Documented, not rejected.
    const d = decodePKIDocument(docWith('SharedRandomValue', tag(64, bstr(filled(32, 9)))));
    expect(d.sharedRandomValue).toEqual(filled(32, 9));
  });

  it('names the descriptor for every unwrapped list', () => {
    const bad: Entries = withEntry(mixEntries('x', filled(32, 1), 1), 'Name', uint(3));
    expectProtocolError(
      docWith('Topology', arr(arr(), arr(bstr(tmap(...bad))))),
      'PKI document.Topology[1][0].Name: expected a text string, got integer',
    );
  });
});

describe('decodePKIDocument — input ownership', () => {
  it('leaves the caller’s payload array untouched (cbor-x would add a dataView property)', () => {
    const payload = buildFixture();
    const before = Object.getOwnPropertyNames(payload).length;
    decodePKIDocument(payload);
    expect(Object.getOwnPropertyNames(payload)).toHaveLength(before);
    expect(Object.hasOwn(payload, 'dataView')).toBe(false);
  });
});
