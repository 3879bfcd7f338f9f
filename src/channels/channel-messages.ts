import { concat, concatMap, defer, filter, from, type Observable } from 'rxjs';
import type { ThinClient } from '../client/thin-client.js';
import type { TailOptions } from '../client/streams/tail.js';
import { checkMessagesOptions } from './channel-arguments.js';
import type { ChannelJournal } from './channel-journal.js';
import type { ReceivedMessage } from './channel-types.js';

/** Options of `messages$`. */
export interface MessagesOptions extends Pick<TailOptions, 'initialDelayMs' | 'maxDelayMs'> {
  /**
   * First emit the stored messages not yet marked read (default true):
   * with `markRead` after handling each message, every message reaches the
   * application at least once even if the process dies between storing it
   * and handling it.
   */
  readonly replayUnread?: boolean;
}

/**
 * The received messages of channel `name`: the stored unread ones (unless
 * `replayUnread` is false), then each new box from the persisted read
 * index on (`tail$`), each stored with the read index advanced before it is
 * emitted (the journal's rule 4). Unsubscribing stops the polling; a box
 * read but not yet stored is read again next time.
 */
export function channelMessages$(client: ThinClient, journal: ChannelJournal, name: string, options?: MessagesOptions): Observable<ReceivedMessage> {
  return defer(() => {
    const { tail, replayUnread } = checkMessagesOptions(options);
    return journal.readStart$(name, replayUnread).pipe(
      concatMap(({ record, unread }) =>
        concat(
          from(unread),
          client.tail$(record.readCap, record.readIndex, tail).pipe(
            concatMap((message) => journal.storeReceived$(name, message)),
            filter((stored): stored is ReceivedMessage => stored !== null),
          ),
        ),
      ),
    );
  });
}
