import { firstValueFrom, forkJoin, shareReplay } from 'rxjs';
import { frameCounter } from '../support/frame-counter.js';
import { seedOf, text, utf8, withSim } from '../howto/support/howto-env.js';

/**
 * README, "Conventions", rule 3: requests are cold — each subscription is
 * one request — and the README's way to give one result to several
 * consumers (`shareReplay`) sends it once. Counted at the socket: every
 * request is one frame written.
 */
describe('cold requests, and sharing one result', () => {
  const counter = frameCounter();

  it('two subscriptions to one read are two reads; shareReplay makes them one', () =>
    withSim(
      'cold-requests',
      async ({ client }) => {
        const { writeCap, readCap, firstMessageIndex } = await firstValueFrom(client.newKeypair(seedOf('cold')));
        await firstValueFrom(client.write(writeCap, firstMessageIndex, utf8('profile')));

        const read$ = client.read(readCap, firstMessageIndex);
        let before = counter.frames();
        const twice = await firstValueFrom(forkJoin([read$, read$]));
        const coldFrames = counter.frames() - before;

        const shared$ = client.read(readCap, firstMessageIndex).pipe(shareReplay({ bufferSize: 1, refCount: false }));
        before = counter.frames();
        const header = await firstValueFrom(shared$);
        const sidebar = await firstValueFrom(shared$); // a late subscriber: served from the replay
        const sharedFrames = counter.frames() - before;

        expect([...twice, header, sidebar].map(text)).toEqual(['profile', 'profile', 'profile', 'profile']);
        // A read is two requests (encrypt_read, then its ARQ): twice that when cold, once when shared.
        expect({ coldFrames, sharedFrames }).toEqual({ coldFrames: 4, sharedFrames: 2 });
      },
      {},
      { socketFactory: counter.socketFactory },
    ));
});
