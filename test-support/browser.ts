/**
 * The machine's Chromium for the browser tests, through playwright-core: nothing downloads a
 * browser. The flags keep a headless Chromium off the network it would otherwise call home to
 * (this machine has none, and refused connections pile up) and let it run as root in CI.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (CI does this in .ci/run). This test never downloads a browser.`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
