/**
 * Atomic writes through the courier on the real network: `copySend` to one
 * and to two channels, with and without a pinned courier (this network has
 * one), and a copy onto a box that already holds something.
 *
 * A copy writes every element to a temporary channel first (one
 * encrypt_write each, ~4 s of daemon CPU), then the courier replays them
 * while the daemon polls it every 5 s: payloads are one or two boxes.
 */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { CopyCommandFailedError, bytesEqual } from 'katzenpost-rx';
import { check, sharedClient, concat, framed, pattern, text, utf8 } from './support/testnet-env.js';

const env = sharedClient();
const newChannel = () => env.newChannel();

/** Reads a framed payload back whole (`readStream$` takes the box size from the first box). */
async function readAll(readCap: Uint8Array, index: Uint8Array): Promise<Uint8Array> {
  return concat(await lastValueFrom(env.client.readStream$(readCap, index).pipe(toArray())));
}

describe('copySend', () => {
  check('to one channel: the payload arrives whole, the next index follows it', 300_000, async () => {
    const dest = await newChannel();
    const payload = pattern(2000, 1);
    const [next] = await firstValueFrom(env.client.copySend([{ writeCap: dest.writeCap, index: dest.firstMessageIndex, payload: framed(payload) }]));
    const boxSize = env.client.pigeonholeGeometry().maxPlaintextPayloadLength - 4;
    const start = await firstValueFrom(env.client.getMessageBoxIndexCounter(dest.firstMessageIndex));
    expect(await firstValueFrom(env.client.getMessageBoxIndexCounter(next!))).toBe(start + BigInt(Math.ceil((payload.length + 4) / boxSize)));
    expect(bytesEqual(await readAll(dest.readCap, dest.firstMessageIndex), payload)).toBe(true);
  });

  check('to two channels, pinned to the courier: both arrive', 300_000, async () => {
    const alice = await newChannel();
    const bob = await newChannel();
    const [courier] = env.client.getDistinctCouriers(1);
    const nexts = await firstValueFrom(
      env.client.copySend(
        [
          { writeCap: alice.writeCap, index: alice.firstMessageIndex, payload: framed(utf8('to Alice')) },
          { writeCap: bob.writeCap, index: bob.firstMessageIndex, payload: framed(utf8('to Bob')) },
        ],
        { courier: courier!.toCourierDestination() },
      ),
    );
    expect(nexts.length).toBe(2);
    expect(text(await readAll(alice.readCap, alice.firstMessageIndex))).toBe('to Alice');
    expect(text(await readAll(bob.readCap, bob.firstMessageIndex))).toBe('to Bob');
  });

  check('onto a box that holds something: CopyCommandFailedError with the replica code and envelope index', 300_000, async () => {
    const dest = await newChannel();
    const second = await firstValueFrom(env.client.nextMessageBoxIndex(dest.firstMessageIndex));
    await firstValueFrom(env.client.write(dest.writeCap, second, utf8('squatter')));
    const payload = pattern(2000, 2); // two destination boxes: the second is taken
    const error = await firstValueFrom(env.client.copySend([{ writeCap: dest.writeCap, index: dest.firstMessageIndex, payload: framed(payload) }])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CopyCommandFailedError);
    const failed = error as CopyCommandFailedError;
    expect(failed.replicaErrorCode).toBe(10); // BoxAlreadyExists
    expect(failed.failedEnvelopeIndex).toBe(2n); // 1-based: the second destination box
    expect(text(await firstValueFrom(env.client.read(dest.readCap, second)))).toBe('squatter');
  });
});
