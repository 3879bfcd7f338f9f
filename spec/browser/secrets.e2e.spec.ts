/**
 * Secrets in a browser console (issue 13, item 4): browsers ignore Node's
 * inspect symbol, so `console.log(keypair)` used to show the write
 * capability. Here the SDK is bundled as a browser application bundles it,
 * runs in headless Chromium against the simulator's WebSocket listener, and
 * logs its results, events, secrets and errors in every usual way. What the
 * console receives is read over the DevTools protocol — the logged values
 * and, for objects, their properties expanded as DevTools shows them when
 * clicked (own, inherited, private and internal, three levels deep) — and
 * must hold none of the secrets' bytes. A control logs the exposed bytes
 * and must be caught.
 *
 * Skipped, with one line saying so, when /usr/bin/chromium is missing.
 */
import { join } from 'node:path';
import type { CDPSession, Page } from 'playwright-core';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { buildExamplePage, repoRoot } from '../../scripts/browser-bundle.js';
import { serveExample, type ExampleServer } from '../../examples/browser/serve.js';
import { describeWithChromium, launchChromium, type Chromium } from './support/chromium.js';
import { startSpecSimulator } from '../support/spec-simulator.js';

/** What a DevTools protocol remote object looks like, as far as this spec reads it. */
interface RemoteObject {
  readonly type: string;
  readonly subtype?: string;
  readonly value?: unknown;
  readonly description?: string;
  readonly objectId?: string;
  readonly preview?: unknown;
}
interface PropertyDescriptor {
  readonly name: string;
  readonly value?: RemoteObject;
}

/**
 * Everything DevTools could show of a logged value: its description and
 * preview, and — expanding objects like a user clicking them — each
 * property's name and value, values of one object joined in order (so a
 * typed array's elements read "12,34,56,…").
 */
async function consoleText(cdp: CDPSession, object: RemoteObject, depth = 3): Promise<string> {
  const parts = [String(object.value ?? ''), object.description ?? '', JSON.stringify(object.preview ?? '')];
  if (object.objectId && object.type !== 'function' && depth > 0) {
    const result = (await cdp.send('Runtime.getProperties', { objectId: object.objectId, ownProperties: false, generatePreview: true })) as {
      result: PropertyDescriptor[];
      internalProperties?: PropertyDescriptor[];
      privateProperties?: PropertyDescriptor[];
    };
    const all = [...result.result, ...(result.internalProperties ?? []), ...(result.privateProperties ?? [])];
    parts.push(all.map((p) => `${p.value?.value ?? p.value?.description ?? ''}`).join(','));
    for (const property of all) {
      if (property.name === '__proto__' || property.name === '[[Prototype]]' || property.value === undefined) continue;
      parts.push(`${property.name}: ${await consoleText(cdp, property.value, depth - 1)}`);
    }
  }
  return parts.join('\n');
}

/** The textual forms of a secret's first bytes a console could show. */
function forms(secret: Uint8Array): string[] {
  const head = Array.from(secret.subarray(0, 12));
  return [head.join(','), head.join(', '), Buffer.from(secret).toString('hex').slice(0, 24), JSON.stringify(Object.fromEntries(head.map((x, i) => [i, x]))).slice(1, -1)];
}

describeWithChromium('browser secrets test')('secrets in a browser console (headless Chromium)', () => {
  let sim: SimulatorHandle;
  let server: ExampleServer;
  let browser: Chromium;
  let page: Page;
  let cdp: CDPSession;
  const logged: RemoteObject[][] = [];

  beforeAll(async () => {
    sim = await startSpecSimulator({ realTime: 'what the console shows is asserted, not when', listen: { ws: 'ws://127.0.0.1:0' }, seed: 'browser-secrets' });
    server = await serveExample((await buildExamplePage({ entry: join(repoRoot, 'spec', 'browser', 'support', 'secrets-page.ts') })).code);
    browser = await launchChromium();
    page = browser.page;
    cdp = await browser.context.newCDPSession(page);
    cdp.on('Runtime.consoleAPICalled', (event: { args: RemoteObject[] }) => logged.push(event.args));
    await cdp.send('Runtime.enable');
    await page.goto(server.url);
    await page.waitForFunction(() => 'kprx' in globalThis);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await sim?.close();
  });

  it('console.log of results, events, secrets and errors shows none of their bytes', async () => {
    const secrets = await page.evaluate(async (daemon) => {
      type Kprx = {
        ThinClient: { connect(config: unknown): Promise<any> };
        firstValueFrom<T>(source: unknown): Promise<T>;
      };
      const { ThinClient, firstValueFrom } = (globalThis as unknown as { kprx: Kprx }).kprx;
      const client = await ThinClient.connect({ dial: { ws: { address: daemon } } });
      client.events$.subscribe((event: unknown) => console.log('event', event));
      // (Plain bytes too, so that the spec also runs — and fails — on the SDK before SecretBytes.)
      const raw = (secret: any): Uint8Array => (secret instanceof Uint8Array ? secret : secret.exposeBytes());
      const seed = crypto.getRandomValues(new Uint8Array(32));
      const keys = await firstValueFrom<any>(client.newKeypair(seed));
      const envelope = await firstValueFrom<any>(client.encryptWrite(new TextEncoder().encode('hello'), keys.writeCap, keys.firstMessageIndex));
      const prepared = await firstValueFrom<any>(client.prepareWrite(keys.writeCap, envelope.nextMessageBoxIndex, new TextEncoder().encode('later')));
      const tombstones = await firstValueFrom<any>(client.tombstoneRange(keys.writeCap, keys.firstMessageIndex, 1));
      console.log(keys);
      console.log('keypair:', keys, 'cap:', keys.writeCap);
      console.log(JSON.stringify(keys), JSON.stringify(envelope));
      console.log(String(keys.writeCap), `${keys.writeCap}`, 'concatenated ' + keys.writeCap);
      console.info(envelope);
      console.warn(prepared);
      console.debug(tombstones);
      console.dir(keys);
      console.table(keys);
      try {
        client.encryptWrite(new TextEncoder().encode('x'), raw(keys.writeCap).subarray(1), keys.firstMessageIndex);
      } catch (error) {
        console.error(error);
        console.error(String(error));
      }
      // The control, after a marker: the exposed bytes, logged, must be caught by the same reading.
      console.log('--- control ---');
      console.log({ writeCap: raw(keys.writeCap) });
      await client.close();
      const hex = (secret: any) => Array.from(raw(secret) as Uint8Array, (x) => x.toString(16).padStart(2, '0')).join('');
      return {
        seed: hex(seed),
        writeCap: hex(keys.writeCap),
        envelopeDescriptor: hex(envelope.envelopeDescriptor),
        tombstoneDescriptor: hex(tombstones.envelopes[0].envelopeDescriptor),
      };
    }, sim.address);

    const marker = logged.findIndex((args) => args[0]?.value === '--- control ---');
    expect(marker).toBeGreaterThan(0);
    const read = async (all: RemoteObject[][]): Promise<string> => {
      const texts: string[] = [];
      for (const args of all) for (const arg of args) texts.push(await consoleText(cdp, arg));
      return texts.join('\n');
    };
    const shown = await read(logged.slice(0, marker));
    expect(shown).toContain('[redacted 168 bytes]');
    expect(shown).toContain('new_keypair_reply'); // the events were logged and read back
    for (const [name, hex] of Object.entries(secrets)) {
      for (const form of forms(Buffer.from(hex, 'hex'))) expect({ name, form, shown: shown.includes(form) }).toEqual({ name, form, shown: false });
    }
    const control = await read(logged.slice(marker + 1));
    expect(forms(Buffer.from(secrets.writeCap, 'hex')).filter((form) => control.includes(form)).length).toBeGreaterThan(0);
  });
});
