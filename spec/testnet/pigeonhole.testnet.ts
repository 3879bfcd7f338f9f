/**
 * Pigeonhole on the real network: single boxes, the replica's error codes,
 * multi-box streams, following a channel, tombstones. Every operation costs
 * kpclientd seconds of CTIDH work (encrypt_write ~4 s, encrypt_read 5–8 s on
 * two cores), so payloads are a few boxes and timeouts tens of seconds.
 */
import { firstValueFrom, lastValueFrom, take, toArray } from 'rxjs';
import { BoxAlreadyExistsError, BoxIDNotFoundError, TombstoneError, bytesEqual, isExpectedOutcome } from 'katzenpost-rx';
import { check, sharedClient, concat, pattern, text, utf8 } from './support/testnet-env.js';

const env = sharedClient();
const newChannel = () => env.newChannel();

/** Reads a box, or says it is a tombstone. */
async function readOrTombstone(readCap: Uint8Array, index: Uint8Array): Promise<string> {
  try {
    return text(await firstValueFrom(env.client.read(readCap, index)));
  } catch (error) {
    if (error instanceof TombstoneError && isExpectedOutcome(error)) return '<tombstone>';
    throw error;
  }
}

describe('single boxes', () => {
  check('write then read one box', 90_000, async () => {
    const { writeCap, readCap, firstMessageIndex } = await newChannel();
    const next = await firstValueFrom(env.client.write(writeCap, firstMessageIndex, utf8('hello Bob')));
    expect(next).toEqual(await firstValueFrom(env.client.nextMessageBoxIndex(firstMessageIndex)));
    expect(text(await firstValueFrom(env.client.read(readCap, firstMessageIndex)))).toBe('hello Bob');
  });

  check('a no-retry read of a box nobody wrote fails with BoxIDNotFoundError', 60_000, async () => {
    const { readCap, firstMessageIndex } = await newChannel();
    const error = await firstValueFrom(env.client.read(readCap, firstMessageIndex, { noRetry: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BoxIDNotFoundError);
    expect(isExpectedOutcome(error)).toBe(true);
  });

  check('write with failIfBoxExists to a written box fails with BoxAlreadyExistsError', 90_000, async () => {
    const { writeCap, readCap, firstMessageIndex } = await newChannel();
    await firstValueFrom(env.client.write(writeCap, firstMessageIndex, utf8('first')));
    const error = await firstValueFrom(env.client.write(writeCap, firstMessageIndex, utf8('second'), { failIfBoxExists: true })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BoxAlreadyExistsError);
    expect(text(await firstValueFrom(env.client.read(readCap, firstMessageIndex)))).toBe('first');
  });
});

describe('streams', () => {
  check('writeStream then readStream$ of a 9-box payload', 240_000, async () => {
    const { writeCap, readCap, firstMessageIndex } = await newChannel();
    const boxSize = env.client.pigeonholeGeometry().maxPlaintextPayloadLength;
    const payload = pattern(8 * boxSize + boxSize / 2, 3);
    const progress = await lastValueFrom(env.client.writeStream$(writeCap, firstMessageIndex, payload).pipe(toArray()));
    const last = progress[progress.length - 1]!;
    expect(last.totalBoxes).toBe(9);
    expect(last.boxesDone).toBe(9);
    expect(progress.length).toBe(9);
    const chunks = await lastValueFrom(env.client.readStream$(readCap, firstMessageIndex).pipe(toArray()));
    expect(chunks.length).toBe(9);
    expect(bytesEqual(concat(chunks), payload)).toBe(true);
  });

  check('tail$ follows a channel while it is written', 240_000, async () => {
    const { writeCap, readCap, firstMessageIndex } = await newChannel();
    const received = firstValueFrom(env.client.tail$(readCap, firstMessageIndex, { initialDelayMs: 1000, maxDelayMs: 4000 }).pipe(take(3), toArray()));
    let index = firstMessageIndex;
    for (const message of ['one', 'two', 'three']) index = await firstValueFrom(env.client.write(writeCap, index, utf8(message)));
    const messages = await received;
    expect(messages.map((m) => text(m.plaintext))).toEqual(['one', 'two', 'three']);
    expect(messages.every((m) => !m.tombstone)).toBe(true);
    expect(messages[2]!.nextIndex).toEqual(index);
  });
});

describe('tombstones', () => {
  check('tombstoneRange envelopes sent like writes; reading the box then fails with TombstoneError', 180_000, async () => {
    const { writeCap, readCap, firstMessageIndex } = await newChannel();
    const second = await firstValueFrom(env.client.write(writeCap, firstMessageIndex, utf8('delete me')));
    await firstValueFrom(env.client.write(writeCap, second, utf8('keep me')));
    const range = await firstValueFrom(env.client.tombstoneRange(writeCap, firstMessageIndex, 1));
    expect(range.envelopes.length).toBe(1);
    expect(range.next).toEqual(second);
    const { boxIndex: _boxIndex, ...sealed } = range.envelopes[0]!;
    await firstValueFrom(env.client.startResendingEncryptedMessage({ writeCap, ...sealed }));
    expect(await readOrTombstone(readCap, firstMessageIndex)).toBe('<tombstone>');
    expect(await readOrTombstone(readCap, second)).toBe('keep me');
  });

  check('copyTombstones deletes a range atomically through the courier', 240_000, async () => {
    const { writeCap, readCap, firstMessageIndex } = await newChannel();
    const second = await firstValueFrom(env.client.write(writeCap, firstMessageIndex, utf8('a')));
    const third = await firstValueFrom(env.client.write(writeCap, second, utf8('b')));
    const after = await firstValueFrom(env.client.copyTombstones(writeCap, firstMessageIndex, 2));
    expect(after).toEqual(third);
    expect(await readOrTombstone(readCap, firstMessageIndex)).toBe('<tombstone>');
    expect(await readOrTombstone(readCap, second)).toBe('<tombstone>');
  });
});
