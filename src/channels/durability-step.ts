/**
 * The points between the durable steps of sending and receiving, in
 * order. A crash (or a `SIGKILL`) can only ever land between two of them,
 * since every store transaction is atomic; the crash tests stop a child
 * process at each one and check that nothing is lost, duplicated or
 * overwritten. Unsubscribing from a send stops it the same way — between
 * two transactions — and cancels the daemon request in flight: the journal
 * is then what a crash at the last step reached leaves.
 *
 * Send:
 * - `send:prepared` — the envelope is encrypted (`encryptWrite`), nothing
 *   is stored yet. A crash here loses nothing the application was told
 *   about: `send` has not even queued the message.
 * - `send:queued` — the outbox entry (exact ciphertext, envelope, box
 *   index, next index) is committed. From here the box is reserved: no
 *   later send can be given it, and `recover()` re-sends this ciphertext.
 * - `send:acked` — the daemon confirmed the write; the index is not
 *   advanced yet. A crash here re-sends the same ciphertext on recovery:
 *   an identical re-write, which the replicas accept.
 * - `send:committed` — write index advanced, outbox entry removed and the
 *   sent record stored, in one transaction; the caller is told next.
 *
 * Receive:
 * - `receive:read` — a box was read; nothing stored. A crash re-reads it.
 * - `receive:committed` — the message is stored and the read index
 *   advanced, in one transaction; it is emitted next. A crash here leaves
 *   it stored and unread (delivered again with `replayUnread`).
 */
export type DurabilityStep = 'send:prepared' | 'send:queued' | 'send:acked' | 'send:committed' | 'receive:read' | 'receive:committed';

/** Where a {@link DurabilityStep} was reached. */
export interface DurabilityStepEvent {
  readonly step: DurabilityStep;
  readonly channel: string;
  /** The box position concerned (the first one, for a copy). */
  readonly position: number;
  /** The outbox entry, for send steps after `send:prepared`. */
  readonly seq?: number;
}
