/**
 * How-to: send a message to a mixnet service (the echo service).
 */
import { firstValueFrom } from 'rxjs';
import { OfflineError, RequestTimeoutError } from 'katzenpost-rx';
import { first, text, utf8, withSim } from './support/howto-env.js';

/*
 * The echo specs run at a hundredth of mixnet time, not a thousandth: the
 * daemon keeps a SURB only 4.5 simulated seconds past its reply_eta, which
 * at 0.001 is 4.5 ms of real time — within the simulator's timer jitter, so
 * a few percent of replies would be dropped (as a real daemon drops late ones).
 */
const echoSim = { timeScale: 0.01 };

describe('how-to: send a message to a mixnet service', () => {
  it('pings the echo service with send() (cold Observable) and blockingSendMessage() (Promise)', () =>
    withSim('howto-echo', async ({ client }) => {
      const echo = client.getService('echo').toDestination();
      const reply = await firstValueFrom(client.send(utf8('hello mixnet'), echo, { timeoutMs: 30_000 }));
      // The reply is the whole SURB payload: the echo, zero-padded.
      expect(text(reply.subarray(0, 12))).toBe('hello mixnet');

      const again = await client.blockingSendMessage(utf8('hello again'), echo, { timeoutMs: 30_000 });
      expect(text(again.subarray(0, 11))).toBe('hello again');
    }, echoSim));

  it('fails at once with OfflineError while the daemon has no mixnet link', () =>
    withSim('howto-echo-offline', async ({ sim, client }) => {
      const offline = first(client.state$, (s) => !s.mixnet);
      sim.setOnline(false);
      await offline;
      const echo = client.getService('echo').toDestination();
      await expect(client.blockingSendMessage(utf8('anyone?'), echo)).rejects.toBeInstanceOf(OfflineError);
    }));

  it('a timeout bounds the wait for a reply that does not come', () =>
    withSim('howto-echo-timeout', async ({ client }) => {
      // A queue nobody serves: the message goes out, no reply comes back.
      const echo = client.getService('echo').toDestination();
      const nowhere = { destinationIdHash: echo.destinationIdHash, recipientQueueId: utf8('+nobody') };
      await expect(client.blockingSendMessage(utf8('anyone?'), nowhere, { timeoutMs: 100 })).rejects.toBeInstanceOf(RequestTimeoutError);
    }));
});
