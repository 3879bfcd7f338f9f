import { EMPTY, Observable, defer } from 'rxjs';
import { InvalidArgumentError, MessageSendError, OfflineError } from '../../errors/local-errors.js';
import type { ServiceDestination } from '../../pki/service-descriptor.js';
import { WireSizes } from '../../wire/constants.js';
import type { DaemonMessageOf } from '../../wire/messages.js';
import type { ClientContext } from '../client-context.js';
import { checkBytes, describeValue } from '../validate.js';
import { withValidArguments } from '../validate-arguments.js';

/** The `message_sent_event` for a send with a SURB. */
export type MessageSentEvent = DaemonMessageOf<'message_sent_event'>;

/**
 * Checks a legacy send's arguments when the method is called (PROTOCOL.md
 * §4.3, §9): the payload against `UserForwardPayloadLength` (once the
 * geometry is known), the destination's sizes.
 */
export function checkSendArguments(ctx: ClientContext, payload: unknown, destination: ServiceDestination): void {
  const max = ctx.state().sphinxGeometry?.userForwardPayloadLength;
  checkBytes('payload', payload, max === undefined ? {} : { max });
  if (destination === null || typeof destination !== 'object') {
    throw new InvalidArgumentError('destination', `expected a service destination (service.toDestination()), got ${describeValue(destination)}`);
  }
  checkBytes('destination.destinationIdHash', destination?.destinationIdHash, { length: WireSizes.hash });
  checkBytes('destination.recipientQueueId', destination?.recipientQueueId, { min: 1, max: WireSizes.maxQueueId });
}

/** The `send_message` request of a send with a SURB (the reply is correlated on `surbId`). */
export function surbSendRequest(surbId: Uint8Array, payload: Uint8Array, destination: ServiceDestination) {
  return {
    type: 'send_message',
    withSurb: true,
    surbId,
    destinationIdHash: destination.destinationIdHash,
    recipientQueueId: destination.recipientQueueId,
    payload,
  } as const;
}

/**
 * Refuses a send while the daemon is offline, as the reference clients do:
 * the daemon would queue it with no timeout. Checked on subscribe, when the
 * send actually happens.
 */
export function checkOnline(ctx: ClientContext, request: string): void {
  if (!ctx.state().mixnet) throw new OfflineError(request);
}

/** The implementation of {@link ThinClient.sendMessageWithoutReply}, where it is documented. */
export function sendMessageWithoutReply(ctx: ClientContext, payload: Uint8Array, destination: ServiceDestination): Observable<never> {
  return withValidArguments(
    () => checkSendArguments(ctx, payload, destination),
    () =>
      defer(() => {
        checkOnline(ctx, 'send_message');
        ctx.requests.sendUncorrelated({
          type: 'send_message',
          withSurb: false,
          destinationIdHash: destination.destinationIdHash,
          recipientQueueId: destination.recipientQueueId,
          payload,
        });
        return EMPTY;
      }),
  );
}

/** The implementation of {@link ThinClient.sendMessage}, where it is documented. */
export function sendMessage(ctx: ClientContext, surbId: Uint8Array, payload: Uint8Array, destination: ServiceDestination): Observable<MessageSentEvent> {
  return withValidArguments(
    () => {
      checkBytes('surbId', surbId, { length: WireSizes.surbId });
      checkSendArguments(ctx, payload, destination);
    },
    () => sendMessageWithSurbId(ctx, surbId, payload, destination),
  );
}

function sendMessageWithSurbId(ctx: ClientContext, surbId: Uint8Array, payload: Uint8Array, destination: ServiceDestination): Observable<MessageSentEvent> {
  return new Observable<MessageSentEvent>((subscriber) => {
    checkOnline(ctx, 'send_message');
    const handle = ctx.requests.track(surbSendRequest(surbId, payload, destination), {
      classify: (message) => (message.type === 'message_sent_event' ? 'final' : 'ignore'),
      next: (message) => {
        if (message.type !== 'message_sent_event') return;
        if (message.err) subscriber.error(new MessageSendError(message.err));
        else {
          subscriber.next(message);
          subscriber.complete();
        }
      },
      fail: (error) => subscriber.error(error),
    });
    return () => handle.abandon();
  });
}
