import { bytesToHex } from '@noble/hashes/utils.js';

import { ProtocolError } from '../errors/local-errors.js';
import {
  decodeCborItem,
  describeCborValue,
  expectMap,
  mapFields,
  isNil,
  readArrayOrEmpty,
  readBool,
  readBytes,
  readBytesOrEmpty,
  readFloat,
  readMapOrEmpty,
  readText,
  readUint,
  setOwn,
  toPlainValue,
} from './cbor-field-readers.js';
import type { KaetzchenMap, MixDescriptor, PKIDocument, ReplicaDescriptor } from './pki-document.js';

const UINT8_MAX = 0xff;
/** `[PublicKeyHashSize]byte` keys of `SharedRandomCommit` / `SharedRandomReveal`. */
const KEY_HASH_LENGTH = 32;

/**
 * Decodes the CBOR PKI document carried by `new_pki_document_event.payload`
 * (PROTOCOL.md §6.1): a map keyed by Go field names whose mix descriptors
 * are byte strings holding CBOR (decoded a second time here) and whose
 * storage replicas are inline maps.
 *
 * Strict: every non-`omitempty` field of the v0.0.99 `Document`,
 * `MixDescriptor` and `ReplicaDescriptor` structs must be present with its
 * Go type (these fields are unchanged since v0.0.76); `null` is accepted
 * wherever Go can emit it (nil slices, maps, byte strings). Anything else —
 * undecodable CBOR, trailing bytes, a wrong type, a negative or oversized
 * integer, a `SharedRandom*` key that is not 32 bytes, a `null` descriptor —
 * throws a `ProtocolError` whose message names the field. Unknown keys are
 * ignored, as the daemon's own decoder does.
 *
 * Both the handshake copy (canonical CBOR) and the per-epoch broadcast
 * (default CBOR) decode identically. All bytes in the result are fresh
 * copies; `payload` may be reused afterwards.
 *
 * @example
 * const doc = decodePKIDocument(event.payload);
 * const couriers = getAllCouriers(doc);
 */
export function decodePKIDocument(payload: Uint8Array): PKIDocument {
  const path = 'PKI document';
  const { map, get, at } = mapFields(decodeCborItem(payload, path), path);

  const topology = readArrayOrEmpty(get('Topology'), at('Topology')).map((layer, i) =>
    decodeDescriptorList(layer, `${at('Topology')}[${i}]`),
  );

  return {
    epoch: readUint(get('Epoch'), at('Epoch')),
    genesisEpoch: readUint(get('GenesisEpoch'), at('GenesisEpoch')),
    mu: readFloat(get('Mu'), at('Mu')),
    lambdaP: readFloat(get('LambdaP'), at('LambdaP')),
    lambdaL: readFloat(get('LambdaL'), at('LambdaL')),
    lambdaM: readFloat(get('LambdaM'), at('LambdaM')),
    lambdaG: readFloat(get('LambdaG'), at('LambdaG')),
    lambdaR: readFloat(get('LambdaR'), at('LambdaR')),
    topology,
    gatewayNodes: decodeDescriptorList(get('GatewayNodes'), at('GatewayNodes')),
    serviceNodes: decodeDescriptorList(get('ServiceNodes'), at('ServiceNodes')),
    storageReplicas: readArrayOrEmpty(get('StorageReplicas'), at('StorageReplicas')).map((r, i) =>
      decodeReplicaDescriptor(r, `${at('StorageReplicas')}[${i}]`),
    ),
    // The two ConfiguredReplica* fields are `omitempty`: absent means empty.
    configuredReplicaIds: readBytesOrEmpty(map.get('ConfiguredReplicaIDs'), at('ConfiguredReplicaIDs')),
    configuredReplicaIdentityKeys: readByteStringList(
      map.get('ConfiguredReplicaIdentityKeys'),
      at('ConfiguredReplicaIdentityKeys'),
    ),
    sharedRandomCommit: readKeyHashMap(get('SharedRandomCommit'), at('SharedRandomCommit')),
    sharedRandomReveal: readKeyHashMap(get('SharedRandomReveal'), at('SharedRandomReveal')),
    sharedRandomValue: readBytesOrEmpty(get('SharedRandomValue'), at('SharedRandomValue')),
    priorSharedRandom: readByteStringList(get('PriorSharedRandom'), at('PriorSharedRandom')),
    sphinxGeometryHash: readBytesOrEmpty(get('SphinxGeometryHash'), at('SphinxGeometryHash')),
    version: readText(get('Version'), at('Version')),
    pkiSignatureScheme: readText(get('PKISignatureScheme'), at('PKISignatureScheme')),
  };
}

/** `[]*MixDescriptor`: each element is a byte string wrapping the descriptor's CBOR. */
function decodeDescriptorList(value: unknown, path: string): MixDescriptor[] {
  return readArrayOrEmpty(value, path).map((item, i) => {
    const itemPath = `${path}[${i}]`;
    // A nil *MixDescriptor would encode as null; Go code dereferences these
    // unchecked, so it is never legitimate.
    const wrapped = readBytesWrapper(item, itemPath);
    return decodeMixDescriptor(decodeCborItem(wrapped, itemPath), itemPath);
  });
}

function readBytesWrapper(value: unknown, path: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new ProtocolError(
      `${path}: expected a byte string holding a CBOR MixDescriptor, got ${describeCborValue(value)}`,
    );
  }
  return value; // decoded at once and not retained: no copy needed
}

function decodeMixDescriptor(value: unknown, path: string): MixDescriptor {
  const { get, at } = mapFields(value, path);
  return {
    name: readText(get('Name'), at('Name')),
    epoch: readUint(get('Epoch'), at('Epoch')),
    identityKey: readBytesOrEmpty(get('IdentityKey'), at('IdentityKey')),
    linkKey: readBytesOrEmpty(get('LinkKey'), at('LinkKey')),
    mixKeys: readEpochKeyMap(get('MixKeys'), at('MixKeys')),
    addresses: readAddresses(get('Addresses'), at('Addresses')),
    kaetzchen: readKaetzchen(get('Kaetzchen'), at('Kaetzchen')),
    kaetzchenAdvertizedData: readKaetzchen(get('KaetzchenAdvertizedData'), at('KaetzchenAdvertizedData')),
    isGatewayNode: readBool(get('IsGatewayNode'), at('IsGatewayNode')),
    isServiceNode: readBool(get('IsServiceNode'), at('IsServiceNode')),
    loadWeight: readUint(get('LoadWeight'), at('LoadWeight'), UINT8_MAX),
    authenticationType: readText(get('AuthenticationType'), at('AuthenticationType')),
    version: readText(get('Version'), at('Version')),
  };
}

function decodeReplicaDescriptor(value: unknown, path: string): ReplicaDescriptor {
  // A nil *ReplicaDescriptor (null) is rejected by expectMap, as above.
  const { get, at } = mapFields(value, path);
  return {
    name: readText(get('Name'), at('Name')),
    replicaId: readUint(get('ReplicaID'), at('ReplicaID'), UINT8_MAX),
    epoch: readUint(get('Epoch'), at('Epoch')),
    identityKey: readBytesOrEmpty(get('IdentityKey'), at('IdentityKey')),
    linkKey: readBytesOrEmpty(get('LinkKey'), at('LinkKey')),
    envelopeKeys: readEpochKeyMap(get('EnvelopeKeys'), at('EnvelopeKeys')),
    addresses: readAddresses(get('Addresses'), at('Addresses')),
  };
}

/** `map[uint64][]byte` (MixKeys, EnvelopeKeys): integer keys on the wire. */
function readEpochKeyMap(value: unknown, path: string): Map<number, Uint8Array> {
  const out = new Map<number, Uint8Array>();
  for (const [k, v] of readMapOrEmpty(value, path)) {
    const epoch = readUint(k, `${path} key`);
    out.set(epoch, readBytesOrEmpty(v, `${path}[${epoch}]`));
  }
  return out;
}

/** `map[[32]byte][]byte`: byte-string keys, exposed as lowercase hex. */
function readKeyHashMap(value: unknown, path: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [k, v] of readMapOrEmpty(value, path)) {
    const hex = bytesToHex(readBytes(k, `${path} key`, KEY_HASH_LENGTH));
    out.set(hex, readBytesOrEmpty(v, `${path}[${hex}]`));
  }
  return out;
}

/** `[][]byte`. */
function readByteStringList(value: unknown, path: string): Uint8Array[] {
  return readArrayOrEmpty(value, path).map((item, i) => readBytesOrEmpty(item, `${path}[${i}]`));
}

/** `map[string][]string`. */
function readAddresses(value: unknown, path: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of readMapOrEmpty(value, path)) {
    const transport = readText(k, `${path} key`);
    const urls = readArrayOrEmpty(v, `${path}.${transport}`).map((u, i) =>
      readText(u, `${path}.${transport}[${i}]`),
    );
    setOwn(out, transport, urls);
  }
  return out;
}

/** `map[string]map[string]interface{}`; `null` (no services) is kept as `null`. */
function readKaetzchen(value: unknown, path: string): KaetzchenMap | null {
  if (isNil(value)) return null;
  const out: Record<string, Record<string, unknown>> = {};
  for (const [k, v] of expectMap(value, path)) {
    const capability = readText(k, `${path} key`);
    const params: Record<string, unknown> = {};
    for (const [pk, pv] of readMapOrEmpty(v, `${path}.${capability}`)) {
      setOwn(params, readText(pk, `${path}.${capability} key`), toPlainValue(pv));
    }
    setOwn(out, capability, params);
  }
  return out;
}
