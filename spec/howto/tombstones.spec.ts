/**
 * How-to: delete messages with tombstones, detect a tombstone when
 * reading, and tombstone a range atomically via a copy stream.
 */
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { TombstoneError, isExpectedOutcome, type SecretInput, type ThinClient } from 'katzenpost-rx';
import { seedOf, text, utf8, withSim } from './support/howto-env.js';

/** Writes `messages` from the channel's first index; returns the indices written and the next one. */
async function fill(client: ThinClient, writeCap: SecretInput, first: Uint8Array, messages: string[]): Promise<{ indices: Uint8Array[]; next: Uint8Array }> {
  const indices: Uint8Array[] = [];
  let index = first;
  for (const message of messages) {
    indices.push(index);
    index = await firstValueFrom(client.write(writeCap, index, utf8(message)));
  }
  return { indices, next: index };
}

/** The guide's read with a tombstone branch: the plaintext, or 'tombstone'. */
async function readOrTombstone(client: ThinClient, readCap: Uint8Array, index: Uint8Array): Promise<string> {
  try {
    return text(await firstValueFrom(client.read(readCap, index)));
  } catch (error) {
    // The box was deliberately deleted: expected, not a failure.
    if (error instanceof TombstoneError && isExpectedOutcome(error)) return 'tombstone';
    throw error;
  }
}

describe('how-to: delete messages with tombstones', () => {
  it('tombstoneRange prepares the envelopes; each is sent like a write; readers then get TombstoneError', () =>
    withSim('howto-tombstone', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('tombstone')));
      const { indices } = await fill(client, writeCap, firstMessageIndex, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);

      // Tombstone boxes 1..3 (maxCount = 3).
      const result = await firstValueFrom(client.tombstoneRange(writeCap, indices[1]!, 3));
      expect(result.envelopes.map((e) => e.boxIndex)).toEqual(indices.slice(1, 4));
      for (const envelope of result.envelopes) {
        const { boxIndex: _boxIndex, ...sealed } = envelope;
        await firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...sealed }));
      }
      expect(result.next).toEqual(indices[4]); // the index after the last tombstoned box

      const seen = [];
      for (const index of indices) seen.push(await readOrTombstone(client, readCap, index));
      expect(seen).toEqual(['m0', 'tombstone', 'tombstone', 'tombstone', 'm4', 'm5']);
    }));
});

describe('how-to: detect a tombstone when reading', () => {
  it('a read fails with TombstoneError (an expected outcome); tail$ emits it as tombstone: true and goes on', () =>
    withSim('howto-tombstone-detect', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('detect')));
      const { indices } = await fill(client, writeCap, firstMessageIndex, ['keep', 'delete me', 'keep too']);
      const { envelopes } = await firstValueFrom(client.tombstoneRange(writeCap, indices[1]!, 1));
      const { boxIndex: _boxIndex, ...sealed } = envelopes[0]!;
      await firstValueFrom(client.startResendingEncryptedMessage({ writeCap, ...sealed }));

      const error = await firstValueFrom(client.read(readCap, indices[1]!)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TombstoneError);
      expect(isExpectedOutcome(error)).toBe(true);

      const messages = await firstValueFrom(client.tail$(readCap, firstMessageIndex, { initialDelayMs: 5 }).pipe(take(3), toArray()));
      expect(messages.map((m) => [text(m.plaintext), m.tombstone])).toEqual([
        ['keep', false],
        ['', true],
        ['keep too', false],
      ]);
    }));
});

describe('how-to: tombstone a range via copy stream', () => {
  it('copyTombstones deletes a range atomically through a courier', () =>
    withSim('howto-copy-tombstones', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('copy-tombstones')));
      const { indices, next } = await fill(client, writeCap, firstMessageIndex, ['a', 'b', 'c', 'd']);
      const after = await firstValueFrom(client.copyTombstones(writeCap, firstMessageIndex, 3));
      expect(after).toEqual(indices[3]);
      const seen = [];
      for (const index of indices) seen.push(await readOrTombstone(client, readCap, index));
      expect(seen).toEqual(['tombstone', 'tombstone', 'tombstone', 'd']);
      expect(next).toEqual(await firstValueFrom(client.nextMessageBoxIndex(indices[3]!)));
    }));

  it('by hand: createCourierEnvelopesFromTombstoneRange → temporary channel → startResendingCopyCommand', () =>
    withSim('howto-copy-tombstones-by-hand', async ({ client }) => {
      const dest = await firstValueFrom(client.newKeypair(seedOf('dest')));
      const { indices } = await fill(client, dest.writeCap, dest.firstMessageIndex, ['x', 'y', 'z']);

      const temp = await firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));
      const stream = await firstValueFrom(client.createCourierEnvelopesFromTombstoneRange(dest.writeCap, dest.firstMessageIndex, 2, true, true));
      expect(stream.nextDestIndex).toEqual(indices[2]);
      let tempIndex = temp.firstMessageIndex;
      for (const element of stream.envelopes) {
        tempIndex = await firstValueFrom(client.write(temp.writeCap, tempIndex, element));
      }
      await lastValueFrom(client.startResendingCopyCommand(temp.writeCap), { defaultValue: undefined });

      const seen = [];
      for (const index of indices) seen.push(await readOrTombstone(client, dest.readCap, index));
      expect(seen).toEqual(['tombstone', 'tombstone', 'z']);
    }));
});
