import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { concatBytes, pattern, seedOf, withSim } from '../howto/support/howto-env.js';

/**
 * Renamed methods keep their old names for one minor version (README,
 * "Conventions"), as working aliases marked `@deprecated`. This spec keeps
 * each alias honest until it is removed: it must do what the new name does.
 *
 * | old name (deprecated)   | new name                 | removed in |
 * |-------------------------|--------------------------|------------|
 * | `client.writeStream`    | `client.writeStream$`    | 0.3        |
 */
describe('deprecated aliases still work', () => {
  it('client.writeStream writes the same stream as writeStream$, with the same progress', () =>
    withSim('deprecated-write-stream', async ({ client }) => {
      const payload = pattern(40_000, 9);
      const viaAlias = await firstValueFrom(client.newKeypair(seedOf('alias')));
      const viaNewName = await firstValueFrom(client.newKeypair(seedOf('new-name')));

      const aliasProgress = await lastValueFrom(client.writeStream(viaAlias.writeCap, viaAlias.firstMessageIndex, payload, { window: 4 }).pipe(toArray()));
      const newProgress = await lastValueFrom(client.writeStream$(viaNewName.writeCap, viaNewName.firstMessageIndex, payload, { window: 4 }).pipe(toArray()));

      const shape = (progress: typeof aliasProgress) => progress.map((p) => ({ boxesDone: p.boxesDone, totalBoxes: p.totalBoxes }));
      expect(shape(aliasProgress)).toEqual(shape(newProgress));
      expect(aliasProgress.length).toBeGreaterThan(1);
      const readBack = await lastValueFrom(client.readStream$(viaAlias.readCap, viaAlias.firstMessageIndex).pipe(toArray()));
      expect(Buffer.from(concatBytes(readBack)).equals(Buffer.from(payload))).toBe(true);
    }));
});
