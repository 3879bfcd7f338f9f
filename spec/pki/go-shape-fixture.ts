/**
 * A hand-built PKI document in the exact shape the v0.0.99 daemon sends
 * (`core/pki.Document` with Go field names; checked against
 * `core/pki/document.go` and `core/pki/descriptor.go` at tag v0.0.99):
 * MixDescriptors as byte strings holding CBOR, integer keys in
 * `MixKeys`/`EnvelopeKeys`, byte-string keys in `SharedRandomCommit`, null
 * `Kaetzchen` for non-service nodes, `ConfiguredReplicaIDs` as a byte
 * string, a float16 (canonical encoder) and an 8-byte integer head.
 *
 * Entry lists are exported so specs can corrupt single fields.
 */
import {
  arr,
  bstr,
  counting,
  f16,
  f64,
  FALSE,
  filled,
  map,
  NULL,
  tmap,
  TRUE,
  tstr,
  uint,
  uint64,
  type Item,
} from './go-cbor.js';

export const FIXTURE_EPOCH = 123456;
export const FIXTURE_GENESIS_EPOCH = 100000;
/** Replica epoch = floor(123456 × 20 min / 7 days) = 244. */
export const FIXTURE_REPLICA_EPOCH = 244;

/** Identity keys; their BLAKE2b-256 values are hard-coded in the specs. */
export const SN1_IDENTITY_KEY = counting(32, 0); // 00 01 … 1f
export const SN2_IDENTITY_KEY = counting(32, 32); // 20 21 … 3f
export const MIX1_IDENTITY_KEY = filled(32, 0xaa);

export type Entries = [string, Item][];

export function mixEntries(name: string, identityKey: Uint8Array, fill: number): Entries {
  return [
    ['Name', tstr(name)],
    ['Epoch', uint(FIXTURE_EPOCH)],
    ['IdentityKey', bstr(identityKey)],
    ['LinkKey', bstr(filled(32, fill))],
    [
      'MixKeys',
      map(
        [uint(FIXTURE_EPOCH), bstr(filled(32, fill + 1))],
        [uint(FIXTURE_EPOCH + 1), bstr(filled(32, fill + 2))],
        [uint(FIXTURE_EPOCH + 2), bstr(filled(32, fill + 3))],
      ),
    ],
    ['Addresses', tmap(['tcp', arr(tstr(`tcp://127.0.0.1:${30000 + fill}`))])],
    ['Kaetzchen', NULL],
    ['KaetzchenAdvertizedData', NULL],
    ['IsGatewayNode', FALSE],
    ['IsServiceNode', FALSE],
    ['LoadWeight', uint(0)],
    ['AuthenticationType', tstr('')],
    ['Version', tstr('')],
  ];
}

export function gatewayEntries(): Entries {
  const e = mixEntries('gateway1', filled(32, 0xbb), 0x40);
  return e.map(([k, v]) => {
    if (k === 'IsGatewayNode') return [k, TRUE];
    if (k === 'AuthenticationType') return [k, tstr('tofu')];
    return [k, v];
  });
}

export function serviceNode1Entries(): Entries {
  return mixEntries('servicenode1', SN1_IDENTITY_KEY, 0x50).map(([k, v]): [string, Item] => {
    if (k === 'IsServiceNode') return [k, TRUE];
    if (k === 'Kaetzchen') {
      return [
        k,
        tmap(
          ['courier', tmap(['endpoint', tstr('courier')])],
          ['echo', tmap(['endpoint', tstr('+echo')])],
        ),
      ];
    }
    if (k === 'KaetzchenAdvertizedData') {
      return [k, tmap(['courier', tmap(['linkPublicKey', tstr('-----BEGIN XWING PUBLIC KEY-----\nAAAA\n-----END XWING PUBLIC KEY-----\n')])])];
    }
    return [k, v];
  });
}

export function serviceNode2Entries(): Entries {
  return mixEntries('servicenode2', SN2_IDENTITY_KEY, 0x60).map(([k, v]): [string, Item] => {
    if (k === 'IsServiceNode') return [k, TRUE];
    // Extra parameters of any type are allowed next to "endpoint".
    if (k === 'Kaetzchen') {
      return [
        k,
        tmap([
          'courier',
          tmap(['endpoint', tstr('courier')], ['maxConcurrency', uint(1)], ['nested', tmap(['a', uint(2)])]),
        ]),
      ];
    }
    if (k === 'KaetzchenAdvertizedData') return [k, tmap()];
    return [k, v];
  });
}

export function replicaEntries(id: number): Entries {
  return [
    ['Name', tstr(`replica${id + 1}`)],
    ['ReplicaID', uint(id)],
    ['Epoch', uint(FIXTURE_EPOCH)],
    ['IdentityKey', bstr(filled(32, 0xc0 + id))],
    ['LinkKey', bstr(filled(32, 0xd0 + id))],
    ['EnvelopeKeys', map([uint(FIXTURE_REPLICA_EPOCH), bstr(filled(160, 0xe0 + id))])],
    ['Addresses', tmap(['tcp', arr(tstr(`tcp://127.0.0.1:${31000 + id}`))])],
  ];
}

export const COMMIT_KEY = filled(32, 0x11);

export interface FixtureParts {
  readonly mix1?: Entries;
  readonly serviceNode1?: Entries;
  readonly replica0?: Entries;
  /** Applied last, to the document's own entries. */
  readonly document?: (entries: Entries) => Entries;
}

/** The fixture's document entries, descriptors already wrapped. */
export function documentEntries(parts: FixtureParts = {}): Entries {
  const mix1 = bstr(tmap(...(parts.mix1 ?? mixEntries('mix1', MIX1_IDENTITY_KEY, 0x10))));
  const mix2 = bstr(tmap(...mixEntries('mix2', filled(32, 0xab), 0x20)));
  const entries: Entries = [
    ['Epoch', uint(FIXTURE_EPOCH)],
    // Legal but unusual: an 8-byte head (cbor-x decodes it as a bigint).
    ['GenesisEpoch', uint64(FIXTURE_GENESIS_EPOCH)],
    ['Mu', f64(0.005)],
    ['LambdaP', f64(0.001)],
    ['LambdaL', f64(0.0005)],
    // Canonical CBOR (the handshake copy) writes 0.5 as float16 f9 3800.
    ['LambdaM', f16('3800')],
    ['LambdaG', f64(0.0005)],
    // Go decodes an integer into a float64 field; so must we.
    ['LambdaR', uint(0)],
    ['Topology', arr(arr(mix1), arr(mix2))],
    ['GatewayNodes', arr(bstr(tmap(...gatewayEntries())))],
    [
      'ServiceNodes',
      arr(bstr(tmap(...(parts.serviceNode1 ?? serviceNode1Entries()))), bstr(tmap(...serviceNode2Entries()))),
    ],
    ['StorageReplicas', arr(tmap(...(parts.replica0 ?? replicaEntries(0))), tmap(...replicaEntries(1)))],
    ['ConfiguredReplicaIDs', bstr(Uint8Array.of(0, 1))],
    ['ConfiguredReplicaIdentityKeys', arr(bstr(filled(32, 0xc0)), bstr(filled(32, 0xc1)))],
    ['SharedRandomCommit', map([bstr(COMMIT_KEY), bstr(filled(40, 0x22))])],
    // A nil map.
    ['SharedRandomReveal', NULL],
    ['SharedRandomValue', bstr(filled(32, 0x33))],
    // A nil slice.
    ['PriorSharedRandom', NULL],
    ['SphinxGeometryHash', bstr(filled(32, 0x44))],
    ['Version', tstr('v1')],
    ['PKISignatureScheme', tstr('Ed25519')],
    // Unknown keys must be ignored.
    ['FutureField', uint(7)],
  ];
  return parts.document ? parts.document(entries) : entries;
}

/** The fixture document's bytes. */
export function buildFixture(parts: FixtureParts = {}): Uint8Array {
  return tmap(...documentEntries(parts));
}
