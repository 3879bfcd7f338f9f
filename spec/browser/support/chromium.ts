/**
 * Headless Chromium for the browser specs: Debian's /usr/bin/chromium
 * through playwright-core (no browser is downloaded), a new empty profile
 * per launch. Specs skip, with one line saying so, when it is missing
 * (`apt-get install -y chromium`; .ci/run installs it).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';
// As root in a closed network: no sandbox (needs user namespaces), and none
// of Chromium's own connections (they are refused, many at a time).
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Why the browser specs are skipped here, or null when Chromium is there. */
export const chromiumSkipReason = existsSync(CHROMIUM) ? null : `${CHROMIUM} not found (apt-get install -y chromium)`;

/** `describe`, or `describe.skip` (saying why once) without Chromium. */
export function describeWithChromium(what: string): jest.Describe {
  if (chromiumSkipReason) console.log(`${what} skipped: ${chromiumSkipReason}`);
  return chromiumSkipReason ? describe.skip : describe;
}

/** A running headless Chromium with one page. */
export interface Chromium {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** Launches headless Chromium on a new, empty profile. */
export async function launchChromium(viewport = { width: 800, height: 600 }): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'kprx-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, viewport });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
