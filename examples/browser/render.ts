/**
 * Draws a {@link ChatView} into the page. Only `textContent`: messages
 * come from the network and are never parsed as HTML.
 */
import type { ChatView } from './chat-state.js';

/** The elements of index.html the page writes to. */
export interface ChatElements {
  readonly connection: HTMLElement;
  readonly problem: HTMLElement;
  readonly send: HTMLButtonElement;
  readonly outbox: HTMLElement;
  readonly messages: HTMLOListElement;
}

/**
 * Finds the page's elements by id.
 *
 * @example
 * const elements = findElements(document);
 */
export function findElements(document: Document): ChatElements {
  const byId = <T extends HTMLElement>(id: string): T => {
    const element = document.getElementById(id);
    if (!element) throw new Error(`index.html has no #${id}`);
    return element as T;
  };
  return {
    connection: byId('connection'),
    problem: byId('problem'),
    send: byId<HTMLButtonElement>('send'),
    outbox: byId('outbox'),
    messages: byId<HTMLOListElement>('messages'),
  };
}

/**
 * Renders the whole view (the page is small enough to redraw on every change).
 *
 * @example
 * view$.subscribe((view) => render(view, elements));
 */
export function render(view: ChatView, elements: ChatElements): void {
  const { connection, outbox } = view;
  elements.connection.textContent = connection.label;
  // Data attributes for styling (and for the end-to-end test to wait on).
  elements.connection.dataset['daemon'] = connection.daemon;
  elements.connection.dataset['mixnet'] = connection.mixnet;
  elements.problem.textContent = connection.problem ?? '';
  elements.send.disabled = !view.ready;
  elements.outbox.textContent = !view.ready
    ? 'creating a channel…'
    : `${outbox.sent} sent${outbox.sending > 0 ? `, ${outbox.sending} sending…` : ''}${outbox.lastError ? ` — last error: ${outbox.lastError}` : ''}`;

  const items = view.messages.map((message) => {
    const item = document.createElement('li');
    item.textContent = message.deleted ? '(deleted)' : message.text;
    item.dataset['seq'] = String(message.seq);
    return item;
  });
  elements.messages.replaceChildren(...items);
}
