/**
 * How-to: read back a multi-box payload, and send and receive a large
 * payload with the stream API (`writeStream$` / `readStream$`).
 *
 * The framing is the guide's: a 4-byte big-endian length, then the
 * payload, across consecutive boxes.
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ProtocolError, parseStreamHeader, streamBoxCount, type ThinClient } from 'katzenpost-rx';
import { concatBytes, framed, pattern, seedOf, withSim } from './support/howto-env.js';

/** The guide's hand loop: read box after box until the prefix plus that many bytes are in hand. */
async function readFramedByHand(client: ThinClient, readCap: Uint8Array, firstIndex: Uint8Array): Promise<{ payload: Uint8Array; boxes: number }> {
  let readIndex = firstIndex;
  let buffered: Uint8Array = new Uint8Array(0);
  let total: number | null = null;
  let boxes = 0;
  for (;;) {
    const query = await firstValueFrom(client.encryptRead(readCap, readIndex));
    const result = await firstValueFrom(client.startResendingEncryptedMessage({ readCap, messageBoxIndex: readIndex, ...query }));
    boxes++;
    buffered = concatBytes([buffered, result.plaintext!]);
    // Once the 4-byte prefix is in hand, the total length is known.
    if (total === null && buffered.length >= 4) total = new DataView(buffered.buffer).getUint32(0, false);
    if (total !== null && buffered.length >= total + 4) break;
    readIndex = query.nextMessageBoxIndex;
  }
  return { payload: buffered.subarray(4, 4 + total), boxes };
}

describe('how-to: read back a multi-box payload', () => {
  it('a writer lays a framed payload over boxes by hand; the reader steps through them by hand', () =>
    withSim('howto-multibox-hand', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('multibox')));
      const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength;
      const payload = pattern(4000);
      const stream = framed(payload);
      let index = firstMessageIndex;
      for (let at = 0; at < stream.length; at += boxSize) {
        index = await firstValueFrom(client.write(writeCap, index, stream.subarray(at, at + boxSize)));
      }
      const { payload: read, boxes } = await readFramedByHand(client, readCap, firstMessageIndex);
      expect(boxes).toBe(Math.ceil(stream.length / boxSize));
      expect(Buffer.from(read).equals(Buffer.from(payload))).toBe(true);
    }));

  it('readStream$ reads the same boxes with several reads in flight, and a writeStream$ payload reads back by hand', () =>
    withSim('howto-multibox-stream', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('multibox')));
      const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength;
      const payload = pattern(5000, 7);
      // Writer by hand.
      const stream = framed(payload);
      let index = firstMessageIndex;
      for (let at = 0; at < stream.length; at += boxSize) {
        index = await firstValueFrom(client.write(writeCap, index, stream.subarray(at, at + boxSize)));
      }
      // Reader with readStream$: the header is parsed for us, the chunks are the payload (no prefix).
      const chunks = await lastValueFrom(client.readStream$(readCap, firstMessageIndex, { window: 4 }).pipe(toArray()));
      expect(chunks.length).toBe(streamBoxCount(payload.length, boxSize));
      expect(Buffer.from(concatBytes(chunks)).equals(Buffer.from(payload))).toBe(true);

      // The other way round: writeStream$'s framing is the guide's, so the hand loop reads it.
      const second = await lastValueFrom(client.writeStream$(writeCap, index, payload));
      const byHand = await readFramedByHand(client, readCap, index);
      expect(Buffer.from(byHand.payload).equals(Buffer.from(payload))).toBe(true);
      expect(byHand.boxes).toBe(second.totalBoxes);
    }));

  it('the guide\'s "peek the first box" step: parseStreamHeader gives the length and the box count', () =>
    withSim('howto-multibox-peek', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('peek')));
      const payload = pattern(3500);
      await lastValueFrom(client.writeStream$(writeCap, firstMessageIndex, payload));
      const firstBox = await firstValueFrom(client.read(readCap, firstMessageIndex));
      const { length, data } = parseStreamHeader(firstBox);
      expect(length).toBe(payload.length);
      expect(data).toEqual(payload.subarray(0, data.length));
      expect(streamBoxCount(length, firstBox.length)).toBe(3);
    }));

  it('readStream$ fails with ProtocolError when a box is shorter than the framing says', () =>
    withSim('howto-multibox-short', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('short')));
      const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength;
      // Claims 3 boxes' worth but the second box is short.
      const stream = framed(pattern(boxSize * 2));
      const next = await firstValueFrom(client.write(writeCap, firstMessageIndex, stream.subarray(0, boxSize)));
      const third = await firstValueFrom(client.write(writeCap, next, stream.subarray(boxSize, boxSize + 10)));
      await firstValueFrom(client.write(writeCap, third, stream.subarray(2 * boxSize)));
      await expect(lastValueFrom(client.readStream$(readCap, firstMessageIndex))).rejects.toBeInstanceOf(ProtocolError);
    }));
});

describe('how-to: send and receive a large payload (stream API)', () => {
  it('writeStream$ reports progress box by box; readStream$ returns exactly the bytes written', () =>
    withSim('howto-stream-large', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('large')));
      const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength;
      const payload = pattern(100_000, 3);
      const progress = await lastValueFrom(client.writeStream$(writeCap, firstMessageIndex, payload, { window: 8 }).pipe(toArray()));
      const totalBoxes = streamBoxCount(payload.length, boxSize);
      expect(progress.map((p) => p.boxesDone)).toEqual(Array.from({ length: totalBoxes }, (_, i) => i + 1));
      expect(progress.every((p, i) => i === 0 || p.bytesDone > progress[i - 1]!.bytesDone)).toBe(true);
      const last = progress.at(-1)!;
      expect(last.bytesDone).toBe(payload.length);
      expect(last.totalBytes).toBe(payload.length);

      // nextIndex is where the writer continues: totalBoxes steps after the first index.
      const start = await firstValueFrom(client.getMessageBoxIndexCounter(firstMessageIndex));
      expect(await firstValueFrom(client.getMessageBoxIndexCounter(last.nextIndex!))).toBe(start + BigInt(totalBoxes));

      let received = 0;
      const chunks: Uint8Array[] = [];
      await new Promise<void>((resolve, reject) =>
        client.readStream$(readCap, firstMessageIndex, { window: 8 }).subscribe({
          next: (chunk) => {
            chunks.push(chunk);
            received += chunk.length; // progress on the read side
          },
          error: reject,
          complete: resolve,
        }),
      );
      expect(received).toBe(payload.length);
      expect(Buffer.from(concatBytes(chunks)).equals(Buffer.from(payload))).toBe(true);
    }));
});
