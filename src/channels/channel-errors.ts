import { KatzenpostError } from '../errors/katzenpost-error.js';

/**
 * Errors of the channel layer. They live here rather than in `src/errors/`
 * because only this layer raises them; each has a stable string `code`.
 * Messages name channels and sequence numbers, never capabilities or
 * plaintexts.
 */

/** No channel of that name in the store. */
export class ChannelNotFoundError extends KatzenpostError {
  override readonly name = 'ChannelNotFoundError';
  constructor(readonly channel: string) {
    super('ERR_CHANNEL_NOT_FOUND', `no channel named ${JSON.stringify(channel)}`);
  }
}

/** A channel of that name already exists. */
export class ChannelExistsError extends KatzenpostError {
  override readonly name = 'ChannelExistsError';
  constructor(readonly channel: string) {
    super('ERR_CHANNEL_EXISTS', `a channel named ${JSON.stringify(channel)} already exists`);
  }
}

/** The channel was imported from a read capability: it cannot send. */
export class ReadOnlyChannelError extends KatzenpostError {
  override readonly name = 'ReadOnlyChannelError';
  constructor(readonly channel: string) {
    super('ERR_CHANNEL_READ_ONLY', `channel ${JSON.stringify(channel)} is read-only (imported from a read capability)`);
  }
}

/** A shared read-capability string could not be parsed. */
export class ReadCapabilityFormatError extends KatzenpostError {
  override readonly name = 'ReadCapabilityFormatError';
  constructor(reason: string) {
    super('ERR_READ_CAPABILITY_FORMAT', `not a read capability string: ${reason}`);
  }
}

/**
 * The store changed under us (another process or handle advanced the same
 * channel), or its contents break an invariant of the outbox chain. Nothing
 * was written by the failing transaction.
 */
export class StoreConflictError extends KatzenpostError {
  override readonly name = 'StoreConflictError';
  constructor(message: string) {
    super('ERR_STORE_CONFLICT', message);
  }
}

/** The store could not be opened, read or written (I/O, corrupt file, missing driver). */
export class ChannelStoreError extends KatzenpostError {
  override readonly name = 'ChannelStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CHANNEL_STORE', message, options);
  }
}

/**
 * The channel's next box already holds other content: this store is behind
 * the channel — restored from a backup, or the channel is also written
 * from another copy of the store. Nothing was sent: the entry stays queued
 * (retrying cannot help), so no message silently vanishes into a box that
 * was already taken.
 */
export class ChannelOutOfStepError extends KatzenpostError {
  override readonly name = 'ChannelOutOfStepError';
  constructor(
    readonly channel: string,
    readonly seq: number,
  ) {
    super(
      'ERR_CHANNEL_OUT_OF_STEP',
      `channel ${JSON.stringify(channel)}: its next box already holds other content, so this store is behind the channel ` +
        '(restored from a backup, or the channel is written from another copy of the store). Nothing was sent; ' +
        `outbox entry ${seq} stays queued. Use the store that wrote the channel last.`,
    );
  }
}

/**
 * The operation is durably queued in the outbox (sequence `seq`) but its
 * transmission failed (`cause`). It is not lost: `flush()`, `recover()` or
 * the next send retries it with the same ciphertext. Do not send the
 * message again — that would deliver it twice.
 */
export class OutboxDeliveryError extends KatzenpostError {
  override readonly name = 'OutboxDeliveryError';
  constructor(
    readonly channel: string,
    readonly seq: number,
    cause: unknown,
  ) {
    super('ERR_OUTBOX_DELIVERY', `channel ${JSON.stringify(channel)}: outbox entry ${seq} is queued but was not delivered yet (${describeCause(cause)})`, { cause });
  }
}

function describeCause(cause: unknown): string {
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

/** No contact of that name in the store. */
export class ContactNotFoundError extends KatzenpostError {
  override readonly name = 'ContactNotFoundError';
  constructor(readonly contact: string) {
    super('ERR_CONTACT_NOT_FOUND', `no contact or contact exchange named ${JSON.stringify(contact)}`);
  }
}

/** A contact, an exchange or one of the channels of that name already exists. */
export class ContactExistsError extends KatzenpostError {
  override readonly name = 'ContactExistsError';
  constructor(readonly contact: string) {
    super('ERR_CONTACT_EXISTS', `a contact, a contact exchange or a channel named ${JSON.stringify(contact)} already exists`);
  }
}
