import type { Observable } from 'rxjs';
import { WireSizes } from '../../wire/constants.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { checkBytes } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions } from '../validate-options.js';
import { checkErrorCode, present } from './reply-checks.js';

/**
 * The index after `messageBoxIndex` (BACAP NextIndex: counter + 1, keys
 * advanced). A pure function of the index; local.
 *
 * @example
 * const second = await firstValueFrom(client.nextMessageBoxIndex(firstMessageIndex));
 */
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

/**
 * The BACAP counter (Idx64) of an index, as a `bigint` — it starts at a
 * random 64-bit value, so it routinely exceeds 2^53. Local.
 *
 * @example
 * const counter = await firstValueFrom(client.getMessageBoxIndexCounter(index)); // e.g. 14725812370184459871n
 */
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
