/**
 * The browser build on the real network: the example page (the SDK's
 * browser bundle) in headless Chromium, connected to a kpclientd's
 * WebSocket listener, writes a message with `write` and shows it arriving
 * through `tail$` — a Pigeonhole write and read from a browser.
 *
 * Skipped, with one line saying so, when /usr/bin/chromium is missing
 * (.ci/run installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { buildExamplePage } from '../../scripts/browser-bundle.js';
import { serveExample, type ExampleServer } from '../../examples/browser/serve.js';
import type { Testnet } from '../../testnet/testnet.js';
import { wsUrl } from '../../testnet/daemon-toml.js';
import { attachTestnet, check, line } from './support/testnet-env.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const DAEMON = 'browser';

const skipReason = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (apt-get install -y chromium)`;
if (skipReason) line(`browser check skipped: ${skipReason}`);
const describeBrowser = skipReason ? describe.skip : describe;

describeBrowser('the browser build in headless Chromium', () => {
  let net: Testnet;
  let server: ExampleServer;
  let profile: string;
  let context: BrowserContext;

  beforeAll(async () => {
    net = await attachTestnet();
    if (!net.snapshot.daemons.some((d) => d.name === DAEMON)) await net.startDaemon(DAEMON, { transport: 'ws' });
    server = await serveExample((await buildExamplePage()).code);
    profile = mkdtempSync(join(tmpdir(), 'kprx-chromium-'));
    context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    await net?.removeDaemon(DAEMON).catch(() => undefined);
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  check('over the daemon WebSocket listener: connected and online, one write, read back through tail$', 240_000, async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const listen = net.snapshot.daemons.find((d) => d.name === DAEMON)!.listen;
    if (listen.transport !== 'ws') throw new Error('the browser daemon must listen on WebSocket');
    await page.goto(`${server.url}?daemon=${encodeURIComponent(wsUrl(listen))}`);
    await page.waitForSelector('#connection[data-daemon="connected"][data-mixnet="online"]', { timeout: 60_000 });
    // The page makes its channel (new_keypair) first; the form is enabled then.
    await page.waitForSelector('#send:not([disabled])', { timeout: 60_000 });
    await page.fill('#message', 'Hello from Chromium over a real mixnet');
    await page.click('#send');
    await page.waitForSelector('#messages li[data-seq="1"]', { timeout: 180_000 });
    expect(await page.locator('#messages li').allTextContents()).toEqual(['Hello from Chromium over a real mixnet']);
    expect(errors).toEqual([]);
  });
});
