/**
 * POST /api/locations against the real realtime service, real sockets and PostgreSQL: fixes of a
 * driver whose socket the phone suspended reach the following customer; stale, future and
 * inaccurate ones are skipped; an offline driver is never made offerable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moveM } from '@drivrr/shared';
import type { LocationFix } from '@drivrr/shared/protocol';
import { VirtualClock } from '@drivrr/server-realtime';
import { LOCATION_BATCH_BURST, LOCATION_BATCHES_PER_S } from '../src/locations/module.js';
import { createUser, startTestStack, type TestStack } from '../../test-support/stack.js';
import type { WsTestClient } from './rides/support/ws-client.js';
import { assignedRide, RIDE_PICKUP as PICKUP } from './support/assigned-ride.js';

const clock = new VirtualClock();
let stack: TestStack;
const clients: WsTestClient[] = [];

beforeAll(async () => {
  stack = await startTestStack({ auth: false, realtimeEnv: { MATCH_STEP_MS: '200' }, realtimeClock: clock });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stack.stop();
});

function postFixes(token: string | undefined, body: unknown): Promise<Response> {
  return fetch(`${stack.realtime!.url}/api/locations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * A time for fixes: after anything the socket path stamped (it uses the real time) and a few
 * seconds before the service's now (the virtual clock, moved ahead of the real time first).
 */
async function fixTimeBase(): Promise<number> {
  await clock.advance(Math.max(0, Date.now() - clock.now()) + 5_000);
  return clock.now() - 4_000;
}

async function rideWithSockets() {
  const ride = await assignedRide(stack, clock);
  clients.push(ride.customer, ride.driver);
  return ride;
}

describe('POST /api/locations', () => {
  it('delivers the newest good fix of an on-ride driver whose socket dropped to the customer, skipping the bad ones', async () => {
    // Arrange: the driver's socket is gone (the phone suspended the app).
    const { driverUser, customer, driver } = await rideWithSockets();
    await driver.close();
    const t = await fixTimeBase();
    const newest = moveM(PICKUP, 180, 250);
    const fixes: LocationFix[] = [
      { ...moveM(PICKUP, 180, 400), ts: t + 1_000 },
      { ...newest, heading: 10, speed: 8, accuracyM: 12, ts: t + 2_000 },
      { ...moveM(PICKUP, 0, 5_000), accuracyM: 400, ts: t + 3_000 },
      { ...moveM(PICKUP, 0, 5_000), ts: t + 10 * 60_000 },
    ];

    // Act
    const res = await postFixes(driverUser.token, { fixes });

    // Assert
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, skipped: 2, applied: true });
    const seen = await customer.waitFor('driver.location', (d) => d.driverId === driverUser.id && Math.abs(d.lat - newest.lat) < 1e-9);
    expect(seen).toMatchObject({ lng: newest.lng, heading: 10, ts: t + 2_000 });
    expect(stack.realtime!.inspect.presence.get(driverUser.id)).toMatchObject({ activity: 'on_ride', location: newest });

    // A batch taken before what the server already has is skipped whole, and moves nobody.
    const stale = await postFixes(driverUser.token, { fixes: [{ ...moveM(PICKUP, 0, 3_000), ts: t + 1_500 }] });
    expect(await stale.json()).toEqual({ accepted: 0, skipped: 1, applied: false });
    expect(stack.realtime!.inspect.presence.get(driverUser.id)?.location).toEqual(newest);
  });

  it('brings back a driver on a ride who had gone offline, visible to the customer but offered nothing', async () => {
    // Arrange: the driver went offline (the grace ran out, here said outright) and the socket is gone.
    const { driverUser, customer, driver } = await rideWithSockets();
    await driver.request('driver.offline', {});
    await driver.close();
    expect(stack.realtime!.inspect.presence.get(driverUser.id)).toBeUndefined();
    const at = moveM(PICKUP, 180, 100);

    // Act
    const res = await postFixes(driverUser.token, { fixes: [{ ...at, ts: (await fixTimeBase()) + 500 }] });

    // Assert
    expect(await res.json()).toEqual({ accepted: 1, skipped: 0, applied: true });
    await customer.waitFor('driver.location', (d) => d.driverId === driverUser.id && Math.abs(d.lat - at.lat) < 1e-9);
    expect(stack.realtime!.inspect.presence.get(driverUser.id)).toMatchObject({ activity: 'on_ride' });
    expect(stack.realtime!.inspect.presence.nearestIdle(at, 10_000, 100).map((d) => d.driverId)).not.toContain(driverUser.id);
  });

  it('never puts an offline driver who is not on a ride into presence: new offers need the socket', async () => {
    const driverUser = await createUser(stack, 'driver');

    const res = await postFixes(driverUser.token, { fixes: [{ ...PICKUP, ts: await fixTimeBase() }] });

    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, skipped: 0, applied: false });
    expect(stack.realtime!.inspect.presence.get(driverUser.id)).toBeUndefined();
  });

  it('refuses what is not a driver with a valid batch, in the contract error shape', async () => {
    const driverUser = await createUser(stack, 'driver');
    const customerUser = await createUser(stack, 'customer');
    const t = await fixTimeBase();
    const one = { fixes: [{ ...PICKUP, ts: t }] };
    const tooMany = { fixes: Array.from({ length: 101 }, (_, i) => ({ ...PICKUP, ts: t + i })) };
    const cases: [string | undefined, unknown, number, string][] = [
      [undefined, one, 401, 'unauthenticated'],
      ['not-a-token', one, 401, 'invalid_token'],
      [customerUser.token, one, 403, 'forbidden'],
      [driverUser.token, { fixes: [] }, 400, 'validation_failed'],
      [driverUser.token, tooMany, 400, 'validation_failed'],
      [driverUser.token, { fixes: [{ lat: 91, lng: 0, ts: t }] }, 400, 'validation_failed'],
      [driverUser.token, { fixes: [{ lat: 24.8, lng: 67, ts: t, accuracyM: 'good' }] }, 400, 'validation_failed'],
      [driverUser.token, '{"fixes": [', 400, 'invalid_json'],
    ];
    for (const [token, body, status, code] of cases) {
      const res = await postFixes(token, body);
      expect({ status: res.status, body: await res.json() }).toMatchObject({ status, body: { error: { code, message: expect.any(String) } } });
    }
    const get = await fetch(`${stack.realtime!.url}/api/locations`, { headers: { authorization: `Bearer ${driverUser.token}` } });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('answers a driver who floods it with 429 rate_limited and Retry-After, and serves again later', async () => {
    // Arrange
    const driverUser = await createUser(stack, 'driver');
    const t = await fixTimeBase();
    const batch = (i: number) => ({ fixes: [{ ...PICKUP, ts: t + i }] });

    // Act: the burst, then one more at the same (virtual) moment.
    const statuses: number[] = [];
    for (let i = 0; i < LOCATION_BATCH_BURST; i += 1) statuses.push((await postFixes(driverUser.token, batch(i))).status);
    const refused = await postFixes(driverUser.token, batch(LOCATION_BATCH_BURST));

    // Assert
    expect(statuses.every((status) => status === 202)).toBe(true);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
    await clock.advance(1_000 / LOCATION_BATCHES_PER_S);
    expect((await postFixes(driverUser.token, batch(LOCATION_BATCH_BURST + 1))).status).toBe(202);
  });
});
