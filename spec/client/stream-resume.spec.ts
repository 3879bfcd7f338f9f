import { firstValueFrom, lastValueFrom, takeWhile, tap, toArray } from 'rxjs';
import { streamBoxCount, type StreamBox, type StreamReadPosition, type WriteStreamProgress } from 'katzenpost-rx';
import { concatBytes, pattern, seedOf, withSim } from '../howto/support/howto-env.js';

/**
 * Mid-stream resume in the SDK (issue 13, item 2): a `writeStream$` or a
 * `readStreamBoxes$` interrupted at a random box continues from the last
 * position it reported, not from the stream's first box, and the result is
 * byte for byte the payload.
 */
const WINDOW = 8;
const randomBox = (total: number): number => 1 + Math.floor(Math.random() * (total - 2));

describe('resuming an interrupted stream', () => {
  it('writeStream$ continues from its last resumeFrom: at most a window of boxes is written twice', () =>
    withSim('resume-write', async ({ client, sim }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('resume-write')));
      const payload = pattern(300_000, 3);
      const total = streamBoxCount(payload.length, client.pigeonholeGeometry().maxPlaintextPayloadLength);
      const stopAt = randomBox(total);

      // Interrupted once `stopAt` boxes are done: unsubscribing cancels the writes in flight.
      let last: WriteStreamProgress | undefined;
      await lastValueFrom(
        client.writeStream$(writeCap, firstMessageIndex, payload, { window: WINDOW }).pipe(
          tap((progress) => (last = progress)),
          takeWhile((progress) => progress.boxesDone < stopAt),
        ),
        { defaultValue: undefined },
      );
      const stored = sim.stats().boxes;
      expect({ stopAt, done: last!.boxesDone }).toEqual({ stopAt, done: stopAt });
      expect(last!.resumeFrom.box).toBeLessThanOrEqual(stopAt);
      expect(stopAt - last!.resumeFrom.box).toBeLessThan(WINDOW);

      // Resumed: only the boxes from resumeFrom on are written again.
      const resumed = await lastValueFrom(client.writeStream$(writeCap, firstMessageIndex, payload, { window: WINDOW, resumeFrom: last!.resumeFrom }).pipe(toArray()));
      expect(resumed.length).toBe(total - last!.resumeFrom.box);
      expect(resumed.at(-1)).toMatchObject({ boxesDone: total, totalBoxes: total, bytesDone: payload.length });
      expect(sim.stats().boxes).toBe(total);
      // Boxes stored when it stopped but written again on resume: the only waste.
      expect(stored - last!.resumeFrom.box).toBeLessThanOrEqual(WINDOW);

      const chunks = await lastValueFrom(client.readStream$(readCap, firstMessageIndex).pipe(toArray()));
      expect(Buffer.from(concatBytes(chunks)).equals(Buffer.from(payload))).toBe(true);
    }));

  it('readStreamBoxes$ continues from the last box handled, and the pieces join to the payload', () =>
    withSim('resume-read', async ({ client }) => {
      const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('resume-read')));
      const payload = pattern(300_000, 5);
      await lastValueFrom(client.writeStream$(writeCap, firstMessageIndex, payload, { window: WINDOW }));
      const total = streamBoxCount(payload.length, client.pigeonholeGeometry().maxPlaintextPayloadLength);
      const stopAt = randomBox(total);

      const before = await lastValueFrom(client.readStreamBoxes$(readCap, firstMessageIndex, { window: WINDOW }).pipe(takeWhile((b) => b.box < stopAt, true), toArray()));
      const position: StreamReadPosition = before.at(-1)!.resumeFrom;
      expect({ stopAt, box: position.box }).toEqual({ stopAt, box: stopAt + 1 });

      const after: StreamBox[] = await lastValueFrom(client.readStreamBoxes$(readCap, firstMessageIndex, { window: WINDOW, resumeFrom: position }).pipe(toArray()));
      expect(after.map((b) => b.box)).toEqual(Array.from({ length: total - stopAt - 1 }, (_, i) => stopAt + 1 + i));
      expect(Buffer.from(concatBytes([...before, ...after].map((b) => b.data))).equals(Buffer.from(payload))).toBe(true);

      // Resuming past the end emits nothing; beyond it is an error.
      expect(await lastValueFrom(client.readStreamBoxes$(readCap, firstMessageIndex, { resumeFrom: after.at(-1)!.resumeFrom }).pipe(toArray()))).toEqual([]);
      await expect(firstValueFrom(client.readStreamBoxes$(readCap, firstMessageIndex, { resumeFrom: { ...position, box: total + 1 } }))).rejects.toThrow(/cannot resume at box/);
    }));
});
