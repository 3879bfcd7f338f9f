/**
 * Sends to two channels atomically with `copySend`: the payloads are
 * packed into one copy stream, written to a temporary channel, and a
 * courier applies them together — both destinations get their boxes, or
 * neither does.
 *
 *   npx tsx examples/atomic-copy.ts [--config thinclient.toml]
 */
import { firstValueFrom, lastValueFrom, reduce } from 'rxjs';
import type { KeypairResult, ThinClient, ThinClientConfig } from 'katzenpost-rx';
import { runIfMain, say, withClient } from './support/example-runtime.js';

/** The guide's framing (a 4-byte big-endian length first), so readers know where a payload ends. */
function framed(text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/** Reads a framed payload back as text (readStream$ strips the framing). */
function readText(client: ThinClient, channel: KeypairResult): Promise<string> {
  return lastValueFrom(
    client.readStream$(channel.readCap, channel.firstMessageIndex).pipe(reduce((text, chunk) => text + new TextDecoder().decode(chunk, { stream: true }), '')),
  );
}

/** Returns what each channel's reader got. */
export async function main(config?: ThinClientConfig): Promise<{ alice: string; bob: string }> {
  return withClient(config, async (client) => {
    const newChannel = () => firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));
    const alice = await newChannel();
    const bob = await newChannel();

    // One call: envelopes packed, temporary channel written, copy command sent.
    // It emits where each destination continues.
    const [aliceNext, bobNext] = await firstValueFrom(
      client.copySend([
        { writeCap: alice.writeCap, index: alice.firstMessageIndex, payload: framed('Meet at noon. '.repeat(200)) },
        { writeCap: bob.writeCap, index: bob.firstMessageIndex, payload: framed('Meet at noon.') },
      ]),
    );
    say(`copied; the channels continue at new indices (${aliceNext!.length}-byte and ${bobNext!.length}-byte)`);

    const result = { alice: await readText(client, alice), bob: await readText(client, bob) };
    say(`Alice's channel holds ${result.alice.length} characters, Bob's "${result.bob}"`);
    return result;
  });
}

runIfMain(import.meta.url, main);
