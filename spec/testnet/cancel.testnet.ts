/**
 * Cancelling by unsubscribing, on the real network: a pending read, a
 * write, a copy command — then the client goes on working. The daemon's
 * log is the judge of what reached it.
 */
import { firstValueFrom } from 'rxjs';
import { BoxIDNotFoundError } from 'katzenpost-rx';
import { check, sharedClient, daemonLog, text, utf8 } from './support/testnet-env.js';

const env = sharedClient();
const newChannel = () => env.newChannel();

/** Nothing of ours is pending in the client any more. */
async function settled(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (env.client.pendingRequestCount > 0) {
    if (Date.now() > deadline) throw new Error(`${env.client.pendingRequestCount} requests still pending in the client`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('cancel by unsubscribe', () => {
  check('a read waiting for an unwritten box: the daemon cancels its ARQ', 120_000, async () => {
    const { readCap, firstMessageIndex } = await newChannel();
    const log = await daemonLog(env.net);
    const outcome: string[] = [];
    const subscription = env.client.read(readCap, firstMessageIndex).subscribe({ next: () => outcome.push('next'), error: (e: unknown) => outcome.push(String(e)) });
    // The daemon retries a read of a missing box until it appears: it stays pending.
    await log.until(/startResendingEncryptedMessage: isRead=true/, 'the daemon starts the read ARQ', 60_000);
    subscription.unsubscribe();
    await log.until(/cancelResendingEncryptedMessage: Sending cancellation to original query/, 'the daemon cancels the read ARQ', 30_000);
    await settled();
    expect(outcome).toEqual([]);
  });

  check('a write while it is being encrypted: nothing is sent, the box stays empty', 120_000, async () => {
    const { writeCap, readCap, firstMessageIndex } = await newChannel();
    const log = await daemonLog(env.net);
    const outcome: string[] = [];
    const subscription = env.client.write(writeCap, firstMessageIndex, utf8('never sent')).subscribe({ next: () => outcome.push('next'), error: (e: unknown) => outcome.push(String(e)) });
    await log.until(/encryptWrite: Generated BoxID/, 'the daemon encrypts the write', 60_000);
    subscription.unsubscribe();
    // The box is empty (this read is encrypted after the write's encryption finished)…
    const read = await firstValueFrom(env.client.read(readCap, firstMessageIndex, { noRetry: true })).catch((e: unknown) => e);
    expect(read).toBeInstanceOf(BoxIDNotFoundError);
    // …and the daemon was never asked to send the write.
    expect(await log.text()).not.toMatch(/startResendingEncryptedMessage: isRead=false/);
    await settled();
    expect(outcome).toEqual([]);
  });

  check('a copy command whose temporary channel is empty: the daemon stops polling the courier', 120_000, async () => {
    const temp = await newChannel();
    const log = await daemonLog(env.net);
    const outcome: string[] = [];
    const subscription = env.client.startResendingCopyCommand(temp.writeCap).subscribe({ next: () => outcome.push('next'), error: (e: unknown) => outcome.push(String(e)) });
    // The courier finds no stream in the temporary channel and keeps the command open; the daemon polls it.
    await log.until(/scheduleCopyCommandPoll: next Copy poll scheduled/, 'the daemon polls the courier', 60_000);
    subscription.unsubscribe();
    await log.until(/cancelResendingCopyCommand: Sending cancellation to original query/, 'the daemon cancels the copy command', 30_000);
    await settled();
    expect(outcome).toEqual([]);
  });

  check('the client stays usable: write then read', 90_000, async () => {
    const { writeCap, readCap, firstMessageIndex } = await newChannel();
    await firstValueFrom(env.client.write(writeCap, firstMessageIndex, utf8('still here')));
    expect(text(await firstValueFrom(env.client.read(readCap, firstMessageIndex)))).toBe('still here');
    await settled();
  });
});
