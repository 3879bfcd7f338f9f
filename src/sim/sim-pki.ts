import { blake2b256 } from '../pki/blake2b256.js';
import type { SimClock, SimTimer } from './sim-clock.js';
import {
  buildSignedPKIDocument,
  buildSyntheticPKIDocument,
  DEFAULT_SYNTHETIC_SERVICES,
  syntheticIdentityKey,
  type SyntheticService,
} from './synthetic-pki.js';

/**
 * Epoch 0 starts 2017-06-01T00:00Z (`core/epochtime`): epoch `e` of period
 * `p` ms begins at `EPOCH_GENESIS_MS + e × p`.
 */
export const EPOCH_GENESIS_MS = Date.UTC(2017, 5, 1);
const REPLICA_EPOCH_MS = 7 * 24 * 60 * 60 * 1000;
/** The daemon announces a new document about 11/16 of an epoch after its boundary (DAEMON.md §1.6). */
const ANNOUNCE_FRACTION = 11 / 16;

/** A service node of the simulated network, as the daemon finds it in the document. */
export interface SimServiceNode {
  readonly name: string;
  /** BLAKE2b-256 of its IdentityKey: `destination_id_hash` / `courier_identity_hash`. */
  readonly identityHash: Uint8Array;
  /** capability → endpoint (the recipient queue ID). */
  readonly services: ReadonlyMap<string, string>;
}

/** Options of {@link SimPki}. */
export interface SimPkiOptions {
  readonly epochPeriodMs: number;
  readonly autoAdvanceEpochs: boolean;
  readonly hasDocument: boolean;
  readonly services?: readonly SyntheticService[];
  readonly storageReplicas: number;
  readonly mixLayers: number;
  readonly lambdaP: number;
  readonly mu: number;
}

/**
 * The directory authorities' side of the simulated network: which epoch it
 * is, which documents exist, and when the daemon learns about a new one.
 *
 * With `autoAdvanceEpochs` the epoch follows the simulated clock
 * (`epochPeriodMs` long, 20 min by default like a non-warped network);
 * without it the epoch is frozen at the one the simulation started in.
 * Either way each manual {@link SimPki.publish} advances it by one. With
 * `hasDocument: false` no document exists until the first `publish()`.
 *
 * @example
 * const pki = new SimPki(clock, options);
 * pki.onAnnounce((epoch, doc) => daemon.broadcastDocument(doc));
 */
export class SimPki {
  readonly serviceNodes: readonly SimServiceNode[];
  readonly storageReplicas: number;
  private offset = 0;
  private firstEpoch: number | null;
  private lastAnnounced: number;
  private readonly documents = new Map<number, { doc: Uint8Array; signed: Uint8Array }>();
  private readonly genesisEpoch: number;
  private readonly listeners = new Set<(epoch: number, document: Uint8Array) => void>();
  private timer: SimTimer | null = null;

  constructor(
    private readonly clock: SimClock,
    private readonly options: SimPkiOptions,
  ) {
    this.genesisEpoch = this.clockEpoch();
    this.firstEpoch = options.hasDocument ? this.genesisEpoch : null;
    this.lastAnnounced = this.genesisEpoch;
    this.storageReplicas = options.storageReplicas;
    this.serviceNodes = serviceNodesOf(options.services ?? DEFAULT_SYNTHETIC_SERVICES);
    if (options.autoAdvanceEpochs) this.scheduleAnnouncement();
  }

  /**
   * The current epoch (0 = 2017-06-01). Frozen epochs do not follow the
   * clock at all: a scaled clock runs 20-minute epochs in about a second of
   * real time, so a test that takes a little longer on a loaded machine
   * would otherwise see the epoch change, and the daemon's cached documents
   * expire, under its feet.
   */
  currentEpoch(): number {
    return (this.options.autoAdvanceEpochs ? this.clockEpoch() : this.genesisEpoch) + this.offset;
  }

  /** The replica (weekly) epoch of envelopes made now: floor(epoch × period / 7 days). */
  replicaEpoch(): number {
    return Math.floor((this.currentEpoch() * this.options.epochPeriodMs) / REPLICA_EPOCH_MS);
  }

  /** True once any document exists. */
  get hasDocument(): boolean {
    return this.firstEpoch !== null;
  }

  /**
   * The epoch of the document the daemon would use now: the current one,
   * else the previous one, else `null` (DAEMON.md §1.1).
   */
  currentDocumentEpoch(): number | null {
    const now = this.currentEpoch();
    if (this.isCached(now)) return now;
    if (this.isCached(now - 1)) return now - 1;
    return null;
  }

  /** Whether the daemon holds the document of `epoch` (only now − 1 and now, DAEMON.md §2). */
  isCached(epoch: number): boolean {
    const now = this.currentEpoch();
    return this.firstEpoch !== null && epoch >= this.firstEpoch && (epoch === now || epoch === now - 1);
  }

  /** The CBOR document of `epoch` as `new_pki_document_event` carries it. */
  document(epoch: number): Uint8Array {
    return this.entry(epoch).doc;
  }

  /** The cert-wrapped signed document of `epoch`, as `get_pki_document_reply` carries it. */
  signedDocument(epoch: number): Uint8Array {
    return this.entry(epoch).signed;
  }

  /**
   * Publishes a document: the first one if there is none yet, else the next
   * epoch's (time jumps one epoch ahead). Listeners hear about it at once.
   * Returns the epoch of the new document.
   */
  publish(): number {
    if (this.firstEpoch === null) {
      this.firstEpoch = this.currentEpoch();
    } else {
      this.offset += 1;
    }
    const epoch = this.currentEpoch();
    this.announce(epoch);
    return epoch;
  }

  /** Registers a listener for new documents; returns an unsubscribe function. */
  onAnnounce(listener: (epoch: number, document: Uint8Array) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the epoch timer. */
  dispose(): void {
    this.timer?.cancel();
    this.timer = null;
    this.listeners.clear();
  }

  private announce(epoch: number): void {
    this.lastAnnounced = Math.max(this.lastAnnounced, epoch);
    const doc = this.document(epoch);
    for (const listener of [...this.listeners]) listener(epoch, doc);
  }

  private clockEpoch(): number {
    return Math.floor((this.clock.now() - EPOCH_GENESIS_MS) / this.options.epochPeriodMs);
  }

  /** Fires at 11/16 of every epoch: the daemon's PKI worker announces the current document once. */
  private scheduleAnnouncement(): void {
    const period = this.options.epochPeriodMs;
    const sinceGenesis = this.clock.now() - EPOCH_GENESIS_MS;
    let due = Math.floor(sinceGenesis / period) * period + period * ANNOUNCE_FRACTION;
    if (due <= sinceGenesis) due += period;
    this.timer = this.clock.setTimer(due - sinceGenesis, () => {
      const epoch = this.currentEpoch();
      if (this.firstEpoch !== null && epoch > this.lastAnnounced) this.announce(epoch);
      this.scheduleAnnouncement();
    });
  }

  private entry(epoch: number): { doc: Uint8Array; signed: Uint8Array } {
    let entry = this.documents.get(epoch);
    if (entry === undefined) {
      const doc = buildSyntheticPKIDocument({
        epoch,
        genesisEpoch: Math.min(this.genesisEpoch, epoch),
        ...(this.options.services === undefined ? {} : { services: this.options.services }),
        storageReplicas: this.options.storageReplicas,
        mixLayers: this.options.mixLayers,
        lambdaP: this.options.lambdaP,
        mu: this.options.mu,
        epochPeriodMs: this.options.epochPeriodMs,
      });
      entry = { doc, signed: buildSignedPKIDocument(doc, epoch) };
      this.documents.set(epoch, entry);
      // Keep a few epochs only: a long-running simulator must not grow without bound.
      for (const key of this.documents.keys()) if (key < epoch - 4) this.documents.delete(key);
    }
    return entry;
  }
}

function serviceNodesOf(services: readonly SyntheticService[]): SimServiceNode[] {
  const nodes = new Map<string, Map<string, string>>();
  for (const s of services) {
    const map = nodes.get(s.nodeName) ?? new Map<string, string>();
    map.set(s.capability, s.endpoint);
    nodes.set(s.nodeName, map);
  }
  return [...nodes].map(([name, map]) => ({ name, identityHash: blake2b256(syntheticIdentityKey(name)), services: map }));
}
