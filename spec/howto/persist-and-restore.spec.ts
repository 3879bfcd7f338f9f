/**
 * How-to: persist and restore channel state. The caps and the index are
 * plain bytes: store them (here as hex JSON), and a new client object —
 * a new process, a new daemon session — continues where the old one stopped.
 */
import { firstValueFrom, take, toArray } from 'rxjs';
import { BoxAlreadyExistsError, ThinClient, fromHex, isExpectedOutcome, toHex } from 'katzenpost-rx';
import { connectClient, seedOf, startHowtoSim, text, utf8 } from './support/howto-env.js';

interface SavedChannel {
  readonly writeCap: string;
  readonly readCap: string;
  readonly index: string;
}

const save = (writeCap: Uint8Array, readCap: Uint8Array, index: Uint8Array): string =>
  JSON.stringify({ writeCap: toHex(writeCap), readCap: toHex(readCap), index: toHex(index) } satisfies SavedChannel);

function load(json: string): { writeCap: Uint8Array; readCap: Uint8Array; index: Uint8Array } {
  const saved = JSON.parse(json) as SavedChannel;
  return { writeCap: fromHex(saved.writeCap), readCap: fromHex(saved.readCap), index: fromHex(saved.index) };
}

describe('how-to: persist and restore channel state', () => {
  it('a new client object restored from saved bytes continues at the right index', async () => {
    const sim = await startHowtoSim('howto-persist');
    try {
      // First run: create, write twice, persisting the index after each write.
      const before = await connectClient(sim);
      const channel = await firstValueFrom(before.newKeypair(seedOf('persist')));
      let index = channel.firstMessageIndex;
      let disk = save(channel.writeCap.exposeBytes(), channel.readCap, index);
      for (const message of ['first', 'second']) {
        index = await firstValueFrom(before.write(channel.writeCap, index, utf8(message)));
        disk = save(channel.writeCap.exposeBytes(), channel.readCap, index); // persist before treating the write as done
      }
      await before.close();

      // Second run: a brand-new client (new session), state from "disk" only.
      const after = await connectClient(sim);
      try {
        expect(after.clientInstanceToken).not.toEqual(before.clientInstanceToken);
        const restored = load(disk);
        const next = await firstValueFrom(after.write(restored.writeCap, restored.index, utf8('third')));
        expect(await firstValueFrom(after.getMessageBoxIndexCounter(next))).toBe(
          (await firstValueFrom(after.getMessageBoxIndexCounter(channel.firstMessageIndex))) + 3n,
        );

        // A reader from the first index sees all three in order, nothing overwritten.
        const read = await firstValueFrom(after.tail$(restored.readCap, channel.firstMessageIndex, { initialDelayMs: 5 }).pipe(take(3), toArray()));
        expect(read.map((m) => text(m.plaintext))).toEqual(['first', 'second', 'third']);
      } finally {
        await after.close();
      }
    } finally {
      await sim.close();
    }
  });

  it('re-using a filled index: ReturnBoxExists fails with BoxAlreadyExists; the default write "succeeds" but changes nothing', async () => {
    const sim = await startHowtoSim('howto-persist-box-exists');
    const client = await ThinClient.connect(sim.config);
    try {
      const channel = await firstValueFrom(client.newKeypair(seedOf('lost-index')));
      await firstValueFrom(client.write(channel.writeCap, channel.firstMessageIndex, utf8('original')));

      // A writer that lost its index starts again at the first one, with other content.
      const sealed = await firstValueFrom(client.encryptWrite(utf8('clobber'), channel.writeCap, channel.firstMessageIndex));
      const error = await firstValueFrom(client.startResendingEncryptedMessageReturnBoxExists({ writeCap: channel.writeCap, ...sealed })).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(BoxAlreadyExistsError);
      expect(isExpectedOutcome(error)).toBe(true);
      // The same through write().
      await expect(
        firstValueFrom(client.write(channel.writeCap, channel.firstMessageIndex, utf8('clobber'), { failIfBoxExists: true })),
      ).rejects.toBeInstanceOf(BoxAlreadyExistsError);

      // The default, idempotent write reports success…
      await firstValueFrom(client.write(channel.writeCap, channel.firstMessageIndex, utf8('clobber')));
      // …but the box still holds the original: that is why the index must be persisted.
      expect(text(await firstValueFrom(client.read(channel.readCap, channel.firstMessageIndex)))).toBe('original');
    } finally {
      await client.close();
      await sim.close();
    }
  });
});
