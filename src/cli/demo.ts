#!/usr/bin/env node
/**
 * `npm run demo [-- --config thinclient.toml]`: connects to a daemon (the
 * embedded simulator when no config is given), prints the events as they
 * arrive, pings the echo service, and does a Pigeonhole round trip — Alice
 * writes a framed stream, Bob reads it back with `readStream$`.
 */
import { parseArgs } from 'node:util';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ThinClient } from '../client/thin-client.js';
import type { ClientEvent } from '../client/client-event.js';
import { loadConfig } from '../config/load-config.js';
import type { ThinClientConfig } from '../config/dial-config.js';
import { toHex } from '../core/hex.js';
import { decodePKIDocument } from '../pki/decode-pki-document.js';
import { startSimulator, type SimulatorHandle } from '../sim/index.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', short: 'c' },
    'time-scale': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  console.log('usage: npm run demo [-- --config thinclient.toml] [--time-scale 0.01]');
  process.exit(0);
}

const text = new TextEncoder();
const say = (line: string) => console.log(line);

async function main(): Promise<void> {
  let sim: SimulatorHandle | null = null;
  let config: ThinClientConfig;
  if (values.config) {
    config = await loadConfig(values.config);
    say(`using the daemon of ${values.config}`);
  } else {
    // A hundredth of real mixnet time: a write takes ~30 ms instead of ~3 s.
    sim = await startSimulator({ timeScale: Number(values['time-scale'] ?? 0.01) });
    config = sim.config;
    say(`started the embedded daemon simulator on ${sim.address}`);
  }

  const client = new ThinClient(config);
  // Replies to our own requests are on events$ too; show the events only.
  client.events$.subscribe((event) => {
    if (!event.type.endsWith('_reply') || event.type === 'session_token_reply') say(`  event: ${describe(event)}`);
  });
  try {
    say('connecting (a daemon without a PKI document takes up to 30 s to greet us) …');
    await client.connect();
    say(`connected: mixnet ${client.isConnected() ? 'online' : 'offline'}, max ${client.pigeonholeGeometry().maxPlaintextPayloadLength} bytes per box`);

    if (client.isConnected() && client.pkiDocument()) {
      const echo = client.getService('echo');
      const reply = await firstValueFrom(client.send(text.encode('hello, echo'), echo.toDestination(), { timeoutMs: 60_000 }));
      say(`echo replied: "${new TextDecoder().decode(reply.subarray(0, 11))}" (${reply.length}-byte SURB payload)`);

      const alice = await firstValueFrom(client.newKeypair(crypto.getRandomValues(new Uint8Array(32))));
      const story = text.encode('Alice writes a message long enough to need several boxes. '.repeat(60));
      say(`Alice writes ${story.length} bytes …`);
      const progress = await lastValueFrom(client.writeStream$(alice.writeCap, alice.firstMessageIndex, story));
      say(`  wrote ${progress.boxesDone}/${progress.totalBoxes} boxes`);
      say('Bob reads them back with readStream$ …');
      const chunks = await lastValueFrom(client.readStream$(alice.readCap, alice.firstMessageIndex).pipe(toArray()));
      const received = Buffer.concat(chunks);
      say(`  Bob read ${chunks.length} chunks, ${received.length} bytes, ${received.equals(Buffer.from(story)) ? 'identical' : 'DIFFERENT'} to what Alice wrote`);
    } else {
      say('the daemon is offline: showing the local (no-network) requests only');
      const keys = await firstValueFrom(client.newKeypair(new Uint8Array(32).fill(1)));
      const counter = await firstValueFrom(client.getMessageBoxIndexCounter(keys.firstMessageIndex));
      const next = await firstValueFrom(client.nextMessageBoxIndex(keys.firstMessageIndex));
      const nextCounter = await firstValueFrom(client.getMessageBoxIndexCounter(next));
      say(`  new channel: read cap ${keys.readCap.length} bytes, box counter ${counter} → next ${nextCounter}`);
    }
  } finally {
    await client.close();
    await sim?.close();
  }
  say('done');
}

function describe(event: ClientEvent): string {
  switch (event.type) {
    case 'connection_status_event':
      return `connection_status_event is_connected=${event.isConnected} instance=${toHex(event.instanceToken).slice(0, 8)}…`;
    case 'new_pki_document_event': {
      const payload = event.payload;
      if (!payload) return 'new_pki_document_event (no document yet)';
      const doc = decodePKIDocument(payload);
      return `new_pki_document_event epoch=${doc.epoch} service nodes=${doc.serviceNodes.length}`;
    }
    case 'session_token_reply':
      return `session_token_reply resumed=${event.resumed}`;
    case 'message_sent_event':
      return `message_sent_event reply expected in ~${Math.round(event.replyEta / 1e6)} ms`;
    case 'message_reply_event':
      return `message_reply_event ${event.payload?.length ?? 0} bytes`;
    case 'daemon_disconnected':
      return `daemon_disconnected graceful=${event.isGraceful}`;
    default:
      return event.type;
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
