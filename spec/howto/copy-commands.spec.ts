/**
 * How-to: send to one channel atomically, send to multiple channels
 * atomically, and multi-call buffer passing — with `copySend` and with
 * the primitives by hand, as the guide does.
 *
 * On the copy path each destination box holds MaxPlaintextPayloadLength − 4
 * bytes of the payload; payloads framed with the guide's 4-byte length read
 * back with `readStream$` (it takes the box size from the first box).
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { BoxIDNotFoundError, DaemonInternalError, bytesEqual, fromHex, toHex, type CourierDestination, type SecretInput, type ThinClient } from 'katzenpost-rx';
import { concatBytes, framed, pattern, seedOf, withSim } from './support/howto-env.js';

/** Reads a framed payload back whole. */
async function readAll(client: ThinClient, readCap: Uint8Array, index: Uint8Array): Promise<Uint8Array> {
  return concatBytes(await lastValueFrom(client.readStream$(readCap, index).pipe(toArray())));
}

/** Writes copy-stream elements in order, one per box, from the temporary channel's first index. */
async function writeElements(client: ThinClient, temp: { writeCap: SecretInput; firstMessageIndex: Uint8Array }, elements: Uint8Array[], from = temp.firstMessageIndex): Promise<Uint8Array> {
  let tempIndex = from;
  for (const element of elements) {
    const sealed = await firstValueFrom(client.encryptWrite(element, temp.writeCap, tempIndex));
    await firstValueFrom(client.startResendingEncryptedMessage({ writeCap: temp.writeCap, ...sealed }));
    tempIndex = sealed.nextMessageBoxIndex;
  }
  return tempIndex;
}

const randomSeed = (): Uint8Array => crypto.getRandomValues(new Uint8Array(32));

describe('how-to: send to one channel atomically', () => {
  it('copySend with one destination', () =>
    withSim('howto-copy-one', async ({ client }) => {
      const dest = await firstValueFrom(client.newKeypair(seedOf('dest')));
      const payload = pattern(6000);
      const [next] = await firstValueFrom(client.copySend([{ writeCap: dest.writeCap, index: dest.firstMessageIndex, payload: framed(payload) }]));
      const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength - 4;
      const boxes = Math.ceil((payload.length + 4) / boxSize);
      const start = await firstValueFrom(client.getMessageBoxIndexCounter(dest.firstMessageIndex));
      expect(await firstValueFrom(client.getMessageBoxIndexCounter(next!))).toBe(start + BigInt(boxes));
      expect(bytesEqual(await readAll(client, dest.readCap, dest.firstMessageIndex), payload)).toBe(true);
    }));

  it('by hand: createCourierEnvelopesFromPayload → write the elements to a temporary channel → startResendingCopyCommand', () =>
    withSim('howto-copy-one-by-hand', async ({ client }) => {
      // 1. A destination channel and a temporary channel.
      const dest = await firstValueFrom(client.newKeypair(seedOf('dest')));
      const temp = await firstValueFrom(client.newKeypair(randomSeed()));
      // 2. Pack the payload into copy-stream elements.
      const payload = pattern(4000, 9);
      const packed = await firstValueFrom(client.createCourierEnvelopesFromPayload(framed(payload), dest.writeCap, dest.firstMessageIndex, true, true));
      expect(packed.envelopes.length).toBeGreaterThan(1);
      // 3. Write each element to the temporary channel, in order.
      await writeElements(client, temp, packed.envelopes);
      // Nothing is in the destination yet.
      await expect(firstValueFrom(client.read(dest.readCap, dest.firstMessageIndex, { noRetry: true }))).rejects.toBeInstanceOf(BoxIDNotFoundError);
      // 4. The copy command: a courier replays the stream into the destination.
      await firstValueFrom(client.startResendingCopyCommand(temp.writeCap));
      expect(bytesEqual(await readAll(client, dest.readCap, dest.firstMessageIndex), payload)).toBe(true);
    }));
});

describe('how-to: send to multiple channels atomically', () => {
  it('copySend with several destinations emits each next index', () =>
    withSim('howto-copy-many', async ({ client }) => {
      const alice = await firstValueFrom(client.newKeypair(seedOf('alice')));
      const bob = await firstValueFrom(client.newKeypair(seedOf('bob')));
      const toAlice = pattern(3000, 1);
      const toBob = pattern(200, 2);
      const nexts = await firstValueFrom(
        client.copySend([
          { writeCap: alice.writeCap, index: alice.firstMessageIndex, payload: framed(toAlice) },
          { writeCap: bob.writeCap, index: bob.firstMessageIndex, payload: framed(toBob) },
        ]),
      );
      expect(nexts.length).toBe(2);
      expect(bytesEqual(await readAll(client, alice.readCap, alice.firstMessageIndex), toAlice)).toBe(true);
      expect(bytesEqual(await readAll(client, bob.readCap, bob.firstMessageIndex), toBob)).toBe(true);
      expect(nexts[1]).toEqual(await firstValueFrom(client.nextMessageBoxIndex(bob.firstMessageIndex)));
    }));

  it('by hand with createCourierEnvelopesFromMultiPayload, pinned to couriers on distinct nodes', () =>
    withSim('howto-copy-many-pinned', async ({ client }) => {
      const [outer, inner] = client.getDistinctCouriers(2);
      // A pin is the courier's destination pair, renamed.
      const pin = (courier: typeof outer): CourierDestination => {
        const d = courier!.toDestination();
        return { courierIdentityHash: d.destinationIdHash, courierQueueId: d.recipientQueueId };
      };
      expect(pin(outer)).toEqual(outer!.toCourierDestination());

      const dest1 = await firstValueFrom(client.newKeypair(seedOf('dest1')));
      const dest2 = await firstValueFrom(client.newKeypair(seedOf('dest2')));
      const payload1 = pattern(2500, 4);
      const payload2 = pattern(700, 5);

      // One copy stream for both destinations, through the first courier.
      const temp = await firstValueFrom(client.newKeypair(randomSeed()));
      const packed = await firstValueFrom(
        client.createCourierEnvelopesFromMultiPayload(
          [
            { payload: framed(payload1), writeCap: dest1.writeCap, startIndex: dest1.firstMessageIndex },
            { payload: framed(payload2), writeCap: dest2.writeCap, startIndex: dest2.firstMessageIndex },
          ],
          true,
          true,
          null,
        ),
      );
      expect(packed.nextDestIndices?.length).toBe(2);
      await writeElements(client, temp, packed.envelopes);
      await firstValueFrom(client.startResendingCopyCommand(temp.writeCap, pin(outer)));
      expect(bytesEqual(await readAll(client, dest1.readCap, dest1.firstMessageIndex), payload1)).toBe(true);
      expect(bytesEqual(await readAll(client, dest2.readCap, dest2.firstMessageIndex), payload2)).toBe(true);

      // copySend takes the pin too: a follow-up for dest2 through the other courier.
      const more = pattern(100, 6);
      const [after] = await firstValueFrom(
        client.copySend([{ writeCap: dest2.writeCap, index: packed.nextDestIndices![1]!, payload: framed(more) }], { courier: pin(inner) }),
      );
      expect(bytesEqual(await readAll(client, dest2.readCap, packed.nextDestIndices![1]!), more)).toBe(true);
      expect(after).toBeDefined();

      // The pin is honoured, not a hint: an unknown courier fails the command (code 4).
      const stray = { courierIdentityHash: new Uint8Array(32).fill(7), courierQueueId: pin(inner).courierQueueId };
      const dest3 = await firstValueFrom(client.newKeypair(seedOf('dest3')));
      await expect(
        firstValueFrom(client.copySend([{ writeCap: dest3.writeCap, index: dest3.firstMessageIndex, payload: framed(more) }], { courier: stray })),
      ).rejects.toBeInstanceOf(DaemonInternalError);
    }));
});

describe('how-to: multi-call buffer passing', () => {
  it('builds one copy stream over several createCourierEnvelopesFromMultiPayload calls, the buffer persisted between them', () =>
    withSim('howto-copy-buffer', async ({ client }) => {
      const dest = await firstValueFrom(client.newKeypair(seedOf('dest')));
      const temp = await firstValueFrom(client.newKeypair(randomSeed()));
      const boxSize = client.pigeonholeGeometry().maxPlaintextPayloadLength - 4;
      const payload = pattern(3 * boxSize + 500, 8);
      const stream = framed(payload);
      // Cut at box boundaries so the destination stays contiguous across calls.
      const pieces = [stream.subarray(0, 2 * boxSize), stream.subarray(2 * boxSize, 3 * boxSize), stream.subarray(3 * boxSize)];

      let saved: { buffer: string | null; destIndex: string; tempIndex: string } = {
        buffer: null,
        destIndex: toHex(dest.firstMessageIndex),
        tempIndex: toHex(temp.firstMessageIndex),
      };
      const buffersSeen: (Uint8Array | null)[] = [];
      for (const [i, piece] of pieces.entries()) {
        // After a crash, reload the state and carry on with isStart = false.
        const buffer = saved.buffer === null ? null : fromHex(saved.buffer);
        const result = await firstValueFrom(
          client.createCourierEnvelopesFromMultiPayload(
            [{ payload: piece, writeCap: dest.writeCap, startIndex: fromHex(saved.destIndex) }],
            i === 0,
            i === pieces.length - 1,
            buffer,
          ),
        );
        buffersSeen.push(result.buffer);
        const tempIndex = await writeElements(client, temp, result.envelopes, fromHex(saved.tempIndex));
        saved = {
          buffer: result.buffer === null ? null : toHex(result.buffer),
          destIndex: toHex(result.nextDestIndices![0]!),
          tempIndex: toHex(tempIndex),
        };
      }
      // Residual bytes were carried between calls; the last call flushed them.
      expect(buffersSeen.slice(0, -1).some((b) => b !== null && b.length > 0)).toBe(true);
      expect(buffersSeen.at(-1) ?? new Uint8Array(0)).toHaveLength(0);

      await firstValueFrom(client.startResendingCopyCommand(temp.writeCap));
      expect(bytesEqual(await readAll(client, dest.readCap, dest.firstMessageIndex), payload)).toBe(true);
    }));
});
