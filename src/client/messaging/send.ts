import { Observable, firstValueFrom, timer, type Subscription } from 'rxjs';
import { MessageSendError, RequestTimeoutError } from '../../errors/local-errors.js';
import type { ServiceDestination } from '../../pki/service-descriptor.js';
import type { ClientContext } from '../client-context.js';
import type { RequestOptions } from '../request-engine.js';
import { withValidArguments } from '../validate-arguments.js';
import { checkRequestOptions } from '../validate-options.js';
import { withTimeout } from '../with-timeout.js';
import { checkOnline, checkSendArguments, surbSendRequest } from './send-message.js';

/**
 * How long after `message_sent_event` a reply can still arrive: the daemon
 * keeps a SURB for `reply_eta + (2·hops + 3) · 500 ms` and then drops late
 * replies silently (DAEMON.md §6), so waiting longer would only hang.
 * `nrHops` counts every hop, so this is a little more generous than the
 * daemon's `(2·layers + 3)`; a further 5 s covers scheduling slack.
 */
export function replyDeadlineMs(replyEtaNs: number, nrHops: number): number {
  return Math.ceil(replyEtaNs / 1e6) + (2 * nrHops + 3) * 500 + 5000;
}

/** The implementation of {@link ThinClient.send}, where it is documented. */
export function send(ctx: ClientContext, payload: Uint8Array, destination: ServiceDestination, options: RequestOptions = {}): Observable<Uint8Array> {
  return withValidArguments(
    () => {
      checkSendArguments(ctx, payload, destination);
      return checkRequestOptions(options);
    },
    ({ timeoutMs }) => sendWithSurb(ctx, payload, destination).pipe(withTimeout('send_message', timeoutMs, ctx.scheduler)),
  );
}

function sendWithSurb(ctx: ClientContext, payload: Uint8Array, destination: ServiceDestination): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    checkOnline(ctx, 'send_message');
    const surbId = ctx.ids.newSURBID();
    let deadline: Subscription | null = null;
    const handle = ctx.requests.track(surbSendRequest(surbId, payload, destination), {
      classify: (message) => {
        if (message.type === 'message_sent_event') return message.err ? 'final' : 'progress';
        return message.type === 'message_reply_event' ? 'final' : 'ignore';
      },
      next: (message) => {
        if (message.type === 'message_reply_event') {
          subscriber.next(message.payload ?? new Uint8Array(0));
          subscriber.complete();
        } else if (message.type === 'message_sent_event') {
          if (message.err) {
            subscriber.error(new MessageSendError(message.err));
            return;
          }
          if (deadline) return;
          const hops = ctx.state().sphinxGeometry?.nrHops ?? 5;
          const ms = replyDeadlineMs(message.replyEta, hops);
          deadline = timer(ms, ctx.scheduler).subscribe(() =>
            subscriber.error(new RequestTimeoutError('send_message (the daemon has dropped the SURB)', ms)),
          );
        }
      },
      fail: (error) => subscriber.error(error),
    });
    return () => {
      deadline?.unsubscribe();
      handle.abandon();
    };
  });
}

/** The implementation of {@link ThinClient.blockingSendMessage}, where it is documented. */
export async function blockingSendMessage(
  ctx: ClientContext,
  payload: Uint8Array,
  destination: ServiceDestination,
  options: RequestOptions = {},
): Promise<Uint8Array> {
  // async: a bad argument rejects the Promise rather than throwing.
  return firstValueFrom(send(ctx, payload, destination, { ...checkRequestOptions(options), timeoutMs: options.timeoutMs ?? 30_000 }));
}
