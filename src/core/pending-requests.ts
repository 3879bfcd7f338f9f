import type { DaemonMessage, RequestKind } from '../wire/messages.js';

/**
 * What happens to a pending request when the connection drops and a new
 * one is made (see `ThinClient` and PROTOCOL.md §3.3, §9):
 * - `resend`: send the same request again on the new connection (local
 *   requests and ARQ starts: the daemon's answer is idempotent);
 * - `resume-only`: keep waiting only if the daemon resumed the same session
 *   (legacy SURB replies are queued by the daemon), otherwise fail.
 */
export type ReconnectBehaviour = 'resend' | 'resume-only';

/** One request waiting for its reply. */
export interface PendingEntry {
  /** The wire name of the request, for logs and errors. */
  readonly kind: RequestKind;
  /** The encoded request as sent (re-sent verbatim on reconnect). */
  readonly body: Uint8Array;
  readonly onReconnect: ReconnectBehaviour;
  /** Still waiting for a mixnet slot on the client side: not sent yet, so never re-sent or cancelled. */
  held?: boolean;
  /** Delivers a correlated message. Returns true when the entry is finished. */
  deliver(message: DaemonMessage): boolean;
  /** Ends the request with an error. */
  fail(error: Error): void;
}

/**
 * The correlation table (DESIGN.md principle 7): requests are registered
 * here before they are sent and removed on every exit path; replies are
 * found by key in O(1) instead of every request filtering the event stream.
 * Keys are made by the request engine from query ids and SURB ids (opaque
 * strings here).
 */
export class PendingRequests {
  private readonly entries = new Map<string, PendingEntry>();

  get size(): number {
    return this.entries.size;
  }

  /** Registers an entry; an existing key is a bug (ids are random), so it throws. */
  register(key: string, entry: PendingEntry): void {
    // Keys are opaque (not printable): name the request instead.
    if (this.entries.has(key)) throw new Error(`duplicate pending request key (${entry.kind}): ids are random, so this is a bug`);
    this.entries.set(key, entry);
  }

  get(key: string): PendingEntry | undefined {
    return this.entries.get(key);
  }

  /** Removes an entry; true if it was there. */
  delete(key: string): boolean {
    return this.entries.delete(key);
  }

  /** Entries in registration order (a snapshot: safe to mutate the table while iterating). */
  snapshot(): Array<[string, PendingEntry]> {
    return [...this.entries];
  }

  /** Removes and returns every entry, in registration order. */
  drain(): PendingEntry[] {
    const all = [...this.entries.values()];
    this.entries.clear();
    return all;
  }
}
