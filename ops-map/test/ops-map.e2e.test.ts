/**
 * The ops page in a real browser (the machine's Chromium through playwright-core) against the
 * real stack: an operator signs in with OTP, a ride is played through the real protocol, and the
 * page shows it. Then 500 moving drivers are fed through 500 real driver sockets and the page's
 * frame time is measured (reported, with only a very loose sanity bound).
 * Artifacts: test-results/ops-map.png, test-results/ops-map-500.png, test-results/ops-map-frames.json.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
import { launchChromium } from '../../test-support/browser.js';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProtocolClient } from '@drivrr/simulators';
import { ManualClock } from '../../test-support/manual-clock.js';
import { createUser, startTestStack, tokenFor, type TestStack, type TestUser } from '../../test-support/stack.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = path.join(ROOT, 'test-results');
const OPERATOR_PHONE = '+923990000077';
const SADDAR = { lat: 24.8575, lng: 67.0295 };

let stack: TestStack;
/** The realtime service's clock of token lifetimes: moved only by the last test (token refresh). */
const clock = new ManualClock();
let browser: Browser;
let page: Page;
let pageDir: string;
const clients: ProtocolClient[] = [];
/** Uncaught errors and console errors of the page: there must be none. */
const pageErrors: string[] = [];

async function connect(token: string, label: string, keepInbox = true): Promise<ProtocolClient> {
  const client = new ProtocolClient({ wsUrl: stack.realtime!.wsUrl, token: async () => token, keepInbox, label });
  clients.push(client);
  await client.connect();
  return client;
}

/** playwright-core has no web-first assertions: poll with vitest, long enough for a few snapshots. */
const eventually = <T>(read: () => Promise<T> | T, timeout = 15_000) => expect.poll(read, { timeout, interval: 100 });
const attr = (locator: Locator, name: string) => () => locator.getAttribute(name);
const count = (locator: Locator) => () => locator.count();
const text = (locator: Locator) => async () => (await locator.textContent()) ?? '';
const visible = (locator: Locator) => () => locator.isVisible();

const entity = (kind: string, id?: string) => page.locator(`[data-testid="entities"] li[data-kind="${kind}"]${id ? `[data-id="${id}"]` : ''}`);
const counter = async (testId: string) => Number(await page.getByTestId(testId).getAttribute('data-value'));

beforeAll(async () => {
  // The page as the service would serve it, built into a folder of this test's own.
  pageDir = await mkdtemp(path.join(os.tmpdir(), 'ops-map-e2e-'));
  await build({ configFile: path.join(ROOT, 'ops-map/vite.config.ts'), logLevel: 'silent', build: { outDir: pageDir, emptyOutDir: true } });
  stack = await startTestStack({
    authEnv: { OPERATOR_PHONES: OPERATOR_PHONE, OTP_TEST_PHONES: `${OPERATOR_PHONE}=000000` },
    realtimeEnv: { OPS_MAP_DIR: pageDir, OPS_SNAPSHOT_MS: '250', OPS_BOARD_MS: '250' },
    sessionClock: clock,
  });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  await mkdir(RESULTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await browser?.close();
  await stack?.stop();
  if (pageDir) await rm(pageDir, { recursive: true, force: true });
});

/** The operator signs in through the page's form (test phone, fixed code) and the page goes live. */
async function signInThroughForm(): Promise<void> {
  await page.fill('#login-phone', OPERATOR_PHONE);
  await page.getByTestId('login-send').click();
  await eventually(text(page.getByTestId('login-message'))).toContain('Code sent');
  await page.fill('#login-code', '000000');
  await page.getByTestId('login-verify').click();
  await eventually(attr(page.getByTestId('link-state'), 'data-state')).toBe('live');
}

describe('the live operations map', () => {
  let rideId: string;
  const drivers: { user: TestUser; client: ProtocolClient }[] = [];

  it('signs an operator in with a one-time code and goes live', async () => {
    await page.goto(`${stack.realtime!.url}/ops?auth=${encodeURIComponent(stack.auth!.url)}`);
    await eventually(visible(page.getByTestId('login'))).toBe(true);
    await signInThroughForm();
    await eventually(visible(page.getByTestId('login'))).toBe(false);
  });

  it('shows drivers as they come online and move, each with its vehicle type', async () => {
    for (let i = 0; i < 3; i += 1) {
      // The third rides a bike: the map draws it as a triangle, not a dot.
      const user = await createUser(stack, 'driver', { name: `Driver ${i + 1}`, vehicleType: i === 2 ? 'bike' : 'car' });
      const client = await connect(user.token, `driver${i}`);
      await client.request('driver.online', { lat: SADDAR.lat + 0.002 * (i + 1), lng: SADDAR.lng + 0.002 });
      drivers.push({ user, client });
    }
    await eventually(count(entity('driver'))).toBe(3);
    await eventually(attr(entity('driver', drivers[0]!.user.id), 'data-status')).toBe('idle');
    await eventually(() => counter('counter-drivers-online')).toBe(3);
    await eventually(attr(entity('driver', drivers[2]!.user.id), 'data-vehicle-type')).toBe('bike');
    await eventually(attr(entity('driver', drivers[0]!.user.id), 'data-vehicle-type')).toBe('car');
    await eventually(visible(page.getByTestId('vehicle-legend'))).toBe(true);
    await drivers[2]!.client.request('location.update', { lat: 24.8611, lng: 67.0344 });
    await eventually(async () => [await entity('driver', drivers[2]!.user.id).getAttribute('data-lat'), await entity('driver', drivers[2]!.user.id).getAttribute('data-lng')]).toEqual(['24.8611', '67.0344']);
  });

  it('shows a request with its asked fare and the bids arriving', async () => {
    const customer = await createUser(stack, 'customer', { name: 'Sana' });
    const customerClient = await connect(customer.token, 'customer');
    const ack = (await customerClient.request('ride.request', {
      pickup: { ...SADDAR, address: 'Empress Market' },
      dropoff: { lat: 24.8138, lng: 67.0299, address: 'Clifton Beach' },
      fare: 60_000,
      paymentMethod: 'cash',
    })) as { rideId: string };
    rideId = ack.rideId;
    await eventually(attr(entity('request', rideId), 'data-fare')).toBe('60000');
    await eventually(attr(entity('request', rideId), 'data-open-bids')).toBe('0');
    await eventually(attr(entity('request', rideId), 'data-vehicle-type')).toBe('car');

    for (const d of drivers.slice(0, 2)) await d.client.waitFor('ride.requested', (f) => f.data.ride.id === rideId);
    await drivers[0]!.client.request('bid.place', { rideId, fare: 60_000 });
    const counter2 = (await drivers[1]!.client.request('bid.place', { rideId, fare: 65_000 })) as { bid: { id: string } };

    await eventually(attr(entity('request', rideId), 'data-open-bids')).toBe('2');
    await eventually(attr(entity('request', rideId), 'data-best-bid')).toBe('60000');
    await eventually(attr(entity('driver', drivers[0]!.user.id), 'data-status')).toBe('offered');
    await eventually(text(page.getByTestId('request-list'))).toContain('2 bids, best Rs 600');

    // The customer takes the counter-offer.
    await customerClient.request('bid.accept', { rideId, bidId: counter2.bid.id });
  });

  it('draws the assigned ride as a line from the driver to the pickup to the dropoff', async () => {
    const ride = entity('ride', rideId);
    await eventually(attr(ride, 'data-status')).toBe('assigned');
    await eventually(attr(ride, 'data-driver-id')).toBe(drivers[1]!.user.id);
    await eventually(attr(ride, 'data-line-points')).toBe('3');
    await eventually(count(entity('request', rideId))).toBe(0);
    await eventually(attr(entity('driver', drivers[1]!.user.id), 'data-status')).toBe('on_ride');
    // The driver heads for the pickup; the line follows.
    await drivers[1]!.client.request('location.update', { lat: SADDAR.lat + 0.003, lng: SADDAR.lng + 0.001 });
    await drivers[1]!.client.request('ride.arrived', { rideId });
    await eventually(attr(ride, 'data-status')).toBe('arrived');
  });

  it('shows counters that match the database', async () => {
    await eventually(async () => {
        const { rows } = await stack.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM rides GROUP BY status`);
        const db = Object.fromEntries(rows.map((r) => [r.status, r.n]));
        const shown: Record<string, number> = {};
        for (const status of ['requested', 'assigned', 'arrived', 'in_progress', 'completed', 'cancelled', 'expired']) {
          const value = await counter(`rides-${status}`);
          if (value !== 0) shown[status] = value;
        }
        return { db, shown, open: await counter('counter-requests-open'), online: await counter('counter-drivers-online') };
    }).toEqual({ db: { arrived: 1 }, shown: { arrived: 1 }, open: 0, online: 3 });
    const { rows } = await stack.query<{ s: number }>(`SELECT extract(epoch FROM assigned_at - created_at)::float8 AS s FROM rides WHERE id = $1`, [rideId]);
    await eventually(() => counter('counter-median-assign')).toBeCloseTo(rows[0]!.s, 0);
  });

  it('opens the ride timeline when the ride is clicked on the map', async () => {
    const ride = entity('ride', rideId);
    const x = Number(await ride.getAttribute('data-x'));
    const y = Number(await ride.getAttribute('data-y'));
    await page.mouse.click(x, y);
    const timeline = page.getByTestId('timeline');
    await eventually(visible(timeline)).toBe(true);
    await eventually(attr(timeline, 'data-ride-id')).toBe(rideId);
    const { rows } = await stack.query<{ type: string }>(`SELECT type FROM ride_events WHERE ride_id = $1 ORDER BY id`, [rideId]);
    expect(rows.length).toBeGreaterThanOrEqual(3);
    await eventually(count(page.getByTestId('timeline-event'))).toBe(rows.length);
    await eventually(text(page.getByTestId('timeline-events'))).toContain(rows.at(-1)!.type);
    await eventually(count(page.getByTestId('timeline-bid'))).toBe(2);
    await page.screenshot({ path: path.join(RESULTS, 'ops-map.png') });
  });

  it('pans with a drag and zooms with the wheel and the buttons', async () => {
    const ride = entity('ride', rideId);
    const at = async () => ({ x: Number(await ride.getAttribute('data-x')), y: Number(await ride.getAttribute('data-y')) });
    const lineLength = async () => {
      const pts = ((await ride.getAttribute('data-line')) ?? '').split(' ').map((p) => p.split(',').map(Number) as [number, number]);
      // The pickup -> dropoff leg: fixed points (the driver's end may still be gliding).
      return Math.hypot(pts.at(-1)![0] - pts.at(-2)![0], pts.at(-1)![1] - pts.at(-2)![1]);
    };
    const before = await at();
    // Drag from an empty spot of the sea-side map, well away from the panels.
    await page.mouse.move(700, 700);
    await page.mouse.down();
    await page.mouse.move(760, 660, { steps: 5 });
    await page.mouse.up();
    await eventually(at).toEqual({ x: before.x + 60, y: before.y - 40 });

    const length = await lineLength();
    await page.mouse.move(700, 500);
    await page.mouse.wheel(0, -400); // zoom in around the pointer
    await eventually(lineLength).toBeGreaterThan(length * 1.5);
    const zoomed = await lineLength();
    await page.getByTestId('zoom-out').click();
    // Screen points are whole pixels: compare the ratio, not the exact length.
    await eventually(async () => Math.abs((await lineLength()) / zoomed - 1 / 1.5)).toBeLessThan(0.02);
  });

  it('raised no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });

  it('never shows a phone number or a token in the page', async () => {
    const html = await page.content();
    const storage = await page.evaluate(() => document.body.innerText);
    for (const text of [html, storage]) {
      expect(text).not.toContain(OPERATOR_PHONE);
      for (const d of drivers) expect(text).not.toContain(d.user.phone);
    }
  });

  it('takes an operator token handed in the address (drivrr login --role operator --json)', async () => {
    const operator = await createUser(stack, 'operator');
    const other = await browser.newPage();
    try {
      await other.goto(`${stack.realtime!.url}/ops?token=${operator.token}`);
      await expect.poll(() => other.getByTestId('link-state').getAttribute('data-state'), { timeout: 15_000, interval: 100 }).toBe('live');
      expect(other.url()).not.toContain(operator.token);
      expect(await other.getByTestId('login').isVisible()).toBe(false);
      await expect.poll(() => other.locator('[data-testid="entities"] li[data-kind="driver"]').count(), { timeout: 15_000 }).toBe(3);
    } finally {
      await other.close();
    }
  });

  it('asks to sign in again when the service refuses its token', async () => {
    const other = await browser.newPage();
    try {
      const forged = tokenFor(stack.keys, '00000000-0000-4000-8000-000000000000', 'operator', -60); // expired
      await other.goto(`${stack.realtime!.url}/ops?token=${forged}&auth=${encodeURIComponent(stack.auth!.url)}`);
      expect(other.url()).not.toContain('token=');
      await expect.poll(() => other.getByTestId('login').isVisible(), { timeout: 15_000, interval: 100 }).toBe(true);
      await expect.poll(async () => (await other.getByTestId('login-message').textContent()) ?? '', { timeout: 5_000 }).toContain('Signed out');
      expect(await other.getByTestId('link-state').getAttribute('data-state')).toBe('refused');
    } finally {
      await other.close();
    }
  });

  it('subscribes again after a reload (new message ids: not a replay of the first subscribe)', async () => {
    await page.reload();
    await eventually(attr(page.getByTestId('link-state'), 'data-state')).toBe('live');
    await eventually(() => page.evaluate(() => window.drivrrOps.seq())).toBeGreaterThan(0);
    await eventually(count(entity('driver'))).toBe(3);
  });

  it('stays responsive with 500 drivers moving (frame time measured)', async () => {
    const n = 500;
    // 500 real driver accounts and sockets, moving about every second around central Karachi.
    const { rows } = await stack.query<{ id: string }>(
      `INSERT INTO users (phone, role, name)
       SELECT '+9231' || lpad(g::text, 8, '0'), 'driver', 'Fleet ' || g FROM generate_series(1, $1) g RETURNING id`,
      [n],
    );
    // driver.online needs a vehicle on file
    await stack.query(
      `INSERT INTO vehicles (driver_id, make, model, color, plate, type)
       SELECT id, 'Suzuki', 'Alto', 'White', 'FLEET-' || n, 'car' FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)`,
      [rows.map((r) => r.id)],
    );
    const fleet: { client: ProtocolClient; lat: number; lng: number; dLat: number; dLng: number }[] = [];
    for (let i = 0; i < rows.length; i += 50) {
      const batch = await Promise.all(
        rows.slice(i, i + 50).map(async (row, k) => {
          const client = await connect(tokenFor(stack.keys, row.id, 'driver'), `fleet${i + k}`, false);
          const angle = ((i + k) * 137.5 * Math.PI) / 180;
          const r = 0.01 + 0.05 * (((i + k) * 7919) % 1000) / 1000;
          const lat = SADDAR.lat + 0.03 + r * Math.sin(angle);
          const lng = SADDAR.lng + 0.04 + r * Math.cos(angle);
          await client.request('driver.online', { lat, lng });
          return { client, lat, lng, dLat: 0.0002 * Math.cos(angle), dLng: -0.0002 * Math.sin(angle) };
        }),
      );
      fleet.push(...batch);
    }
    // Each driver reports once a second, at its own moment: a tenth of the fleet every 100 ms.
    let tick = 0;
    const mover = setInterval(() => {
      tick += 1;
      for (let i = tick % 10; i < fleet.length; i += 10) {
        const d = fleet[i]!;
        d.lat += d.dLat;
        d.lng += d.dLng;
        d.client.post('location.update', { lat: d.lat, lng: d.lng });
      }
    }, 100);
    try {
      await eventually(() => counter('counter-drivers-online'), 30_000).toBe(n + 3);
      await eventually(count(entity('driver'))).toBe(n + 3);
      await page.getByTestId('zoom-fit').click();
      // A second operator, outside the browser, weighs what the channel carries meanwhile.
      const watcher = await connect(tokenFor(stack.keys, (await createUser(stack, 'operator')).id, 'operator'), 'watcher', false);
      const sizes: { full: boolean; bytes: number }[] = [];
      watcher.on('ops.snapshot', (frame) => sizes.push({ full: frame.data.full, bytes: JSON.stringify(frame.data).length }));
      await watcher.request('ops.subscribe', {});
      await page.evaluate(() => window.drivrrOps.resetFrameStats());
      const seqBefore = await page.evaluate(() => window.drivrrOps.seq());
      await page.waitForTimeout(6_000);
      const stats = await page.evaluate(() => window.drivrrOps.frameStats());
      const seqAfter = await page.evaluate(() => window.drivrrOps.seq());
      watcher.close();
      const deltas = sizes.filter((x) => !x.full);
      const channel = {
        snapshots: sizes.length,
        bytesPerS: Math.round(sizes.reduce((a, x) => a + x.bytes, 0) / 6),
        fullBytes: sizes.find((x) => x.full)?.bytes ?? 0,
        deltaBytesMean: deltas.length ? Math.round(deltas.reduce((a, x) => a + x.bytes, 0) / deltas.length) : 0,
      };
      await page.screenshot({ path: path.join(RESULTS, 'ops-map-500.png') });
      const report = { drivers: n + 3, windowMs: 6_000, snapshotsApplied: seqAfter - seqBefore, channel, ...stats };
      await writeFile(path.join(RESULTS, 'ops-map-frames.json'), `${JSON.stringify(report, null, 2)}\n`);
      process.stderr.write(`ops map, ${n + 3} drivers: ${JSON.stringify(report)}\n`);
      // Snapshots kept coming at the paced rate (about 4/s), and frames kept being drawn.
      expect(report.snapshotsApplied).toBeGreaterThanOrEqual(10);
      expect(stats.frames).toBeGreaterThan(30);
      // A very loose sanity bound only: the figure itself is reported, not asserted.
      expect(stats.frameMs.p50).toBeLessThan(500);
    } finally {
      clearInterval(mover);
    }
  }, 120_000);

  it('signs out (forgetting the tokens) and back in', async () => {
    await page.getByTestId('sign-out').click();
    await eventually(visible(page.getByTestId('login'))).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await signInThroughForm();
    await eventually(() => counter('counter-drivers-online')).toBeGreaterThanOrEqual(3);
    expect(pageErrors).toEqual([]);
  });

  // Last: it moves the service's token clock past the tokens of every earlier test.
  it('refreshes its token on session.expiring and hands it to the open socket, as a good app does', async () => {
    const before = await page.evaluate(() => sessionStorage.getItem('drivrr.ops.accessToken'));
    const { iat, exp } = JSON.parse(Buffer.from(before!.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
    const refreshesBefore = await metric('drivrr_ws_messages_in_total{type="session.refresh"}');
    const refusalsBefore = await metric('drivrr_ws_error_frames_total{code="invalid_token"}');
    const acksBefore = await metric('drivrr_ws_messages_out_total{type="ack"}');

    clock.advanceTo(exp * 1000 - Math.min(60_000, ((exp - iat) * 1000) / 2));

    await eventually(() => page.evaluate(() => sessionStorage.getItem('drivrr.ops.accessToken'))).not.toBe(before);
    // At least the page's: the simulated drivers of earlier tests (ProtocolClient) answer session.expiring
    // too, as good apps do, when the clock passes their tokens' warning time (how many depends on
    // when each token was signed, so the count is not exact).
    await eventually(() => metric('drivrr_ws_messages_in_total{type="session.refresh"}')).toBeGreaterThanOrEqual(refreshesBefore + 1);
    // every refresh was acked, none refused
    await eventually(() => metric('drivrr_ws_messages_out_total{type="ack"}')).toBeGreaterThan(acksBefore);
    expect(await metric('drivrr_ws_error_frames_total{code="invalid_token"}')).toBe(refusalsBefore);
    expect(await page.getByTestId('link-state').getAttribute('data-state')).toBe('live');
    expect(pageErrors).toEqual([]);
  });
});

/** A counter of the realtime service's /metrics (0 when absent). */
async function metric(series: string): Promise<number> {
  const text = await (await fetch(`${stack.realtime!.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

