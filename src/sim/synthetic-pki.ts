import { blake2b } from '@noble/hashes/blake2.js';
import { Encoder, type CborOptions } from '../wire/cbor-library.js';

import { InvalidArgumentError } from '../errors/local-errors.js';
import { blake2b256 } from '../pki/blake2b256.js';

/**
 * Synthetic PKI documents for the daemon simulator (DAEMON.md §9: "may
 * safely fake: the PKI document"). The bytes have exactly the daemon's
 * shape (PROTOCOL.md §6.1, §6.4): Go field names as keys, mix descriptors
 * as byte strings holding CBOR, integer keys in `MixKeys` / `EnvelopeKeys`,
 * byte-string keys in `SharedRandom*` and `Signatures`, `null` for nil maps
 * and slices, no CBOR tags. Key order follows Go: the document (and its
 * inline replicas) in struct declaration order, as the daemon's default
 * encoder writes the per-epoch broadcast; mix descriptors and the
 * certificate in canonical order, because Go produces those with its
 * canonical encoder (`MixDescriptor.MarshalBinary`, `Certificate.Marshal`).
 * Every key is fake but deterministic (derived with BLAKE2b from a label and
 * the node name), so two builds with the same options are byte-identical.
 *
 * Encoding notes (cbor-x 1.6, checked on this machine):
 * - `Encoder` needs `useTag259ForMaps: false` or a `Map` with non-string
 *   keys is wrapped in tag 259, and `tagUint8Array: false` or byte strings
 *   get tag 64;
 * - a JS number ≥ 2^32 is written as a float64, so integers are passed as
 *   `bigint` from 2^32 on (`bigint` always gets an 8-byte head, which Go
 *   accepts);
 * - an integral float such as `1.0` is written as the integer `1`; Go would
 *   still decode it into a float64, but the daemon sends a float, so the
 *   document's float fields are written by hand as float64 (`fb …`).
 */

/**
 * One service to advertise on a service node's `Kaetzchen` map.
 *
 * @example
 * const echo: SyntheticService = { capability: 'echo', endpoint: '+echo', nodeName: 'servicenode1' };
 */
export interface SyntheticService {
  /** Capability (Kaetzchen map key), e.g. `"courier"`. */
  readonly capability: string;
  /**
   * Queue ID advertised as `Kaetzchen[capability]["endpoint"]`; not
   * validated, so malformed documents can be built too.
   */
  readonly endpoint: string;
  /** Service node that runs it; nodes are created in order of first mention. */
  readonly nodeName: string;
}

/**
 * The default services: `courier` (endpoint `"courier"`) on three service
 * nodes and `echo` (endpoint `"+echo"`) on the first, as in the docker
 * network (DAEMON.md §7), minus its `http` and `testdest` services.
 *
 * @example
 * buildSyntheticPKIDocument({ epoch: 1, services: [...DEFAULT_SYNTHETIC_SERVICES] });
 */
export const DEFAULT_SYNTHETIC_SERVICES: readonly SyntheticService[] = Object.freeze([
  { capability: 'courier', endpoint: 'courier', nodeName: 'servicenode1' },
  { capability: 'echo', endpoint: '+echo', nodeName: 'servicenode1' },
  { capability: 'courier', endpoint: 'courier', nodeName: 'servicenode2' },
  { capability: 'courier', endpoint: 'courier', nodeName: 'servicenode3' },
]);

/**
 * Names of the fake directory authorities (commit keys and certificate signers).
 *
 * @example
 * const keyHash = blake2b256(syntheticIdentityKey(SYNTHETIC_AUTHORITIES[0]!)); // identity_key_hash
 */
export const SYNTHETIC_AUTHORITIES: readonly string[] = Object.freeze(['auth1', 'auth2', 'auth3']);

/**
 * Options of {@link buildSyntheticPKIDocument}; all but `epoch` default to the docker network's values.
 *
 * @example
 * const options: SyntheticPKIOptions = { epoch: 42, storageReplicas: 0, lambdaP: 0.01 };
 */
export interface SyntheticPKIOptions {
  /** Document epoch. */
  readonly epoch: number;
  /** Default: `epoch` (a network started this epoch). */
  readonly genesisEpoch?: number;
  /** Default: {@link DEFAULT_SYNTHETIC_SERVICES}. `[]` gives a document without service nodes. */
  readonly services?: readonly SyntheticService[];
  /** Number of mix layers in `Topology`. Default 3. */
  readonly mixLayers?: number;
  /** Mixes per layer. Default 1 (docker: 3 mixes in 3 layers). */
  readonly mixesPerLayer?: number;
  /** Number of gateways. Default 1. */
  readonly gateways?: number;
  /** Number of storage replicas (IDs 0…n−1). Default 5. */
  readonly storageReplicas?: number;
  /** Default 0.005 (per ms: 200 ms mean hop delay). */
  readonly mu?: number;
  /** Default 0.001 (per ms: one send slot per second on average). */
  readonly lambdaP?: number;
  /** Default 0.0005. */
  readonly lambdaL?: number;
  /** Default 0.0005. */
  readonly lambdaM?: number;
  /** Default 0.0005 (illustrative; genconfig has no flag for it). */
  readonly lambdaG?: number;
  /** Default 0.005. */
  readonly lambdaR?: number;
  /** Epoch length in ms, used for the replica (weekly) epochs of `EnvelopeKeys`. Default 20 min. */
  readonly epochPeriodMs?: number;
  /** Default `"Ed25519"` (genconfig's default `--pkiScheme ed25519`). */
  readonly pkiSignatureScheme?: string;
}

const ENCODER_OPTIONS: CborOptions = {
  tagUint8Array: false,
  variableMapSize: true,
  useRecords: false,
  useTag259ForMaps: false,
};
const encoder = new Encoder(ENCODER_OPTIONS);

const DEFAULT_EPOCH_PERIOD_MS = 20 * 60 * 1000;
const REPLICA_EPOCH_PERIOD_MS = 7 * 24 * 60 * 60 * 1000;
/** `constants.NumMixKeys`: servers publish keys for epochs e, e+1, e+2. */
const NUM_MIX_KEYS = 3;
/** CTIDH1024-X25519 public key length (DAEMON.md §7). */
const ENVELOPE_KEY_LENGTH = 160;
const BASE_PORT = 30000;

/**
 * Builds the CBOR bytes of a `core/pki.Document` as the daemon sends it in
 * `new_pki_document_event.payload`. Node names follow genconfig: `mix1…`,
 * `gateway1…`, the service nodes named in `services`, `replica1…`.
 *
 * Keys are fake: identity, link and mix keys are 32 bytes, replica envelope
 * keys 160 bytes, all from {@link syntheticKey}; so `courier_identity_hash`
 * of a node is `blake2b256(syntheticIdentityKey(nodeName))`.
 *
 * @example
 * const payload = buildSyntheticPKIDocument({ epoch: 42 });
 * decodePKIDocument(payload).serviceNodes.length; // 3
 */
export function buildSyntheticPKIDocument(options: SyntheticPKIOptions): Uint8Array {
  const epoch = checkCount(options.epoch, 'epoch');
  const genesisEpoch = checkCount(options.genesisEpoch ?? epoch, 'genesisEpoch');
  const services = options.services ?? DEFAULT_SYNTHETIC_SERVICES;
  const mixLayers = checkCount(options.mixLayers ?? 3, 'mixLayers');
  const mixesPerLayer = checkCount(options.mixesPerLayer ?? 1, 'mixesPerLayer');
  const gateways = checkCount(options.gateways ?? 1, 'gateways');
  const replicas = checkCount(options.storageReplicas ?? 5, 'storageReplicas');
  if (replicas > 256) throw new InvalidArgumentError('storageReplicas', 'replica IDs are uint8: at most 256');
  const epochPeriodMs = options.epochPeriodMs ?? DEFAULT_EPOCH_PERIOD_MS;
  if (!(epochPeriodMs > 0)) throw new InvalidArgumentError('epochPeriodMs', 'must be positive');
  const scheme = options.pkiSignatureScheme ?? 'Ed25519';

  let port = BASE_PORT;
  const nextAddresses = (): Map<string, string[]> => new Map([['tcp', [`tcp://127.0.0.1:${port++}`]]]);

  const topology: Uint8Array[][] = [];
  let mixNumber = 0;
  for (let layer = 0; layer < mixLayers; layer++) {
    const nodes: Uint8Array[] = [];
    for (let i = 0; i < mixesPerLayer; i++) {
      nodes.push(mixDescriptorBytes({ name: `mix${++mixNumber}`, epoch, addresses: nextAddresses() }));
    }
    topology.push(nodes);
  }

  const gatewayNodes: Uint8Array[] = [];
  for (let i = 1; i <= gateways; i++) {
    gatewayNodes.push(
      mixDescriptorBytes({ name: `gateway${i}`, epoch, addresses: nextAddresses(), isGateway: true }),
    );
  }

  // Group services by node, nodes in order of first mention.
  const byNode = new Map<string, SyntheticService[]>();
  for (const service of services) {
    const list = byNode.get(service.nodeName) ?? [];
    list.push(service);
    byNode.set(service.nodeName, list);
  }
  const serviceNodes = [...byNode].map(([name, list]) =>
    mixDescriptorBytes({ name, epoch, addresses: nextAddresses(), services: list }),
  );

  const replicaEpoch = Math.floor((epoch * epochPeriodMs) / REPLICA_EPOCH_PERIOD_MS);
  const replicaNames = Array.from({ length: replicas }, (_, i) => `replica${i + 1}`);
  const storageReplicas = replicaNames.map(
    (name, id) =>
      new Map<string, unknown>([
        ['Name', name],
        ['ReplicaID', id],
        ['Epoch', uint(epoch)],
        ['IdentityKey', syntheticIdentityKey(name)],
        ['LinkKey', syntheticKey('link key', name)],
        [
          'EnvelopeKeys',
          new Map(
            [replicaEpoch, replicaEpoch + 1].map((e) => [
              uint(e),
              syntheticKey('envelope key', `${name}@${e}`, ENVELOPE_KEY_LENGTH),
            ]),
          ),
        ],
        ['Addresses', nextAddresses()],
      ]),
  );

  const commits = new Map<Uint8Array, Uint8Array>();
  const reveals = new Map<Uint8Array, Uint8Array>();
  for (const auth of SYNTHETIC_AUTHORITIES) {
    const keyHash = blake2b256(syntheticIdentityKey(auth));
    commits.set(keyHash, syntheticKey('shared random commit', `${auth}@${epoch}`, 40));
    reveals.set(keyHash, syntheticKey('shared random reveal', `${auth}@${epoch}`, 40));
  }

  const entries: [string, Uint8Array][] = [
    ['Epoch', cbor(uint(epoch))],
    ['GenesisEpoch', cbor(uint(genesisEpoch))],
    ['Mu', float64(options.mu ?? 0.005)],
    ['LambdaP', float64(options.lambdaP ?? 0.001)],
    ['LambdaL', float64(options.lambdaL ?? 0.0005)],
    ['LambdaM', float64(options.lambdaM ?? 0.0005)],
    ['LambdaG', float64(options.lambdaG ?? 0.0005)],
    ['LambdaR', float64(options.lambdaR ?? 0.005)],
    ['Topology', cbor(topology)],
    ['GatewayNodes', cbor(gatewayNodes)],
    ['ServiceNodes', cbor(serviceNodes)],
    ['StorageReplicas', cbor(storageReplicas)],
  ];
  if (replicas > 0) {
    // `omitempty` fields: absent, not null, when empty.
    entries.push(['ConfiguredReplicaIDs', cbor(Uint8Array.from(replicaNames, (_, id) => id))]);
    entries.push(['ConfiguredReplicaIdentityKeys', cbor(replicaNames.map(syntheticIdentityKey))]);
  }
  entries.push(
    ['SharedRandomCommit', cbor(commits)],
    ['SharedRandomReveal', cbor(reveals)],
    ['SharedRandomValue', cbor(syntheticKey('shared random value', String(epoch)))],
    // A network in its genesis epoch has no prior value: Go's nil slice is null.
    ['PriorSharedRandom', cbor(epoch > genesisEpoch ? [syntheticKey('shared random value', String(epoch - 1))] : null)],
    ['SphinxGeometryHash', cbor(syntheticKey('sphinx geometry hash', 'docker'))],
    ['Version', cbor('v1')],
    ['PKISignatureScheme', cbor(scheme)],
  );
  return encodeTextKeyedMap(entries);
}

/**
 * Options of {@link buildSignedPKIDocument}.
 *
 * @example
 * buildSignedPKIDocument(doc, 42, { authorities: ['auth1'] });
 */
export interface SignedPKIOptions {
  /** `KeyType`; default `"Ed25519"` (keep it equal to the document's `PKISignatureScheme`). */
  readonly keyType?: string;
  /** Signer names; default {@link SYNTHETIC_AUTHORITIES}. */
  readonly authorities?: readonly string[];
}

/**
 * Wraps document bytes in a `cert.Certificate` map, as returned in
 * `get_pki_document_reply.payload` (PROTOCOL.md §6.4): `Version` 0,
 * `Expiration` = `epoch + 5`, `KeyType`, `Certified` = `document`, and one
 * `Signatures` entry per authority keyed by BLAKE2b-256 of its (fake)
 * identity key.
 *
 * The signatures are **fake**: 64 deterministic bytes derived from the
 * signer and the document, not signatures over the certificate message.
 * That is enough for a thin client, which never verifies them (the daemon
 * does); anything that does verify will reject them.
 *
 * @example
 * const doc = buildSyntheticPKIDocument({ epoch: 42 });
 * const payload = buildSignedPKIDocument(doc, 42);
 * decodeSignedPKIDocument(payload).expiration; // 47
 */
export function buildSignedPKIDocument(
  document: Uint8Array,
  epoch: number,
  options: SignedPKIOptions = {},
): Uint8Array {
  checkCount(epoch, 'epoch');
  const docHash = blake2b256(document);
  const signatures = new Map<Uint8Array, Map<string, Uint8Array>>();
  for (const auth of options.authorities ?? SYNTHETIC_AUTHORITIES) {
    const keyHash = blake2b256(syntheticIdentityKey(auth));
    const payload = syntheticKey('fake signature', `${auth}:${toBase64(docHash)}`, 64);
    signatures.set(
      keyHash,
      new Map([
        ['PublicKeySum256', keyHash],
        ['Payload', payload],
      ]),
    );
  }
  // cert.Certificate.Marshal uses Go's canonical encoder: keys sorted.
  return cbor(
    canonicalize(
      new Map<string, unknown>([
        ['Version', 0],
        ['Expiration', uint(epoch + 5)],
        ['KeyType', options.keyType ?? 'Ed25519'],
        ['Certified', new Uint8Array(document)],
        ['Signatures', signatures],
      ]),
    ),
  );
}

/**
 * A deterministic fake key: `length` bytes of BLAKE2b output over a fixed
 * label, `label` and `name` (extended block by block past 64 bytes).
 *
 * @example
 * syntheticKey('link key', 'mix1');         // 32 bytes
 * syntheticKey('envelope key', 'r@0', 160); // 160 bytes
 */
export function syntheticKey(label: string, name: string, length = 32): Uint8Array {
  const out = new Uint8Array(length);
  const text = new TextEncoder();
  for (let block = 0, offset = 0; offset < length; block++, offset += 64) {
    const digest = blake2b(text.encode(`katzenpost-rx synthetic ${label}\u0000${name}\u0000${block}`), {
      dkLen: Math.min(64, length - offset),
    });
    out.set(digest, offset);
  }
  return out;
}

/**
 * The fake 32-byte `IdentityKey` of a node, replica or authority of the
 * synthetic document; its BLAKE2b-256 is the node's destination hash.
 *
 * @example
 * const courierHash = blake2b256(syntheticIdentityKey('servicenode1'));
 */
export function syntheticIdentityKey(name: string): Uint8Array {
  return syntheticKey('identity key', name);
}

interface MixDescriptorSpec {
  readonly name: string;
  readonly epoch: number;
  readonly addresses: Map<string, string[]>;
  readonly isGateway?: boolean;
  readonly services?: readonly SyntheticService[];
}

/** A MixDescriptor map, encoded: the document carries these bytes as a byte string. */
function mixDescriptorBytes(spec: MixDescriptorSpec): Uint8Array {
  const isService = spec.services !== undefined;
  let kaetzchen: Map<string, Map<string, unknown>> | null = null;
  let advertized: Map<string, Map<string, unknown>> | null = null;
  if (spec.services !== undefined) {
    kaetzchen = new Map();
    // Service nodes publish a non-nil (possibly empty) advertised-data map.
    advertized = new Map();
    for (const s of spec.services) {
      kaetzchen.set(s.capability, new Map([['endpoint', s.endpoint]]));
      if (s.capability === 'courier') {
        // genconfig advertises the courier's link key as a PEM string.
        const body = toBase64(syntheticKey('courier link key', spec.name));
        const pem = `-----BEGIN XWING PUBLIC KEY-----\n${body}\n-----END XWING PUBLIC KEY-----\n`;
        advertized.set('courier', new Map([['linkPublicKey', pem]]));
      }
    }
  }
  const mixKeys = new Map<number | bigint, Uint8Array>();
  for (let e = spec.epoch; e < spec.epoch + NUM_MIX_KEYS; e++) {
    mixKeys.set(uint(e), syntheticKey('mix key', `${spec.name}@${e}`));
  }
  // MixDescriptor.MarshalBinary uses Go's canonical encoder, so the
  // descriptor bytes are canonical (keys sorted length-first at every
  // level), unlike the document around them.
  return cbor(
    canonicalize(
      new Map<string, unknown>([
        ['Name', spec.name],
        ['Epoch', uint(spec.epoch)],
        ['IdentityKey', syntheticIdentityKey(spec.name)],
        ['LinkKey', syntheticKey('link key', spec.name)],
        ['MixKeys', mixKeys],
        ['Addresses', spec.addresses],
        ['Kaetzchen', kaetzchen],
        ['KaetzchenAdvertizedData', advertized],
        ['IsGatewayNode', spec.isGateway === true],
        ['IsServiceNode', isService],
        ['LoadWeight', 0],
        // Servers set "tofu" on gateways only, and never set Version.
        ['AuthenticationType', spec.isGateway === true ? 'tofu' : ''],
        ['Version', ''],
      ]),
    ),
  );
}

/**
 * Reorders every map in `value` the way Go's canonical CBOR encoder
 * (fxamacker `CanonicalEncOptions`, RFC 7049 §3.9) sorts keys: by the
 * length of the encoded key, then bytewise.
 */
function canonicalize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonicalize);
  if (!(value instanceof Map)) return value;
  const entries = [...(value as Map<unknown, unknown>)].map(([k, v]) => ({
    key: k,
    encoded: cbor(k),
    value: canonicalize(v),
  }));
  entries.sort((a, b) => a.encoded.length - b.encoded.length || compareBytes(a.encoded, b.encoded));
  return new Map(entries.map((e) => [e.key, e.value]));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Encodes with the tag-free encoder and returns an owned plain Uint8Array
 * (cbor-x returns a view of its reusable buffer).
 */
function cbor(value: unknown): Uint8Array {
  return new Uint8Array(encoder.encode(value));
}

/** Integers from 2^32 on must be bigint, or cbor-x writes a float64. */
function uint(n: number): number | bigint {
  return n < 2 ** 32 ? n : BigInt(n);
}

/** A CBOR float64 item (`fb` + 8 bytes big-endian), whatever the value. */
function float64(x: number): Uint8Array {
  const out = new Uint8Array(9);
  out[0] = 0xfb;
  new DataView(out.buffer).setFloat64(1, x, false);
  return out;
}

/** A CBOR map from text keys to already-encoded values. */
function encodeTextKeyedMap(entries: readonly [string, Uint8Array][]): Uint8Array {
  const n = entries.length;
  // Major type 5 head; the document has far fewer than 2^16 keys.
  const head = n < 24 ? [0xa0 | n] : n < 0x100 ? [0xb8, n] : [0xb9, n >> 8, n & 0xff];
  const parts: Uint8Array[] = [Uint8Array.from(head)];
  for (const [key, value] of entries) parts.push(cbor(key), value);
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function checkCount(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(name, 'must be a non-negative integer');
  return n;
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}
