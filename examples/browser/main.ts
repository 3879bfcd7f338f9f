/**
 * A browser page on the SDK: it reaches the daemon's WebSocket listener,
 * shows the connection state live (`client.state$`), writes what you type
 * to a Pigeonhole channel (`client.write`) and lists the channel's messages
 * as they arrive (`client.tail$` folded into state with `scan`).
 *
 * Bundled by scripts/browser-bundle.ts (`npm run build:example`) and served
 * with the simulator by `npx tsx examples/browser/serve.ts`. The daemon's
 * address comes from the page's `?daemon=ws://…` parameter.
 */
import { ThinClient, type KeypairResult } from 'katzenpost-rx';
import {
  catchError,
  combineLatest,
  defer,
  filter,
  first,
  fromEvent,
  map,
  merge,
  mergeScan,
  of,
  retry,
  scan,
  share,
  shareReplay,
  startWith,
  switchMap,
  tap,
  timer,
  type Observable,
} from 'rxjs';
import { appendMessage, connectionView, emptyOutbox, foldOutbox, type ChatMessage, type ChatView, type Outbox, type OutboxEvent } from './chat-state.js';
import { findElements, render } from './render.js';

const daemon = new URLSearchParams(location.search).get('daemon') ?? 'ws://127.0.0.1:64332';
const client = new ThinClient({ dial: { ws: { address: daemon } } });
const elements = findElements(document);
const form = document.getElementById('compose') as HTMLFormElement;
const input = document.getElementById('message') as HTMLInputElement;
const encoder = new TextEncoder();

// The live badge: state$ replays the current state, then every change.
const connection$ = client.state$.pipe(map(connectionView));

// A fresh channel for this page, once the daemon is there.
const channel$: Observable<KeypairResult> = client.state$.pipe(
  first((state) => state.daemon === 'connected'),
  switchMap(() => client.newKeypair(crypto.getRandomValues(new Uint8Array(32)))),
  shareReplay(1),
);

// The channel's messages, as they arrive, folded into the list.
const messages$: Observable<readonly ChatMessage[]> = channel$.pipe(
  // Polls every 0.2 s at first, backing off to 2 s while the channel is quiet.
  switchMap(({ readCap, firstMessageIndex }) => client.tail$(readCap, firstMessageIndex, { initialDelayMs: 200, maxDelayMs: 2000 })),
  scan(appendMessage, [] as readonly ChatMessage[]),
  startWith([] as readonly ChatMessage[]),
);

// What is typed into the form; shared so that it is read once per submit.
const submitted$ = fromEvent<SubmitEvent>(form, 'submit').pipe(
  tap((event) => event.preventDefault()),
  map(() => input.value.trim()),
  tap(() => {
    input.value = '';
  }),
  filter((text) => text.length > 0),
  share(),
);

// Writes go out one at a time, each into the box after the last one
// written: mergeScan (concurrency 1) carries the writer's next index.
interface WriteStep {
  readonly index: Uint8Array;
  readonly outcome: OutboxEvent;
}
const outbox$: Observable<Outbox> = channel$.pipe(
  switchMap(({ writeCap, firstMessageIndex }) =>
    merge(
      submitted$.pipe(map((): OutboxEvent => ({ type: 'queued' }))),
      submitted$.pipe(
        mergeScan(
          (last: WriteStep, text: string) =>
            client.write(writeCap, last.index, encoder.encode(text)).pipe(
              map((next): WriteStep => ({ index: next, outcome: { type: 'sent' } })),
              // A failed write leaves the index where it was: the next message takes that box.
              catchError((error: unknown) => of<WriteStep>({ index: last.index, outcome: { type: 'failed', reason: messageOf(error) } })),
            ),
          { index: firstMessageIndex, outcome: { type: 'sent' } } as WriteStep,
          1,
        ),
        map((step) => step.outcome),
      ),
    ),
  ),
  scan(foldOutbox, emptyOutbox),
  startWith(emptyOutbox),
);

const ready$ = channel$.pipe(
  map(() => true),
  startWith(false),
);

const view$: Observable<ChatView> = combineLatest({ connection: connection$, ready: ready$, outbox: outbox$, messages: messages$ });

view$.subscribe({
  next: (view) => render(view, elements),
  error: (error: unknown) => {
    elements.problem.textContent = messageOf(error);
  },
});

// The first connection may fail (the daemon is not up yet): keep trying,
// the wait doubling to 30 s; the badge shows each attempt and its error.
// After the first handshake the client reconnects by itself.
defer(() => client.connect())
  .pipe(retry({ delay: (_error: unknown, attempt: number) => timer(Math.min(30_000, 500 * 2 ** attempt)) }))
  .subscribe();

// thin_close when the page goes away, so the daemon drops the session at once.
addEventListener('pagehide', () => void client.close());

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
