import type { DaemonMessageOf } from '../../../src/wire/messages.js';
import { id16, type RawClient } from './raw-client.js';
import { hangDeadline } from '../../support/hang-deadline.js';

/**
 * Pigeonhole steps over a {@link RawClient}, each a request/reply pair with
 * a fresh query id. Replies are matched by query id, so several operations
 * may be in flight on one connection.
 */
export class Pigeonhole {
  private next = 1;

  constructor(
    readonly client: RawClient,
    private readonly base = 0x100000,
  ) {}

  qid(): Uint8Array {
    return id16(this.base + this.next++);
  }

  async keypair(seedByte: number): Promise<{ writeCap: Uint8Array; readCap: Uint8Array; index: Uint8Array }> {
    const queryId = this.qid();
    this.client.send({ type: 'new_keypair', queryId, seed: new Uint8Array(32).fill(seedByte) });
    const reply = await this.reply('new_keypair_reply', queryId);
    if (reply.errorCode !== 0) throw new Error(`new_keypair failed: ${reply.errorCode}`);
    return { writeCap: reply.writeCap!.exposeBytes(), readCap: reply.readCap!, index: reply.firstMessageIndex! };
  }

  async nextIndex(index: Uint8Array): Promise<Uint8Array> {
    const queryId = this.qid();
    this.client.send({ type: 'next_message_box_index', queryId, messageBoxIndex: index });
    return (await this.reply('next_message_box_index_reply', queryId)).nextMessageBoxIndex!;
  }

  async encryptWrite(writeCap: Uint8Array, index: Uint8Array, plaintext: Uint8Array): Promise<DaemonMessageOf<'encrypt_write_reply'>> {
    const queryId = this.qid();
    this.client.send({ type: 'encrypt_write', queryId, writeCap, messageBoxIndex: index, plaintext });
    const reply = await this.reply('encrypt_write_reply', queryId);
    if (reply.errorCode !== 0) throw new Error(`encrypt_write failed: ${reply.errorCode}`);
    return reply;
  }

  async encryptRead(readCap: Uint8Array, index: Uint8Array): Promise<DaemonMessageOf<'encrypt_read_reply'>> {
    const queryId = this.qid();
    this.client.send({ type: 'encrypt_read', queryId, readCap, messageBoxIndex: index });
    const reply = await this.reply('encrypt_read_reply', queryId);
    if (reply.errorCode !== 0) throw new Error(`encrypt_read failed: ${reply.errorCode}`);
    return reply;
  }

  /** Sends start_resending for a write; returns its query id (await the reply with {@link Pigeonhole.result}). */
  startWrite(writeCap: Uint8Array, encrypted: DaemonMessageOf<'encrypt_write_reply'>, flags: { noIdempotent?: boolean } = {}): Uint8Array {
    const queryId = this.qid();
    this.client.send({
      type: 'start_resending_encrypted_message',
      queryId,
      writeCap,
      envelopeDescriptor: encrypted.envelopeDescriptor,
      messageCiphertext: encrypted.messageCiphertext,
      envelopeHash: encrypted.envelopeHash,
      noIdempotentBoxAlreadyExists: flags.noIdempotent ?? false,
    });
    return queryId;
  }

  /** Sends start_resending for a read; `index` is what the daemon decrypts with. */
  startRead(
    readCap: Uint8Array,
    index: Uint8Array,
    encrypted: DaemonMessageOf<'encrypt_read_reply'>,
    flags: { noRetry?: boolean; descriptor?: Uint8Array } = {},
  ): Uint8Array {
    const queryId = this.qid();
    this.client.send({
      type: 'start_resending_encrypted_message',
      queryId,
      readCap,
      messageBoxIndex: index,
      envelopeDescriptor: flags.descriptor ?? encrypted.envelopeDescriptor,
      messageCiphertext: encrypted.messageCiphertext,
      envelopeHash: encrypted.envelopeHash,
      noRetryOnBoxIdNotFound: flags.noRetry ?? false,
    });
    return queryId;
  }

  /** The start_resending_encrypted_message_reply for `queryId`. */
  result(queryId: Uint8Array): Promise<DaemonMessageOf<'start_resending_encrypted_message_reply'>> {
    return this.reply('start_resending_encrypted_message_reply', queryId);
  }

  /** Encrypts and writes one box; resolves with the reply's error code. */
  async write(writeCap: Uint8Array, index: Uint8Array, plaintext: Uint8Array, flags: { noIdempotent?: boolean } = {}): Promise<number> {
    const encrypted = await this.encryptWrite(writeCap, index, plaintext);
    return (await this.result(this.startWrite(writeCap, encrypted, flags))).errorCode;
  }

  /** Encrypts and reads one box. */
  async read(readCap: Uint8Array, index: Uint8Array, flags: { noRetry?: boolean } = {}): Promise<DaemonMessageOf<'start_resending_encrypted_message_reply'>> {
    const encrypted = await this.encryptRead(readCap, index);
    return this.result(this.startRead(readCap, index, encrypted, flags));
  }

  /** The reply of kind `kind` with this query id (other frames stay available for other waits). */
  async reply<K extends 'new_keypair_reply' | 'next_message_box_index_reply' | 'encrypt_write_reply' | 'encrypt_read_reply' | 'start_resending_encrypted_message_reply' | 'start_resending_copy_command_reply' | 'cancel_resending_encrypted_message_reply' | 'cancel_resending_copy_command_reply' | 'create_courier_envelopes_from_payload_reply' | 'create_courier_envelopes_from_multi_payload_reply' | 'create_courier_envelopes_from_tombstone_range_reply'>(
    kind: K,
    queryId: Uint8Array,
  ): Promise<DaemonMessageOf<K>> {
    const deadline = hangDeadline();
    for (;;) {
      const found = this.client.frames.find(
        (f) => f.message.type === kind && 'queryId' in f.message && f.message.queryId !== null && sameBytes(f.message.queryId, queryId),
      );
      if (found !== undefined) return found.message as DaemonMessageOf<K>;
      if (this.client.isClosed) throw new Error(`connection closed while waiting for ${kind}`);
      if (deadline.expired()) throw new Error(`timed out waiting for ${kind}`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const decode = (b: Uint8Array | null): string => new TextDecoder().decode(b ?? new Uint8Array(0));
