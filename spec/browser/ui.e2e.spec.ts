/**
 * The browser example end to end: the simulator with a WebSocket listener,
 * the example page bundled for browsers and served on localhost, driven in
 * headless Chromium (Debian's /usr/bin/chromium through playwright-core —
 * no browser is downloaded). The page must show the connection state live,
 * send a typed message with `write` and show it arriving through `tail$`.
 * Keeps a screenshot in artifacts/browser-e2e.png.
 *
 * Skipped, with one line saying so, when /usr/bin/chromium is missing
 * (`apt-get install -y chromium`; .ci/run installs it).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { SimulatorHandle } from 'katzenpost-rx/sim';
import { buildExamplePage, repoRoot } from '../../scripts/browser-bundle.js';
import { serveExample, type ExampleServer } from '../../examples/browser/serve.js';
import { startSpecSimulator } from '../support/spec-simulator.js';
import { describeWithChromium, launchChromium, type Chromium } from './support/chromium.js';

const SCREENSHOT = join(repoRoot, 'artifacts', 'browser-e2e.png');

describeWithChromium('browser end-to-end test')('the browser example in headless Chromium', () => {
  let sim: SimulatorHandle;
  let server: ExampleServer;
  let browser: Chromium;
  let page: Page;
  /** Uncaught exceptions and console errors of the page. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    sim = await startSpecSimulator({ realTime: 'a real browser drives the simulator; only results are asserted', listen: { ws: 'ws://127.0.0.1:0' }, seed: 'browser-e2e' });
    server = await serveExample((await buildExamplePage()).code);
    browser = await launchChromium();
    page = browser.page;
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await sim?.close();
  });

  it('shows the connection live, sends a message and shows it arriving', async () => {
    try {
      await page.goto(`${server.url}?daemon=${encodeURIComponent(sim.address)}`);
      const badge = page.locator('#connection');

      // state$ → badge: connected to the daemon, daemon online.
      await page.waitForSelector('#connection[data-daemon="connected"][data-mixnet="online"]');
      expect(await badge.textContent()).toBe('connected · mixnet online');
      expect(sim.stats().connections).toBe(1);

      // Live: the daemon losing its mixnet link shows, and so does its return.
      sim.setOnline(false);
      await page.waitForSelector('#connection[data-daemon="connected"][data-mixnet="offline"]');
      sim.setOnline(true);
      await page.waitForSelector('#connection[data-mixnet="online"]');

      // The form: enabled once the channel exists; a message goes out with write()…
      await page.waitForSelector('#send:not([disabled])');
      await page.fill('#message', 'Hello from Chromium');
      await page.click('#send');
      // …and comes back through tail$ into the list.
      await page.waitForSelector('#messages li[data-seq="1"]');
      expect(await page.locator('#messages li').allTextContents()).toEqual(['Hello from Chromium']);
      await page.waitForSelector('#outbox:text("1 sent")');
      expect(sim.stats().boxes).toBe(1);

      // A second one lands in the next box, in order.
      await page.fill('#message', 'and a second message');
      await page.press('#message', 'Enter');
      await page.waitForSelector('#messages li[data-seq="2"]');
      expect(await page.locator('#messages li').allTextContents()).toEqual(['Hello from Chromium', 'and a second message']);
      expect(sim.stats().boxes).toBe(2);
      expect(await page.inputValue('#message')).toBe('');

      expect(pageErrors).toEqual([]);
    } finally {
      // Kept either way: on a failure it shows where the page stood.
      mkdirSync(join(repoRoot, 'artifacts'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }
  });
});
