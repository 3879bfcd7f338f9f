/**
 * How-to: wait for a message that has not been written yet.
 * BoxIDNotFound is the expected answer to "anything here yet?":
 * poll with no-retry reads and `isExpectedOutcome`, or let `tail$` do it.
 */
import { firstValueFrom, take, toArray, timer } from 'rxjs';
import { BoxIDNotFoundError, InvalidArgumentError, isExpectedOutcome, type ThinClient } from 'katzenpost-rx';
import { first, isPending, seedOf, text, utf8, withSim } from './support/howto-env.js';
import { hangDeadline } from '../support/hang-deadline.js';

/** Resolves when the daemon has answered some read of ours with BoxIDNotFound: the reader is now waiting. */
function sawNotFound(client: ThinClient): Promise<unknown> {
  return first(client.events$, (e) => e.type === 'start_resending_encrypted_message_reply' && e.errorCode === BoxIDNotFoundError.code);
}

describe('how-to: wait for a message not yet written', () => {
  it('a bounded no-retry polling loop treats BoxIDNotFound as "not yet" via isExpectedOutcome', () =>
    withSim('howto-wait-poll', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('poll')));
      const notYetAnswers: unknown[] = [];
      // The writer writes only after the reader has been told "not yet" twice.
      let writer: Promise<unknown> | null = null;

      const deadline = hangDeadline();
      let plaintext: Uint8Array | null = null;
      while (plaintext === null) {
        const query = await firstValueFrom(client.encryptRead(readCap, firstMessageIndex));
        try {
          const result = await firstValueFrom(
            client.startResendingEncryptedMessageNoRetry({ readCap, messageBoxIndex: firstMessageIndex, ...query }),
          );
          plaintext = result.plaintext;
        } catch (error) {
          // "Not written yet" is expected; anything else is a real failure.
          if (!isExpectedOutcome(error)) throw error;
          notYetAnswers.push(error);
          if (deadline.expired()) throw error;
          if (notYetAnswers.length === 2) writer = firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('finally')));
          // real-time: the guide's pause between polls (seconds in production); the loop ends on the message
          await firstValueFrom(timer(5));
        }
      }
      await writer;
      expect(text(plaintext!)).toBe('finally');
      expect(notYetAnswers.length).toBeGreaterThanOrEqual(2);
      expect(notYetAnswers.every((e) => e instanceof BoxIDNotFoundError)).toBe(true);
      // Real errors are not expected outcomes.
      expect(isExpectedOutcome(new InvalidArgumentError('readCap', 'wrong length'))).toBe(false);
    }));

  it('tail$ follows a channel: it waits for boxes not yet written and emits them in order', () =>
    withSim('howto-wait-tail', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('tail')));
      const followed = firstValueFrom(
        client.tail$(readCap, firstMessageIndex, { initialDelayMs: 5, maxDelayMs: 20 }).pipe(take(3), toArray()),
      );
      // Only once the follower has seen "not yet" does the writer start.
      await sawNotFound(client);
      let index = firstMessageIndex;
      for (const message of ['a', 'b', 'c']) index = await firstValueFrom(client.write(writeCap, index, utf8(message)));
      const messages = await followed;
      expect(messages.map((m) => text(m.plaintext))).toEqual(['a', 'b', 'c']);
      expect(messages.map((m) => m.tombstone)).toEqual([false, false, false]);
      // Each message says where to continue: persist nextIndex once handled.
      expect(messages[2]!.nextIndex).toEqual(index);
      expect(messages[1]!.index).toEqual(messages[0]!.nextIndex);
    }));

  it('the ordinary (retrying) read waits at the daemon until the box is written', () =>
    withSim('howto-wait-retrying-read', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('gate')));
      const reading = firstValueFrom(client.read(readCap, firstMessageIndex, { timeoutMs: 10_000 }));
      // A no-retry peek sent after it finds the box empty, and the first read is still waiting:
      // the daemon's ARQ retries BoxIDNotFound on its own; nothing reaches us until the data does.
      await expect(firstValueFrom(client.read(readCap, firstMessageIndex, { noRetry: true }))).rejects.toBeInstanceOf(BoxIDNotFoundError);
      expect(await isPending(reading)).toBe(true);
      await firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('gated')));
      expect(text(await reading)).toBe('gated');
    }));
});
