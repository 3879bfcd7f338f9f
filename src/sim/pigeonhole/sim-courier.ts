import { toHex } from '../../core/hex.js';
import { blake2b256 } from '../../pki/blake2b256.js';
import { WireSizes } from '../../wire/constants.js';
import type { LatencyModel } from '../latency-model.js';
import type { SimClock } from '../sim-clock.js';
import { ReplicaCode, type BoxStore } from './box-store.js';
import { decodeCopyEnvelope } from './copy-envelope.js';
import { CopyStreamDecoder } from './copy-stream.js';
import { decodeCourierQuery, type CourierQuery } from './courier-query.js';
import { capFirstIndex, capPublicKey, nextIndex } from './fake-bacap.js';

/*
 * One courier service node (`courier/server/plugin.go`, DAEMON.md §3.3,
 * §4.1), minus the cryptography. What matters to clients is reproduced:
 * - a new envelope is ACKed at once and dispatched to the replicas in the
 *   background; its result is served on a *later* copy of the same
 *   envelope (so reads and box-exists-aware writes take two round trips);
 * - replies are cached per envelope hash for 5 minutes; a cached error
 *   (e.g. BoxIDNotFound) is served immediately while a re-dispatch is
 *   scheduled, at most 5 times per entry — a read that starts long before
 *   its box is written can keep seeing 1 until the entry expires;
 * - copy commands run in the background, deduplicated by write-cap hash,
 *   InProgress until done, the terminal result cached for 30 minutes.
 */

/** Courier EnvelopeError codes (before the daemon remaps them). */
export const CourierError = { invalidEnvelope: 1, cacheCorruption: 2, propagation: 3, invalidEpoch: 4 } as const;

/** What the replicas answered for an envelope, as the courier caches it. */
export interface ReplicaResult {
  readonly code: number;
  /** Read result, when `code` is 0. */
  readonly plaintext?: Uint8Array;
}

/** A courier's reply to an envelope. */
export type EnvelopeReply =
  | { readonly kind: 'ack' }
  | { readonly kind: 'payload'; readonly query: CourierQuery; readonly result: ReplicaResult }
  | { readonly kind: 'courier-error'; readonly code: number };

/** A courier's reply to a copy command. */
export interface CopyReply {
  readonly kind: 'copy';
  readonly status: 'in-progress' | 'succeeded' | 'failed';
  readonly replicaErrorCode: number;
  readonly failedEnvelopeIndex: bigint;
}

/** Anything a courier sends back. */
export type CourierReply = EnvelopeReply | CopyReply;

const COPY_MAGIC = [0x4b, 0x50, 0x53, 0x43]; // "KPSC"

/**
 * The payload the daemon sends for `start_resending_copy_command`: the
 * simulator's `CourierQuery{copy_command{write_cap}}`.
 *
 * @example
 * network.send({ destination, queueId, payload: encodeCopyCommand(writeCap), onReply });
 */
export function encodeCopyCommand(writeCap: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + writeCap.length);
  out.set(COPY_MAGIC, 0);
  out.set(writeCap, 4);
  return out;
}

const ENVELOPE_CACHE_TTL_MS = 5 * 60_000;
const REDISPATCH_GRACE_MS = 30_000;
const MAX_REDISPATCH = 5;
const COPY_CACHE_TTL_MS = 30 * 60_000;
const MAX_COPY_BOXES = 1 << 16;
/** Per shard replica, two shards (`maxCopyReadTransientAttempts`). */
const COPY_READ_ATTEMPTS = 10;
const COPY_SHARDS = 2;

interface EnvelopeEntry {
  readonly createdAt: number;
  readonly query: CourierQuery;
  result: ReplicaResult | null;
  redispatches: number;
  inFlight: boolean;
}

interface CopyState {
  inProgress: boolean;
  result: CopyReply | null;
  completedAt: number;
}

/** What a courier needs from the simulated network. */
export interface CourierDeps {
  readonly clock: SimClock;
  readonly latency: LatencyModel;
  readonly boxes: BoxStore;
  /** The current replica epoch (envelopes within ±1 are accepted). */
  replicaEpoch(): number;
}

/**
 * A simulated courier. `handle` is called when a packet reaches it and
 * returns the reply to send back, or `null` for none.
 *
 * @example
 * const reply = courier.handle(messageCiphertext); // { kind: 'ack' } the first time
 */
export class SimCourier {
  private readonly envelopes = new Map<string, EnvelopeEntry>();
  private readonly copies = new Map<string, CopyState>();

  constructor(
    readonly name: string,
    private readonly deps: CourierDeps,
  ) {}

  handle(payload: Uint8Array): CourierReply | null {
    if (payload.length === 4 + WireSizes.writeCap && COPY_MAGIC.every((b, i) => payload[i] === b)) {
      return this.handleCopy(payload.subarray(4));
    }
    const query = decodeCourierQuery(payload);
    // The real courier drops a query it cannot decode without replying.
    if (query === null) return null;
    return this.handleEnvelope(query, payload);
  }

  private handleEnvelope(query: CourierQuery, payload: Uint8Array): EnvelopeReply {
    if (Math.abs(query.replicaEpoch - this.deps.replicaEpoch()) > 1) return { kind: 'courier-error', code: CourierError.invalidEpoch };
    const key = toHex(blake2b256(payload));
    const now = this.deps.clock.now();
    let entry = this.envelopes.get(key);
    if (entry !== undefined && now - entry.createdAt > ENVELOPE_CACHE_TTL_MS) {
      this.envelopes.delete(key);
      entry = undefined;
    }
    if (entry === undefined) {
      entry = { createdAt: now, query, result: null, redispatches: 0, inFlight: false };
      this.envelopes.set(key, entry);
      this.prune(now);
      this.dispatch(entry);
      // Fixed-latency mode: the replicas answered synchronously, serve it now.
      if (this.deps.latency.fixed && entry.result !== null) return { kind: 'payload', query, result: entry.result };
      return { kind: 'ack' };
    }
    if (this.needsRedispatch(entry, now)) {
      entry.redispatches += 1;
      this.dispatch(entry);
    }
    return entry.result === null ? { kind: 'ack' } : { kind: 'payload', query: entry.query, result: entry.result };
  }

  private needsRedispatch(entry: EnvelopeEntry, now: number): boolean {
    if (entry.redispatches >= MAX_REDISPATCH) return false;
    if (entry.result !== null) return entry.result.code !== ReplicaCode.success;
    return now - entry.createdAt > REDISPATCH_GRACE_MS;
  }

  /** Sends the envelope to the replicas; their answer lands in the cache a replica round trip later. */
  private dispatch(entry: EnvelopeEntry): void {
    if (entry.inFlight) return;
    entry.inFlight = true;
    const apply = (): void => {
      entry.inFlight = false;
      const result = this.applyQuery(entry.query);
      // Newer replies replace cached errors; a cached success stays.
      if (entry.result === null || entry.result.code !== ReplicaCode.success) entry.result = result;
    };
    const delay = this.deps.latency.replicaRoundTrip();
    if (delay === 0) apply();
    else this.deps.clock.setTimer(delay, apply);
  }

  private applyQuery(query: CourierQuery): ReplicaResult {
    const { boxes } = this.deps;
    switch (query.op) {
      case 'read': {
        const read = boxes.read(query.publicKey, query.index);
        return read.code === ReplicaCode.success ? { code: 0, plaintext: read.plaintext } : { code: read.code };
      }
      case 'write':
        return { code: boxes.write(query.publicKey, query.index, { tombstone: false, plaintext: query.plaintext }) };
      case 'tombstone':
        return { code: boxes.write(query.publicKey, query.index, { tombstone: true }) };
    }
  }

  private prune(now: number): void {
    for (const [key, entry] of this.envelopes) if (now - entry.createdAt > ENVELOPE_CACHE_TTL_MS) this.envelopes.delete(key);
    for (const [key, state] of this.copies) if (!state.inProgress && now - state.completedAt > COPY_CACHE_TTL_MS) this.copies.delete(key);
  }

  // ---- copy commands ------------------------------------------------------

  private handleCopy(writeCap: Uint8Array): CopyReply {
    const key = toHex(blake2b256(writeCap));
    const now = this.deps.clock.now();
    const existing = this.copies.get(key);
    if (existing !== undefined) {
      if (existing.inProgress) return inProgress();
      if (now - existing.completedAt < COPY_CACHE_TTL_MS && existing.result !== null) return existing.result;
      this.copies.delete(key);
    }
    this.prune(now);
    const state: CopyState = { inProgress: true, result: null, completedAt: 0 };
    this.copies.set(key, state);
    new CopyJob(writeCap.slice(), this.deps, (result) => {
      state.inProgress = false;
      state.result = result;
      state.completedAt = this.deps.clock.now();
    }).start();
    // Fixed-latency mode runs the job synchronously: answer with its result.
    return state.result ?? inProgress();
  }
}

function inProgress(): CopyReply {
  return { kind: 'copy', status: 'in-progress', replicaErrorCode: 0, failedEnvelopeIndex: 0n };
}

function failed(replicaErrorCode: number, failedEnvelopeIndex: number): CopyReply {
  return { kind: 'copy', status: 'failed', replicaErrorCode, failedEnvelopeIndex: BigInt(failedEnvelopeIndex) };
}

/**
 * One copy command's background work (`processCopyCommand`): read the
 * temporary channel box by box from the write cap's first index, decode the
 * elements, apply each destination write in order, stop after FINAL. The
 * first failure ends it with the replica code and the 1-based position of
 * the envelope that could not be processed; writes already applied stay.
 */
class CopyJob {
  private readonly decoder = new CopyStreamDecoder();
  private readonly publicKey: Uint8Array;
  private index: Uint8Array | null;
  private readonly tempBoxes: Uint8Array[] = [];
  private processed = 0;

  constructor(
    writeCap: Uint8Array,
    private readonly deps: CourierDeps,
    private readonly done: (result: CopyReply) => void,
  ) {
    this.publicKey = capPublicKey(writeCap).slice();
    this.index = capFirstIndex(writeCap).slice();
  }

  start(): void {
    this.nextBox();
  }

  private nextBox(): void {
    if (this.index === null || this.tempBoxes.length >= MAX_COPY_BOXES) return this.fail(0);
    const index = this.index;
    this.readBox(index, 0, 0, (read) => {
      if (read.code !== ReplicaCode.success) return this.fail(read.code);
      this.tempBoxes.push(index);
      let decoded: { envelopes: Uint8Array[]; isFinal: boolean };
      try {
        decoded = this.decoder.addElement(read.plaintext!);
      } catch {
        return this.fail(0);
      }
      this.applyEnvelopes(decoded.envelopes, 0, () => {
        if (decoded.isFinal) return this.succeed();
        this.index = nextIndex(index);
        this.nextBox();
      });
    });
  }

  /**
   * Reads one temporary box (`readBoxFromShardReplicas`): BoxIDNotFound is
   * temporary and retried up to 10 times per shard with backoff, any other
   * error fails over to the other shard at once; two shards. A box that
   * never appears fails the copy with 1 after about 2 minutes.
   */
  private readBox(index: Uint8Array, shard: number, attempt: number, then: (read: ReplicaResult) => void): void {
    const backoff = attempt === 0 ? 0 : copyBackoff(attempt - 1);
    this.later(backoff + this.deps.latency.replicaRoundTrip(), () => {
      const read = this.deps.boxes.read(this.publicKey, index);
      if (read.code === ReplicaCode.success) return then({ code: 0, plaintext: read.plaintext });
      if (read.code === ReplicaCode.boxIdNotFound && attempt + 1 < COPY_READ_ATTEMPTS) return this.readBox(index, shard, attempt + 1, then);
      if (shard + 1 < COPY_SHARDS) return this.readBox(index, shard + 1, 0, then);
      then({ code: read.code });
    });
  }

  private applyEnvelopes(envelopes: readonly Uint8Array[], i: number, then: () => void): void {
    if (i >= envelopes.length) return then();
    const envelope = decodeCopyEnvelope(envelopes[i]!);
    if (envelope === null) return this.fail(0);
    this.later(this.deps.latency.replicaRoundTrip(), () => {
      const code = this.deps.boxes.write(
        envelope.publicKey,
        envelope.index,
        envelope.tombstone ? { tombstone: true } : { tombstone: false, plaintext: envelope.chunk },
      );
      if (code !== ReplicaCode.success) return this.fail(code);
      this.processed += 1;
      this.applyEnvelopes(envelopes, i + 1, then);
    });
  }

  private succeed(): void {
    this.done({ kind: 'copy', status: 'succeeded', replicaErrorCode: 0, failedEnvelopeIndex: 0n });
    // Best effort, off the reply path: the courier tombstones the temporary channel.
    const boxes = [...this.tempBoxes];
    this.later(this.deps.latency.replicaRoundTrip(), () => {
      for (const index of boxes) this.deps.boxes.write(this.publicKey, index, { tombstone: true });
    });
  }

  private fail(code: number): void {
    this.done(failed(code, this.processed + 1));
  }

  /** Runs `fn` after `delay`, synchronously when the delay is 0 (fixed-latency mode). */
  private later(delay: number, fn: () => void): void {
    if (delay === 0) fn();
    else this.deps.clock.setTimer(delay, fn);
  }
}

/** `copyAttemptBackoff`: 500 ms doubling per attempt, capped at 10 s. */
function copyBackoff(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.min(attempt, 8));
}
