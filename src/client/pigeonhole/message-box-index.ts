import type { Observable } from 'rxjs';
import { WireSizes } from '../../wire/constants.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions } from '../validate-options.js';
import { checkErrorCode, present } from './reply-checks.js';

/** The implementation of {@link ThinClient.nextMessageBoxIndex}, where it is documented. */
export function nextMessageBoxIndex(ctx: ClientContext, messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<Uint8Array> {
  return withValidArguments(
    () => checkIndexAndOptions(messageBoxIndex, options),
    () =>
      ctx.requests.query({
        request: { type: 'next_message_box_index', messageBoxIndex },
        replyType: 'next_message_box_index_reply',
        options,
        result: (reply) => {
          checkErrorCode(reply);
          return present(reply.nextMessageBoxIndex, 'next_message_box_index', reply);
        },
      }),
  );
}

/** The implementation of {@link ThinClient.getMessageBoxIndexCounter}, where it is documented. */
export function getMessageBoxIndexCounter(ctx: ClientContext, messageBoxIndex: Uint8Array, options?: RequestOptions): Observable<bigint> {
  return withValidArguments(
    () => checkIndexAndOptions(messageBoxIndex, options),
    () =>
      ctx.requests.query({
        request: { type: 'get_message_box_index_counter', messageBoxIndex },
        replyType: 'get_message_box_index_counter_reply',
        options,
        result: (reply) => {
          checkErrorCode(reply);
          return reply.counter;
        },
      }),
  );
}

function checkIndexAndOptions(messageBoxIndex: unknown, options: RequestOptions | undefined): void {
  checkBytes('messageBoxIndex', messageBoxIndex, { length: WireSizes.messageBoxIndex });
  checkRequestOptions(options);
}
