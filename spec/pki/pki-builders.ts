/** Builders of decoded PKI documents for lookup specs (no CBOR involved). */
import type { KaetzchenMap, MixDescriptor, PKIDocument } from '../../src/pki/pki-document.js';
import { filled } from './go-cbor.js';

/** A MixDescriptor whose identity key is 32 × `identityByte`. */
export function node(name: string, identityByte: number, kaetzchen: KaetzchenMap | null): MixDescriptor {
  return {
    name,
    epoch: 1,
    identityKey: filled(32, identityByte),
    linkKey: filled(32, 0),
    mixKeys: new Map(),
    addresses: {},
    kaetzchen,
    kaetzchenAdvertizedData: null,
    isGatewayNode: false,
    isServiceNode: kaetzchen !== null,
    loadWeight: 0,
    authenticationType: '',
    version: '',
  };
}

/** A document with empty lists, epoch 7, overridden by `parts`. */
export function docWith(parts: Partial<PKIDocument>): PKIDocument {
  return {
    epoch: 7,
    genesisEpoch: 1,
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
    pkiSignatureScheme: 'Ed25519',
    ...parts,
  };
}
