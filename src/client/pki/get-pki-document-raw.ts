import type { Observable } from 'rxjs';
import { thinClientErrorFor } from '../../errors/error-for-code.js';
import type { DirectoryAuthority } from '../../wire/messages.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkUint } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions } from '../validate-options.js';

/** The signed PKI document as the daemon fetched it (PROTOCOL.md §6.4). */
export interface RawPKIDocument {
  /** The canonical-CBOR `cert.Certificate`; decode with `decodeSignedPKIDocument`. */
  readonly payload: Uint8Array;
  /** The document's own epoch. */
  readonly epoch: bigint;
}

/** The implementation of {@link ThinClient.getPKIDocumentRaw}, where it is documented. */
export function getPKIDocumentRaw(ctx: ClientContext, epoch: number | bigint = 0, options?: RequestOptions): Observable<RawPKIDocument> {
  return withValidArguments(
    () => {
      checkRequestOptions(options);
      return checkUint('epoch', epoch);
    },
    (checked) =>
      ctx.requests.query({
        request: { type: 'get_pki_document', epoch: checked },
        replyType: 'get_pki_document_reply',
        options,
        result: (reply) => {
          if (reply.errorCode !== 0) throw thinClientErrorFor(reply.errorCode, { request: 'get_pki_document', detail: `epoch ${reply.epoch}` });
          return { payload: reply.payload ?? new Uint8Array(0), epoch: reply.epoch };
        },
      }),
  );
}

/** The implementation of {@link ThinClient.getDirectoryAuthorities}, where it is documented. */
export function getDirectoryAuthorities(ctx: ClientContext, options?: RequestOptions): Observable<DirectoryAuthority[]> {
  return withValidArguments(
    () => checkRequestOptions(options),
    () =>
      ctx.requests.query({
        request: { type: 'get_directory_authorities' },
        replyType: 'get_directory_authorities_reply',
        options,
        result: (reply) => {
          if (reply.errorCode !== 0) throw thinClientErrorFor(reply.errorCode, { request: 'get_directory_authorities' });
          return reply.authorities ?? [];
        },
      }),
  );
}
