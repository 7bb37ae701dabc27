/**
 * The shared-trip page in a real browser (the machine's Chromium through playwright-core) against
 * the real stack: the customer shares an assigned ride, the page shows pickup, dropoff and the
 * driver without any login, follows the driver live and the status, and says so when the trip
 * has ended. Status changes reach it on the rides clock (virtual here): nothing sleeps.
 * Artifact: test-results/track-page.png.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium } from '../../test-support/browser.js';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveM } from '@drivrr/shared';
import type { ShareLinkCreated } from '@drivrr/shared/protocol';
import { VirtualClock } from '@drivrr/server-realtime';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { assignedRide, RIDE_PICKUP, type AssignedRide } from '../../server-realtime/test/support/assigned-ride.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = path.join(ROOT, 'test-results');
/** The search's poll, and the track view's, both on this clock. */
const clock = new VirtualClock();

let stack: TestStack;
let browser: Browser;
let page: Page;
let pageDir: string;
let ride: AssignedRide | undefined;
const pageErrors: string[] = [];

const eventually = <T>(read: () => Promise<T> | T, timeout = 15_000) => expect.poll(read, { timeout, interval: 100 });
const attr = (locator: Locator, name: string) => () => locator.getAttribute(name);
const entity = (kind: string) => page.locator(`[data-testid="entities"] li[data-kind="${kind}"]`);

beforeAll(async () => {
  pageDir = await mkdtemp(path.join(os.tmpdir(), 'track-page-e2e-'));
  await build({ configFile: path.join(ROOT, 'ops-map/vite.config.ts'), logLevel: 'silent', build: { outDir: pageDir, emptyOutDir: true } });
  stack = await startTestStack({ realtimeEnv: { OPS_MAP_DIR: pageDir, MATCH_STEP_MS: '200' }, realtimeClock: clock });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 420, height: 760 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // The 404/410 of a link that is unknown or over is expected; anything else is a defect.
    if (message.type() === 'error' && !/status of 4(04|10)/.test(message.text())) pageErrors.push(message.text());
  });
  await mkdir(RESULTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  await ride?.customer.close();
  await ride?.driver.close();
  await browser?.close();
  await stack?.stop();
  if (pageDir) await rm(pageDir, { recursive: true, force: true });
});

describe('the shared-trip page', () => {
  it('follows an assigned ride live without a login, until the trip ends', async () => {
    // Arrange: a ride on its way, shared by its customer.
    ride = await assignedRide(stack, clock, { driverName: 'Kashif', vehicleType: 'bike' });
    const start = moveM(RIDE_PICKUP, 180, 400);
    await ride.driver.request('location.update', start);
    const res = await fetch(`${stack.auth!.url}/api/rides/${ride.rideId}/share`, { method: 'POST', headers: { authorization: `Bearer ${ride.customerUser.token}` } });
    const link = (await res.json()) as ShareLinkCreated;

    // Act: someone opens the link.
    const response = await page.goto(`${stack.realtime!.url}/track/${link.token}`);

    // Assert: the page, its map and what it shows.
    expect(response?.status()).toBe(200);
    await eventually(attr(page.getByTestId('link-state'), 'data-state')).toBe('live');
    await eventually(attr(page.getByTestId('ride-status'), 'data-value')).toBe('assigned');
    expect(await page.getByTestId('driver').textContent()).toContain('Kashif');
    expect(await entity('pickup').getAttribute('data-lat')).toBe(String(RIDE_PICKUP.lat));
    expect(await entity('driver').getAttribute('data-lat')).toBe(String(start.lat));
    // Drawn as a bike (a triangle, as on the ops map), since that is what the ride asked for.
    expect(await entity('driver').getAttribute('data-vehicle-type')).toBe('bike');

    // The driver moves: the page follows.
    const nearer = moveM(RIDE_PICKUP, 180, 120);
    await ride.driver.request('location.update', nearer);
    await eventually(attr(entity('driver'), 'data-lat')).toBe(String(nearer.lat));
    await ride.driver.request('ride.arrived', { rideId: ride.rideId });
    await clock.advance(1_000);
    await eventually(attr(page.getByTestId('ride-status'), 'data-value')).toBe('arrived');
    await page.screenshot({ path: path.join(RESULTS, 'track-page.png') });

    // The trip ends: the page says so and the link is over.
    await ride.driver.request('ride.start', { rideId: ride.rideId });
    await ride.driver.request('ride.complete', { rideId: ride.rideId });
    await clock.advance(1_000);
    await eventually(attr(page.getByTestId('link-state'), 'data-state')).toBe('ended');
    expect(await page.getByTestId('ride-status').getAttribute('data-value')).toBe('completed');
    const reopened = await page.goto(`${stack.realtime!.url}/track/${link.token}`);
    expect(reopened?.status()).toBe(410);
    await eventually(attr(page.getByTestId('link-state'), 'data-state')).toBe('ended');
    expect(pageErrors).toEqual([]);
  });

  it('says a link it does not know shows no trip', async () => {
    const response = await page.goto(`${stack.realtime!.url}/track/${'x'.repeat(43)}`);
    expect(response?.status()).toBe(404);
    await eventually(attr(page.getByTestId('link-state'), 'data-state')).toBe('not_found');
    expect(pageErrors).toEqual([]);
  });
});
