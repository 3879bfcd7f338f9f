import type { Observable } from 'rxjs';
import { redacted } from '../../wire/redacted.js';
import type { DaemonMessageOf } from '../../wire/messages.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkIndex, checkPlaintext, checkReadCap, checkWriteCap } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions } from '../validate-options.js';
import type { EncryptResult } from './pigeonhole-types.js';
import { checkErrorCode, present } from './reply-checks.js';
import type { SecretInput } from '../../wire/secret-bytes.js';

function toEncryptResult(reply: DaemonMessageOf<'encrypt_read_reply'> | DaemonMessageOf<'encrypt_write_reply'>): EncryptResult {
  checkErrorCode(reply);
  return redacted({
    messageCiphertext: present(reply.messageCiphertext, 'message_ciphertext', reply),
    envelopeDescriptor: present(reply.envelopeDescriptor, 'envelope_descriptor', reply),
    envelopeHash: present(reply.envelopeHash, 'envelope_hash', reply),
    nextMessageBoxIndex: present(reply.nextMessageBoxIndex, 'next_message_box_index', reply),
  });
}

/** The implementation of {@link ThinClient.encryptRead}, where it is documented. */
export function encryptRead(ctx: ClientContext, readCap: Uint8Array, messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<EncryptResult> {
  return withValidArguments(
    () => {
      checkReadCap('readCap', readCap);
      checkIndex('messageBoxIndex', messageBoxIndex);
      checkRequestOptions(options);
    },
    () =>
      ctx.encryptions.query({
        request: { type: 'encrypt_read', readCap, messageBoxIndex },
        replyType: 'encrypt_read_reply',
        options,
        result: toEncryptResult,
      }),
  );
}

/** The implementation of {@link ThinClient.encryptWrite}, where it is documented. */
export function encryptWrite(
  ctx: ClientContext,
  plaintext: Uint8Array,
  writeCap: SecretInput,
  messageBoxIndex: Uint8Array,
  options?: RequestOptions,
): Observable<EncryptResult> {
  return withValidArguments(
    () => {
      checkPlaintext(ctx, 'plaintext', plaintext);
      checkWriteCap('writeCap', writeCap);
      checkIndex('messageBoxIndex', messageBoxIndex);
      checkRequestOptions(options);
    },
    () =>
      ctx.encryptions.query({
        request: { type: 'encrypt_write', plaintext, writeCap, messageBoxIndex },
        replyType: 'encrypt_write_reply',
        options,
        result: toEncryptResult,
      }),
  );
}
