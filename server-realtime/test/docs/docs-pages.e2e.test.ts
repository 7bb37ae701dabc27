/**
 * The /api/docs pages in a real browser (the machine's Chromium through playwright-core): each
 * draws its document from files its own service serves, and makes no request to any other host
 * (the pages work offline), with no error in the page.
 */
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../../../test-support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../../test-support/stack.js';


let stack: TestStack;
let browser: Browser;

beforeAll(async () => {
  stack = await startTestStack();
  browser = await launchChromium();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** Opens `url` recording every request the page makes and every error it reports. */
async function open(url: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (request) => requests.push(request.url()));
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(url);
  return { page, requests, errors };
}

// The AsyncAPI page parses and validates the document in the browser: seconds on a busy machine.
const poll = <T>(read: () => Promise<T> | T) => expect.poll(read, { timeout: 60_000, interval: 200 });

describe('the docs pages in a browser', () => {
  it('draws the WebSocket messages of the AsyncAPI document with no request leaving the service', async () => {
    const base = stack.realtime!.url;
    const { page, requests, errors } = await open(`${base}/api/docs`);

    await poll(() => page.getByText('ride.request', { exact: false }).count()).toBeGreaterThan(0);
    await poll(() => page.getByText('bid.received', { exact: false }).count()).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith(base))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);

  it('draws the auth service operations with Swagger UI with no request leaving the service', async () => {
    const base = stack.auth!.url;
    const { page, requests, errors } = await open(`${base}/api/docs`);

    await poll(() => page.locator('.opblock').count()).toBeGreaterThan(10);
    await poll(() => page.getByText('/api/auth/otp/verify').count()).toBeGreaterThan(0);
    expect(requests.filter((url) => !url.startsWith(base))).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  }, 90_000);
});
