/**
 * Decoded form of the daemon's PKI document (`core/pki.Document`, v0.0.99,
 * PROTOCOL.md §6.1) as produced by {@link decodePKIDocument}.
 *
 * Conventions shared by every type in this file:
 *
 * - **Integers are `number`.** Every integer in the document is an epoch
 *   (20-minute epochs since 2017 are around 2^18; even the 2-minute docker
 *   epochs stay near 2^21), a replica epoch (weekly), a replica ID (uint8) or
 *   a load weight (uint8). All are many orders of magnitude below 2^53, so a
 *   `number` is exact, compares with `===`, works as a `Map` key and needs no
 *   `BigInt` juggling in application code. The decoder rejects (with a
 *   `ProtocolError`) any value above `Number.MAX_SAFE_INTEGER` instead of
 *   silently rounding it.
 * - **Bytes are plain `Uint8Array` copies**, never views into the frame buffer
 *   they were decoded from (DESIGN.md principle 3), and never Node `Buffer`s.
 * - **Go `nil` becomes empty**: a `null` slice, map or byte string (how Go
 *   encodes a nil one) decodes to an empty array, `Map`, record or
 *   `Uint8Array`. The one exception is `Kaetzchen` /
 *   `KaetzchenAdvertizedData`, where `null` carries meaning (a node that runs
 *   no services) and is kept.
 * - Maps keyed by a 32-byte hash use the **lowercase hex** of the hash as the
 *   key, because `Uint8Array` keys compare by identity in a JS `Map`.
 *
 * @example
 * const doc: PKIDocument = decodePKIDocument(event.payload);
 * console.log(doc.epoch, doc.serviceNodes.map((n) => n.name));
 */
export interface PKIDocument {
  /** Epoch this document is valid for (`Epoch`). */
  readonly epoch: number;
  /** Epoch at which the authorities started consensus (`GenesisEpoch`). */
  readonly genesisEpoch: number;
  /** Inverse mean of the per-hop mixing delay, per millisecond (`Mu`). */
  readonly mu: number;
  /** Inverse mean of the client send interval, per millisecond (`LambdaP`). */
  readonly lambdaP: number;
  /** Inverse mean of the client loop-decoy interval (`LambdaL`). */
  readonly lambdaL: number;
  /** Inverse mean of the mix loop-decoy interval (`LambdaM`). */
  readonly lambdaM: number;
  /** Inverse mean of the gateway loop-decoy interval (`LambdaG`). */
  readonly lambdaG: number;
  /** Inverse mean of the courier/replica decoy interval (`LambdaR`). */
  readonly lambdaR: number;
  /** Mix layers, first hop first (`Topology`); excludes gateways and service nodes. */
  readonly topology: readonly (readonly MixDescriptor[])[];
  /** Nodes clients connect through (`GatewayNodes`). */
  readonly gatewayNodes: readonly MixDescriptor[];
  /** Nodes running services such as `courier` and `echo` (`ServiceNodes`). */
  readonly serviceNodes: readonly MixDescriptor[];
  /** Pigeonhole storage replicas (`StorageReplicas`). */
  readonly storageReplicas: readonly ReplicaDescriptor[];
  /** Every configured replica ID, one per byte (`ConfiguredReplicaIDs`, a CBOR byte string). */
  readonly configuredReplicaIds: Uint8Array;
  /** Identity keys of every configured replica (`ConfiguredReplicaIdentityKeys`). */
  readonly configuredReplicaIdentityKeys: readonly Uint8Array[];
  /** Authority key hash (hex) → signed commit (`SharedRandomCommit`). */
  readonly sharedRandomCommit: ReadonlyMap<string, Uint8Array>;
  /** Authority key hash (hex) → signed reveal (`SharedRandomReveal`). */
  readonly sharedRandomReveal: ReadonlyMap<string, Uint8Array>;
  /** Shared random value of this epoch (`SharedRandomValue`). */
  readonly sharedRandomValue: Uint8Array;
  /** Earlier shared random values (`PriorSharedRandom`). */
  readonly priorSharedRandom: readonly Uint8Array[];
  /** Hash of the Sphinx geometry every node must share (`SphinxGeometryHash`). */
  readonly sphinxGeometryHash: Uint8Array;
  /** Document format version (`Version`), `"v1"` for v0.0.99. */
  readonly version: string;
  /** Signature scheme of the directory authorities (`PKISignatureScheme`), e.g. `"Ed25519"`. */
  readonly pkiSignatureScheme: string;
}

/**
 * Capability → parameters, as in `MixDescriptor.Kaetzchen`
 * (`map[string]map[string]interface{}` in Go). Parameter values are whatever
 * the node published: strings, numbers, nested records… Nested CBOR maps
 * with text keys become plain records; maps with other keys stay `Map`s.
 *
 * @example
 * const endpoint = descriptor.kaetzchen?.['courier']?.['endpoint']; // "courier"
 */
export type KaetzchenMap = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/**
 * One mix, gateway or service node (`core/pki.MixDescriptor`). On the wire
 * each descriptor is a CBOR byte string holding the descriptor's own CBOR map.
 *
 * @example
 * const hash = blake2b256(descriptor.identityKey); // destination_id_hash
 */
export interface MixDescriptor {
  /** Node name, e.g. `"servicenode1"` (`Name`). */
  readonly name: string;
  /** Epoch the descriptor was created in (`Epoch`). */
  readonly epoch: number;
  /** The node's identity (signing) public key (`IdentityKey`). */
  readonly identityKey: Uint8Array;
  /** The node's wire-protocol public key (`LinkKey`). */
  readonly linkKey: Uint8Array;
  /** Epoch → Sphinx public key (`MixKeys`, integer map keys on the wire). */
  readonly mixKeys: ReadonlyMap<number, Uint8Array>;
  /** Transport → URLs such as `tcp://host:port` (`Addresses`). */
  readonly addresses: Readonly<Record<string, readonly string[]>>;
  /** Services run by the node, or `null` for a node without services (`Kaetzchen`). */
  readonly kaetzchen: KaetzchenMap | null;
  /** Extra advertised service data, or `null` (`KaetzchenAdvertizedData`). */
  readonly kaetzchenAdvertizedData: KaetzchenMap | null;
  /** `IsGatewayNode`. */
  readonly isGatewayNode: boolean;
  /** `IsServiceNode`. */
  readonly isServiceNode: boolean;
  /** Load-balancing weight, uint8, unused by the daemon (`LoadWeight`). */
  readonly loadWeight: number;
  /** `"tofu"`, `"oob"` or `""` (`AuthenticationType`). */
  readonly authenticationType: string;
  /** Descriptor format version; servers leave it `""` (`Version`). */
  readonly version: string;
}

/**
 * A Pigeonhole storage replica (`core/pki.ReplicaDescriptor`). Unlike mix
 * descriptors these are inline CBOR maps in the document. Replica selection
 * and MKEM are done by the daemon; thin clients normally only display them.
 *
 * @example
 * const ids = doc.storageReplicas.map((r) => r.replicaId); // [0, 1, 2, 3, 4]
 */
export interface ReplicaDescriptor {
  /** Replica name, e.g. `"replica1"` (`Name`). */
  readonly name: string;
  /** Static replica ID, uint8 (`ReplicaID`). */
  readonly replicaId: number;
  /** Epoch the descriptor was created in (`Epoch`). */
  readonly epoch: number;
  /** Identity (signing) public key (`IdentityKey`). */
  readonly identityKey: Uint8Array;
  /** PQ Noise link public key (`LinkKey`). */
  readonly linkKey: Uint8Array;
  /** Replica epoch (weekly) → NIKE public key for MKEM (`EnvelopeKeys`). */
  readonly envelopeKeys: ReadonlyMap<number, Uint8Array>;
  /** Transport → URLs (`Addresses`). */
  readonly addresses: Readonly<Record<string, readonly string[]>>;
}
