import { bytesEqual } from '../../core/hex.js';
import { boxKey } from './fake-bacap.js';

/** Replica error codes (PROTOCOL.md §7.2) the simulated replicas produce. */
export const ReplicaCode = {
  success: 0,
  boxIdNotFound: 1,
  boxAlreadyExists: 10,
  tombstone: 11,
} as const;

/** What a box holds: a message, or a tombstone (signed empty payload). */
export type BoxContent = { readonly tombstone: false; readonly plaintext: Uint8Array } | { readonly tombstone: true };

/** The result of reading a box. */
export type BoxRead =
  | { readonly code: typeof ReplicaCode.success; readonly plaintext: Uint8Array }
  | { readonly code: typeof ReplicaCode.boxIdNotFound }
  | { readonly code: typeof ReplicaCode.tombstone };

/**
 * The replicas' storage, collapsed into one map (DAEMON.md §3.3, the
 * replica rules of `replica/state.go`):
 * - a box is written once: the first write wins, a byte-identical re-write
 *   succeeds, different content gets 10 (BoxAlreadyExists) — also for data
 *   written over a tombstone;
 * - a tombstone overwrites anything and always succeeds;
 * - reading a tombstone gives 11, an absent box 1.
 *
 * @example
 * const store = new BoxStore();
 * store.write(publicKey, index, { tombstone: false, plaintext }); // 0
 * store.read(publicKey, index); // { code: 0, plaintext }
 */
export class BoxStore {
  private readonly boxes = new Map<string, BoxContent>();

  /** Number of boxes stored (tombstones included). */
  get size(): number {
    return this.boxes.size;
  }

  /** Applies a write; returns the replica code (0 or 10). */
  write(publicKey: Uint8Array, index: Uint8Array, content: BoxContent): number {
    const key = boxKey(publicKey, index);
    if (content.tombstone) {
      this.boxes.set(key, content);
      return ReplicaCode.success;
    }
    const existing = this.boxes.get(key);
    if (existing === undefined) {
      this.boxes.set(key, { tombstone: false, plaintext: content.plaintext.slice() });
      return ReplicaCode.success;
    }
    if (!existing.tombstone && bytesEqual(existing.plaintext, content.plaintext)) return ReplicaCode.success;
    return ReplicaCode.boxAlreadyExists;
  }

  /** Reads a box. */
  read(publicKey: Uint8Array, index: Uint8Array): BoxRead {
    const existing = this.boxes.get(boxKey(publicKey, index));
    if (existing === undefined) return { code: ReplicaCode.boxIdNotFound };
    if (existing.tombstone) return { code: ReplicaCode.tombstone };
    return { code: ReplicaCode.success, plaintext: existing.plaintext.slice() };
  }

  /** Forgets everything (a daemon restart does not do this: the network keeps its boxes). */
  clear(): void {
    this.boxes.clear();
  }
}
