/**
 * Follows a channel as it is written: `tail$` emits each box as it
 * appears (polling politely while there is nothing new), and `scan` folds
 * the messages into application state — here a little feed with a count
 * of deleted (tombstoned) posts and the read position to persist.
 *
 *   npx tsx examples/follow-channel.ts [--config thinclient.toml]
 */
import { concatMap, firstValueFrom, from, lastValueFrom, scan, takeWhile, tap } from 'rxjs';
import { toHex, type SecretInput, type StreamMessage, type ThinClient, type ThinClientConfig } from 'katzenpost-rx';
import { runIfMain, say, withClient } from './support/example-runtime.js';

/** What the follower knows. */
export interface Feed {
  readonly posts: string[];
  readonly deleted: number;
  /** Where to resume after a restart (hex of the next box index): persist it. */
  readonly position: string | null;
}

const emptyFeed: Feed = { posts: [], deleted: 0, position: null };

/** The fold: one message in, the next state out. */
function apply(feed: Feed, message: StreamMessage): Feed {
  const position = toHex(message.nextIndex);
  if (message.tombstone) return { ...feed, deleted: feed.deleted + 1, position };
  return { ...feed, posts: [...feed.posts, new TextDecoder().decode(message.plaintext)], position };
}

/** Alice posts, deletes one box, and signs off — while Bob is already following. */
async function alicePosts(client: ThinClient, writeCap: SecretInput, first: Uint8Array): Promise<void> {
  const encode = (text: string) => new TextEncoder().encode(text);
  let index = first;
  for (const post of ['hello', 'anyone here?']) index = await firstValueFrom(client.write(writeCap, index, encode(post)));
  // A tombstone in the next box: readers see "deleted" instead of waiting forever.
  const { envelopes, next } = await firstValueFrom(client.tombstoneRange(writeCap, index, 1));
  await lastValueFrom(from(envelopes).pipe(concatMap(({ boxIndex: _box, ...sealed }) => client.startResendingEncryptedMessage({ writeCap, ...sealed }))));
  await firstValueFrom(client.write(writeCap, next, encode('bye')));
}

/** Returns Bob's feed once Alice has said "bye". */
export async function main(config?: ThinClientConfig): Promise<Feed> {
  return withClient(config, async (client) => {
    const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));

    // Bob follows from the first box; he would restore `position` after a restart instead.
    const bob = lastValueFrom(
      client.tail$(readCap, firstMessageIndex, { initialDelayMs: 100, maxDelayMs: 2000 }).pipe(
        scan(apply, emptyFeed),
        tap((feed) => say(`Bob's feed: ${JSON.stringify(feed.posts)}, ${feed.deleted} deleted`)),
        takeWhile((feed) => feed.posts.at(-1) !== 'bye', true),
      ),
    );
    await alicePosts(client, writeCap, firstMessageIndex);
    return bob;
  });
}

runIfMain(import.meta.url, main);
