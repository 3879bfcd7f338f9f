import type { Observable } from 'rxjs';
import { WireSizes } from '../../wire/constants.js';
import { redacted } from '../../wire/redacted.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkSecret } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions } from '../validate-options.js';
import type { KeypairResult } from './pigeonhole-types.js';
import { checkErrorCode, present } from './reply-checks.js';
import type { SecretInput } from '../../wire/secret-bytes.js';

/** The implementation of {@link ThinClient.newKeypair}, where it is documented. */
export function newKeypair(ctx: ClientContext, seed: SecretInput, options?: RequestOptions): Observable<KeypairResult> {
  return withValidArguments(
    () => {
      checkSecret('seed', seed, { length: WireSizes.seed });
      checkRequestOptions(options);
    },
    () =>
      ctx.requests.query({
        request: { type: 'new_keypair', seed },
        replyType: 'new_keypair_reply',
        options,
        result: (reply) => {
          checkErrorCode(reply);
          return redacted({
            writeCap: present(reply.writeCap, 'write_cap', reply),
            readCap: present(reply.readCap, 'read_cap', reply),
            firstMessageIndex: present(reply.firstMessageIndex, 'first_message_index', reply),
          });
        },
      }),
  );
}
