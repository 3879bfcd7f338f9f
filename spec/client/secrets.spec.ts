import { inspect } from 'node:util';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { ThinClient, TombstoneError, type ClientEvent, type Logger } from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { startSpecSimulator } from '../support/spec-simulator.js';

/**
 * Write caps, seeds, envelope descriptors and plaintexts never appear in
 * log lines, error messages or `inspect` output (issue 4, item 6).
 */
describe('secrets stay out of logs, errors and inspect output', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSpecSimulator({ realTime: 'checks what results print; no timing involved', seed: 'secrets' });
  });
  const clients: ThinClient[] = [];
  afterAll(async () => {
    for (const client of clients) await client.close();
    await sim.close();
  });

  /** Every textual form a secret could leak in. */
  function forms(secret: Uint8Array): string[] {
    const hex = Buffer.from(secret).toString('hex');
    const head = secret.subarray(0, 12);
    return [
      hex.slice(0, 32),
      Buffer.from(secret).toString('base64').slice(0, 16),
      Buffer.from(secret).toString('base64url').slice(0, 16),
      Array.from(head).join(', '), // how util.inspect prints bytes
      Array.from(head).join(','),
      Array.from(head, (x) => x.toString(16).padStart(2, '0')).join(' '),
    ];
  }

  it('logs, errors and inspect of the client, results and events reveal none of them', async () => {
    const lines: string[] = [];
    const record =
      (level: string) =>
      (message: string, fields?: Readonly<Record<string, unknown>>): void => {
        lines.push(`${level} ${message} ${inspect(fields, { depth: 10, maxArrayLength: Infinity })}`);
      };
    const logger: Logger = { debug: record('debug'), info: record('info'), warn: record('warn'), error: record('error') };
    const client = new ThinClient(sim.config, { logger });
    clients.push(client);
    const events: ClientEvent[] = [];
    client.events$.subscribe((e) => events.push(e));
    await client.connect();

    const seed = crypto.getRandomValues(new Uint8Array(32));
    const plaintext = new TextEncoder().encode('TOP-SECRET-PLAINTEXT ' + Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex'));
    const keys = await firstValueFrom(client.newKeypair(seed));
    const envelope = await firstValueFrom(client.encryptWrite(plaintext, keys.writeCap, keys.firstMessageIndex));
    await firstValueFrom(client.startResendingEncryptedMessage({ writeCap: keys.writeCap, ...envelope }));
    const readBack = await firstValueFrom(client.startResendingEncryptedMessage({ readCap: keys.readCap, messageBoxIndex: keys.firstMessageIndex, ...(await firstValueFrom(client.encryptRead(keys.readCap, keys.firstMessageIndex))) }));
    const prepared = await firstValueFrom(client.prepareWrite(keys.writeCap, envelope.nextMessageBoxIndex, plaintext));
    const tombstones = await firstValueFrom(client.tombstoneRange(keys.writeCap, keys.firstMessageIndex, 1));
    await firstValueFrom(client.startResendingEncryptedMessage({ writeCap: keys.writeCap, ...tombstones.envelopes[0]! }));
    await lastValueFrom(client.writeStream(keys.writeCap, prepared.nextMessageBoxIndex, plaintext));
    const chunks = await lastValueFrom(client.readStream$(keys.readCap, prepared.nextMessageBoxIndex).pipe(toArray()));
    expect(Buffer.concat(chunks).equals(Buffer.from(plaintext))).toBe(true);

    // Provoke errors that carry secrets as arguments.
    const errors: unknown[] = [];
    const attempt = (call: () => unknown) => {
      try {
        call();
      } catch (error) {
        errors.push(error);
      }
    };
    attempt(() => client.newKeypair(new Uint8Array([...seed, 1])));
    attempt(() => client.encryptWrite(new Uint8Array(5000).fill(plaintext[0]!), keys.writeCap, keys.firstMessageIndex));
    attempt(() => client.encryptWrite(plaintext, keys.writeCap.subarray(1), keys.firstMessageIndex));
    attempt(() => client.startResendingEncryptedMessage({ writeCap: keys.writeCap, ...envelope, envelopeHash: keys.writeCap }));
    errors.push(await firstValueFrom(client.read(keys.readCap, keys.firstMessageIndex)).catch((e: unknown) => e)); // a tombstone now
    expect(errors[4]).toBeInstanceOf(TombstoneError);
    expect(errors).toHaveLength(5);

    const printed = [
      ...lines,
      ...errors.map((e) => `${String(e)}\n${(e as Error).stack ?? ''}\n${inspect(e, { depth: 10 })}`),
      inspect(client, { depth: 10 }),
      JSON.stringify(client),
      inspect(keys, { depth: 10 }),
      inspect(envelope, { depth: 10 }),
      inspect(readBack, { depth: 10 }),
      inspect(prepared, { depth: 10 }),
      inspect(tombstones, { depth: 10 }),
      ...events.map((e) => inspect(e, { depth: 10, maxArrayLength: Infinity })),
    ].join('\n');
    expect(printed).toContain('[redacted 168 bytes]'); // the check sees redacted forms, so it would see leaks too
    expect(lines.length).toBeGreaterThan(0);
    for (const [name, secret] of [
      ['seed', seed],
      ['write cap', keys.writeCap.subarray(0, 64)],
      ['envelope descriptor', envelope.envelopeDescriptor],
      ['plaintext', plaintext],
    ] as const) {
      for (const form of forms(secret)) expect({ name, leaked: printed.includes(form) }).toEqual({ name, leaked: false });
    }
    expect(printed).not.toContain('TOP-SECRET-PLAINTEXT');
  });
});
