/**
 * The program the crash tests kill: a writer or a reader using a
 * ChannelManager with a durable store against the test's simulator. It is
 * bundled and run as a separate Node process (see crash-harness.ts).
 *
 * Protocol (stdout, one line each): `STORE <kind>` (the SQLite driver, or
 * `file`), `READY <share>`, `SENT <position>
 * <text>`, `GOT <position> <text>`, `INVITE <invite>`, `CONTACT <display
 * name>`, `KILLPOINT <step> <position>` (then it
 * blocks forever, waiting for SIGKILL), `DONE`, `ERROR <message>`.
 * Configuration: the JSON in the environment variable CRASH_CHILD.
 */
import { concatMap, firstValueFrom, lastValueFrom, takeWhile } from 'rxjs';
import { ChannelManager } from '../../../src/channels/channel-manager.js';
import type { Channel } from '../../../src/channels/channel.js';
import type { ChannelStore } from '../../../src/channels/channel-store.js';
import type { DurabilityStepEvent } from '../../../src/channels/durability-step.js';
import { FileChannelStore } from '../../../src/channels/file-channel-store.js';
import { SqliteChannelStore } from '../../../src/channels/sqlite-channel-store.js';
import { ThinClient } from '../../../src/client/thin-client.js';
import type { CrashChildConfig } from './crash-protocol.js';

const config = JSON.parse(process.env['CRASH_CHILD'] ?? '{}') as CrashChildConfig;
const say = (line: string): void => void process.stdout.write(`${line}\n`);
const counts = new Map<string, number>();

/** Stops here if this is the configured kill point: tell the test, then wait to be killed. */
async function maybeKill(step: string, position: number): Promise<void> {
  const seen = counts.get(step) ?? 0;
  counts.set(step, seen + 1);
  if (config.kill?.step === step && config.kill.occurrence === seen) {
    say(`KILLPOINT ${step} ${position}`);
    await new Promise<never>(() => undefined);
  }
}

async function openStore(): Promise<ChannelStore> {
  if (config.store === 'file') return FileChannelStore.open(config.storePath);
  const store = await SqliteChannelStore.open(config.storePath, config.sqliteBackend === undefined ? {} : { backend: config.sqliteBackend });
  say(`STORE ${store.backend}`);
  return store;
}

async function writer(manager: ChannelManager, store: ChannelStore): Promise<void> {
  const channel: Channel = await manager.get('c').catch(() => manager.createChannel('c'));
  say(`READY ${await channel.shareReadCapability()}`);
  let handedOver: number;
  if (config.fault === 'drop-outbox') {
    // Upstream's behaviour, for the control run: queued messages count as
    // handed over but are never re-sent after a restart.
    const info = await channel.info();
    handedOver = info.writePosition + info.pending;
    await store.transaction((tx) => tx.outbox().forEach((entry) => tx.deleteOutbox(entry.seq)));
  } else {
    await manager.recover();
    handedOver = (await channel.info()).writePosition;
  }
  for (let i = handedOver; i < config.messages.length; i++) {
    const text = config.messages[i]!;
    // Every fourth message goes through an atomic courier copy instead of a box write.
    const bytes = new TextEncoder().encode(text);
    const sent = await firstValueFrom(i % 4 === 3 ? channel.copySend(bytes) : channel.send(bytes));
    say(`SENT ${sent.position} ${text}`);
  }
}

async function reader(manager: ChannelManager): Promise<void> {
  const channel = await manager.get('r').catch(() => manager.importChannel('r', config.share!));
  say('READY -');
  const total = config.messages.length;
  const finished = async (): Promise<boolean> => (await channel.info()).readPosition >= total && (await channel.unread()).length === 0;
  if (await finished()) return;
  await lastValueFrom(
    channel.messages$({ initialDelayMs: 1, maxDelayMs: 5 }).pipe(
      concatMap(async (message) => {
        say(`GOT ${message.position} ${new TextDecoder().decode(message.plaintext)}`);
        await maybeKill('app:handled', message.position);
        await channel.markRead(message.id);
        return finished();
      }),
      takeWhile((done) => !done, true),
    ),
    { defaultValue: true },
  );
}

/** The contact exchange under test: its one contact is called `peer`. */
const PEER = 'peer';
const POLL = { initialDelayMs: 1, maxDelayMs: 5 } as const;

async function joiner(manager: ChannelManager): Promise<void> {
  const known = (await manager.contacts()).some((c) => c.name === PEER) || (await manager.exchanges()).some((e) => e.name === PEER);
  if (!known) await manager.invite(PEER, 'Joiner');
  if (config.phase === 'invite') {
    say(`INVITE ${await manager.inviteString(PEER)}`);
    return;
  }
  say(`CONTACT ${(await firstValueFrom(manager.awaitContact(PEER, POLL))).displayName}`);
}

async function inductor(manager: ChannelManager): Promise<void> {
  const done = (await manager.contacts()).find((c) => c.name === PEER);
  say(`CONTACT ${(done ?? (await firstValueFrom(manager.acceptInvite(PEER, config.invite!, 'Inductor', POLL)))).displayName}`);
}

try {
  const client = await ThinClient.connect(config.thinClientConfig);
  const store = await openStore();
  const manager = new ChannelManager(client, store, {
    onStep: (event: DurabilityStepEvent) => maybeKill(event.step, event.position),
    // The control behaves like upstream in full: idempotent writes, no next-box check.
    verifyNextBox: config.fault !== 'drop-outbox',
  });
  if (config.role === 'writer') await writer(manager, store);
  else if (config.role === 'reader') await reader(manager);
  else if (config.role === 'joiner') await joiner(manager);
  else await inductor(manager);
  await store.close();
  await client.close();
  say('DONE');
  process.exit(0);
} catch (error) {
  say(`ERROR ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  process.exit(1);
}
