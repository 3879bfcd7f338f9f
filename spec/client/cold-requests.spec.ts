import { firstValueFrom, forkJoin, map, shareReplay } from 'rxjs';
import { connectByteStream, type ByteStream } from 'katzenpost-rx';
import { seedOf, text, utf8, withSim } from '../howto/support/howto-env.js';

/**
 * README, "Conventions", rule 3: requests are cold — each subscription is
 * one request — and the README's way to give one result to several
 * consumers (`shareReplay`) sends it once. Counted at the socket: every
 * request is one frame written.
 */
describe('cold requests, and sharing one result', () => {
  let framesSent = 0;
  const countWrites = (stream: ByteStream): ByteStream => ({
    chunks$: stream.chunks$,
    close: () => stream.close(),
    write: (buffers) => {
      framesSent++;
      stream.write(buffers);
    },
  });
  const counting = { socketFactory: (dial: Parameters<typeof connectByteStream>[0]) => connectByteStream(dial).pipe(map(countWrites)) };

  it('two subscriptions to one read are two reads; shareReplay makes them one', () =>
    withSim(
      'cold-requests',
      async ({ client }) => {
        const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('cold')));
        await firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('profile')));

        const read$ = client.read(readCap, firstMessageIndex);
        let before = framesSent;
        const twice = await firstValueFrom(forkJoin([read$, read$]));
        const coldFrames = framesSent - before;

        const shared$ = client.read(readCap, firstMessageIndex).pipe(shareReplay({ bufferSize: 1, refCount: false }));
        before = framesSent;
        const header = await firstValueFrom(shared$);
        const sidebar = await firstValueFrom(shared$); // a late subscriber: served from the replay
        const sharedFrames = framesSent - before;

        expect([...twice, header, sidebar].map(text)).toEqual(['profile', 'profile', 'profile', 'profile']);
        // A read is two requests (encrypt_read, then its ARQ): twice that when cold, once when shared.
        expect({ coldFrames, sharedFrames }).toEqual({ coldFrames: 4, sharedFrames: 2 });
      },
      {},
      counting,
    ));
});
