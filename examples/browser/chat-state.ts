/**
 * The page's state and the pure folds that build it from the SDK's
 * streams: `state$` becomes a connection badge, `tail$` messages are
 * folded into the message list, and the outcomes of `write`s into a
 * little outbox. No DOM here, so the folds are easy to reason about.
 */
import type { ConnectionState, StreamMessage } from 'katzenpost-rx';

/** What the connection badge shows. */
export interface ConnectionView {
  /** The daemon socket: idle, connecting, handshaking, connected, reconnecting, closed. */
  readonly daemon: ConnectionState['daemon'];
  /** The daemon's own link to the mix network. */
  readonly mixnet: 'online' | 'offline';
  /** One line for people, e.g. "connected · mixnet online". */
  readonly label: string;
  /** Why the last connection attempt failed, while not connected. */
  readonly problem: string | null;
}

/**
 * The badge for a `ConnectionState` (one emission of `client.state$`).
 *
 * @example
 * client.state$.pipe(map(connectionView)).subscribe((view) => (badge.textContent = view.label));
 */
export function connectionView(state: ConnectionState): ConnectionView {
  const mixnet = state.mixnet ? 'online' : 'offline';
  const retry = state.daemon === 'reconnecting' ? ` (attempt ${state.reconnectAttempt})` : '';
  return {
    daemon: state.daemon,
    mixnet,
    label: `${state.daemon}${retry} · mixnet ${mixnet}`,
    problem: state.daemon === 'connected' ? null : (state.lastError?.message ?? null),
  };
}

/** One message of the channel, as listed. */
export interface ChatMessage {
  /** Position in the channel, from 1. */
  readonly seq: number;
  readonly text: string;
  /** The writer tombstoned (deleted) this box. */
  readonly deleted: boolean;
}

const decoder = new TextDecoder();

/**
 * The `scan` step for `tail$`: one box in, the longer list out.
 *
 * @example
 * client.tail$(readCap, index).pipe(scan(appendMessage, [] as readonly ChatMessage[]));
 */
export function appendMessage(list: readonly ChatMessage[], message: StreamMessage): readonly ChatMessage[] {
  return [...list, { seq: list.length + 1, text: message.tombstone ? '' : decoder.decode(message.plaintext), deleted: message.tombstone }];
}

/** What happened to a message typed into the form. */
export type OutboxEvent = { readonly type: 'queued' } | { readonly type: 'sent' } | { readonly type: 'failed'; readonly reason: string };

/** The writer's side: how many messages are on their way, how many made it. */
export interface Outbox {
  readonly sending: number;
  readonly sent: number;
  readonly lastError: string | null;
}

/** No message typed yet. */
export const emptyOutbox: Outbox = { sending: 0, sent: 0, lastError: null };

/**
 * The `scan` step for outbox events.
 *
 * @example
 * outboxEvents$.pipe(scan(foldOutbox, emptyOutbox));
 */
export function foldOutbox(outbox: Outbox, event: OutboxEvent): Outbox {
  switch (event.type) {
    case 'queued':
      return { ...outbox, sending: outbox.sending + 1 };
    case 'sent':
      return { sending: outbox.sending - 1, sent: outbox.sent + 1, lastError: null };
    case 'failed':
      return { ...outbox, sending: outbox.sending - 1, lastError: event.reason };
  }
}

/** Everything the page renders. */
export interface ChatView {
  readonly connection: ConnectionView;
  /** The channel exists (its keypair came back from the daemon): the form can send. */
  readonly ready: boolean;
  readonly outbox: Outbox;
  readonly messages: readonly ChatMessage[];
}
