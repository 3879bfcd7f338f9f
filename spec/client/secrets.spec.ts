import { format, inspect } from 'node:util';
import { firstValueFrom, lastValueFrom, toArray, type Observable } from 'rxjs';
import { InvalidArgumentError, SecretBytes, ThinClient, TombstoneError, type ClientEvent, type Logger } from 'katzenpost-rx';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { startSpecSimulator } from '../support/spec-simulator.js';

/**
 * Write caps, seeds and envelope descriptors never print (issue 13, item
 * 4): not through `JSON.stringify`, `String()`, template strings,
 * `util.inspect` / `console.log`, `util.format`, error messages or log
 * lines — for the results that carry them, for the events on `events$`,
 * and for the secrets themselves. (Browser consoles: spec/browser.)
 */

/** Every textual form a secret could leak in. */
function forms(secret: Uint8Array): string[] {
  const hex = Buffer.from(secret).toString('hex');
  const head = secret.subarray(0, 12);
  return [
    hex.slice(0, 32),
    Buffer.from(secret).toString('base64').slice(0, 16),
    Buffer.from(secret).toString('base64url').slice(0, 16),
    Array.from(head).join(', '), // util.inspect of bytes
    Array.from(head).join(','), // String() of bytes
    Array.from(head, (x, i) => `"${i}":${x}`).join(','), // JSON.stringify of bytes
    Array.from(head, (x) => x.toString(16).padStart(2, '0')).join(' '),
  ];
}

/** Every way an application prints a value. */
function printings(value: unknown): string[] {
  return [
    JSON.stringify(value) ?? '',
    String(value),
    `${value as string}`,
    inspect(value, { depth: 10, maxArrayLength: Infinity, showHidden: true }),
    format('%s %o %O %j', value, value, value, value),
  ];
}

describe('SecretBytes', () => {
  const bytes = Uint8Array.from({ length: 168 }, (_, i) => (i * 7 + 3) & 0xff);
  const secret = SecretBytes.from(bytes);

  it('prints as "[redacted N bytes]" in every form, directly and inside objects and arrays', () => {
    for (const shown of [...printings(secret), secret + '']) expect(shown).toContain('[redacted 168 bytes]');
    const printed = [...printings(secret), ...printings({ writeCap: secret }), ...printings([secret]), secret + ''].join('\n');
    for (const form of forms(bytes)) expect({ form, leaked: printed.includes(form) }).toEqual({ form, leaked: false });
  });

  it('gives its bytes only through exposeBytes, as a copy, and copies what it wraps', () => {
    const exposed = secret.exposeBytes();
    expect(exposed).toEqual(bytes);
    exposed[0] = 0;
    expect(secret.exposeBytes()[0]).toBe(bytes[0]);
    const source = new Uint8Array(4).fill(1);
    const wrapped = SecretBytes.from(source);
    source[0] = 9;
    expect(wrapped.exposeBytes()).toEqual(new Uint8Array(4).fill(1));
    expect(SecretBytes.from(wrapped)).toBe(wrapped);
    expect(Object.keys(secret)).toEqual(['length']);
    expect(Object.isFrozen(secret)).toBe(true);
  });

  it('compares by content with equals', () => {
    expect(secret.equals(SecretBytes.from(bytes))).toBe(true);
    expect(secret.equals(bytes)).toBe(true);
    expect(secret.equals(bytes.subarray(1))).toBe(false);
    expect(secret.equals(SecretBytes.from(bytes.map((x) => x ^ 1)))).toBe(false);
  });

  it('the printing check sees a leak (control: the exposed bytes, printed)', () => {
    const printed = printings({ writeCap: secret.exposeBytes() }).join('\n');
    expect(forms(bytes).filter((form) => printed.includes(form)).length).toBeGreaterThan(0);
  });
});

describe('results, events, errors and logs reveal no secret', () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSpecSimulator({ realTime: 'checks what results print; no timing involved', seed: 'secrets' });
  });
  const clients: ThinClient[] = [];
  afterAll(async () => {
    for (const client of clients) await client.close();
    await sim.close();
  });

  it('in JSON, String(), template strings, util.inspect, util.format, error messages and log lines', async () => {
    const lines: string[] = [];
    const record =
      (level: string) =>
      (message: string, fields?: Readonly<Record<string, unknown>>): void => {
        lines.push(`${level} ${message} ${inspect(fields, { depth: 10, maxArrayLength: Infinity })} ${JSON.stringify(fields) ?? ''}`);
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
    expect(keys.writeCap).toBeInstanceOf(SecretBytes);
    const envelope = await firstValueFrom(client.encryptWrite(plaintext, keys.writeCap, keys.firstMessageIndex));
    expect(envelope.envelopeDescriptor).toBeInstanceOf(SecretBytes);
    await firstValueFrom(client.startResendingEncryptedMessage({ writeCap: keys.writeCap, ...envelope }));
    const readEnvelope = await firstValueFrom(client.encryptRead(keys.readCap, keys.firstMessageIndex));
    const readBack = await firstValueFrom(client.startResendingEncryptedMessage({ readCap: keys.readCap, messageBoxIndex: keys.firstMessageIndex, ...readEnvelope }));
    // A plain Uint8Array cap in, a SecretBytes out: the result never echoes raw secret bytes.
    const prepared = await firstValueFrom(client.prepareWrite(keys.writeCap.exposeBytes(), envelope.nextMessageBoxIndex, plaintext));
    expect(prepared.writeCap).toBeInstanceOf(SecretBytes);
    const tombstones = await firstValueFrom(client.tombstoneRange(keys.writeCap, keys.firstMessageIndex, 1));
    await firstValueFrom(client.startResendingEncryptedMessage({ writeCap: keys.writeCap, ...tombstones.envelopes[0]! }));
    await lastValueFrom(client.writeStream$(keys.writeCap, prepared.nextMessageBoxIndex, plaintext));
    const chunks = await lastValueFrom(client.readStream$(keys.readCap, prepared.nextMessageBoxIndex).pipe(toArray()));
    expect(Buffer.concat(chunks).equals(Buffer.from(plaintext))).toBe(true);

    // Errors provoked with secrets as arguments.
    const errors: unknown[] = [];
    // Argument errors arrive on subscribe (README, "Conventions").
    const attempt = async (request: Observable<unknown>) => errors.push(await firstValueFrom(request).catch((e: unknown) => e));
    await attempt(client.newKeypair(new Uint8Array([...seed, 1])));
    await attempt(client.encryptWrite(new Uint8Array(5000).fill(plaintext[0]!), keys.writeCap, keys.firstMessageIndex));
    await attempt(client.encryptWrite(plaintext, keys.writeCap.exposeBytes().subarray(1), keys.firstMessageIndex));
    await attempt(client.startResendingEncryptedMessage({ writeCap: keys.writeCap, ...envelope, envelopeHash: keys.writeCap as never }));
    errors.push(await firstValueFrom(client.read(keys.readCap, keys.firstMessageIndex)).catch((e: unknown) => e)); // a tombstone now
    expect(errors.slice(0, 4).every((e) => e instanceof InvalidArgumentError)).toBe(true);
    expect(errors[4]).toBeInstanceOf(TombstoneError);

    const printed = [
      ...lines,
      ...errors.map((e) => `${String(e)}\n${(e as Error).stack ?? ''}\n${inspect(e, { depth: 10 })}\n${JSON.stringify(e)}`),
      ...[client, keys, envelope, readEnvelope, readBack, prepared, tombstones, tombstones.envelopes[0], keys.writeCap, envelope.envelopeDescriptor].flatMap(printings),
      ...events.flatMap(printings),
    ].join('\n');
    expect(printed).toContain('[redacted 168 bytes]'); // the check sees the redacted forms, so it would see leaks too
    expect(lines.length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'new_keypair_reply')).toBe(true);
    expect(events.some((e) => e.type === 'encrypt_write_reply')).toBe(true);
    for (const [name, secret] of [
      ['seed', seed],
      ['write cap', keys.writeCap.exposeBytes().subarray(0, 64)],
      ['envelope descriptor', envelope.envelopeDescriptor.exposeBytes()],
      ['read envelope descriptor', readEnvelope.envelopeDescriptor.exposeBytes()],
      ['tombstone envelope descriptor', tombstones.envelopes[0]!.envelopeDescriptor.exposeBytes()],
      ['plaintext', plaintext],
    ] as const) {
      for (const form of forms(secret)) expect({ name, form, leaked: printed.includes(form) }).toEqual({ name, form, leaked: false });
    }
    expect(printed).not.toContain('TOP-SECRET-PLAINTEXT');
  });
});
