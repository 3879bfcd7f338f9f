import type { DecodedRequest, OutgoingDaemonMessage, ResponseKind } from '../wire/messages.js';

/**
 * A reply of `type` to `request`, with the request's `query_id` filled in
 * (for scripted answers).
 *
 * @example
 * daemon.script('new_keypair', (request) => cold('50ms (r|)', { r: replyTo(request, 'new_keypair_reply', { errorCode: 3 }) }));
 */
export function replyTo<K extends ResponseKind>(
  request: DecodedRequest,
  type: K,
  fields: Omit<Extract<OutgoingDaemonMessage, { readonly type: K }>, 'type' | 'queryId'> = {} as never,
): OutgoingDaemonMessage {
  const queryId = 'queryId' in request ? request.queryId : null;
  return { type, queryId, ...fields } as unknown as OutgoingDaemonMessage;
}

/**
 * The outcome of a `start_resending_encrypted_message`: `plaintext` for a
 * successful read, an `errorCode` (e.g. 1 BoxIDNotFound, 11 Tombstone)
 * otherwise.
 *
 * @example
 * daemon.script('start_resending_encrypted_message', (request) => cold('1s (r|)', { r: startResendingReply(request, { plaintext }) }));
 */
export function startResendingReply(request: DecodedRequest, outcome: { plaintext?: Uint8Array; errorCode?: number }): OutgoingDaemonMessage {
  return replyTo(request, 'start_resending_encrypted_message_reply', {
    plaintext: outcome.plaintext ?? null,
    errorCode: outcome.errorCode ?? 0,
  });
}
