/**
 * Pings the mixnet's echo service: finds it in the PKI document, sends a
 * message with a SURB and waits for the echo.
 *
 *   npx tsx examples/echo-ping.ts [--config thinclient.toml]
 */
import { firstValueFrom } from 'rxjs';
import type { ThinClientConfig } from 'katzenpost-rx';
import { runIfMain, say, withClient } from './support/example-runtime.js';

/** Returns the echoed text and the round-trip time in ms. */
export async function main(config?: ThinClientConfig): Promise<{ echoed: string; roundTripMs: number }> {
  return withClient(config, async (client) => {
    // Any node advertising "echo"; its destination is (identity hash, queue id).
    const echo = client.getService('echo').toDestination();
    const message = new TextEncoder().encode('ping');
    const started = performance.now();
    // send() is cold: nothing leaves until firstValueFrom subscribes. The reply is
    // the whole zero-padded SURB payload, so compare its prefix.
    const reply = await firstValueFrom(client.send(message, echo, { timeoutMs: 60_000 }));
    const roundTripMs = Math.round(performance.now() - started);
    const echoed = new TextDecoder().decode(reply.subarray(0, message.length));
    say(`echo replied "${echoed}" after ${roundTripMs} ms`);
    return { echoed, roundTripMs };
  });
}

runIfMain(import.meta.url, main);
