import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestStack, type TestStack } from '../../../test-support/stack.js';
import { connect, eventually } from '../support/client.js';

const BACKPRESSURE_BYTES = 8 * 1024;

describe('backpressure on a follower that stops reading', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      auth: false,
      realtimeEnv: { ALLOW_ANY_FOLLOW: 'true', WS_RATE_PER_S: '1000000', WS_RATE_BURST: '1000000', WS_BACKPRESSURE_BYTES: String(BACKPRESSURE_BYTES) },
    });
  });
  afterAll(async () => stack.stop());

  it('keeps the server-side queue bounded, drops stale fixes, and delivers the latest once the client reads again', async () => {
    const driver = await createUser(stack, 'driver');
    const customer = await createUser(stack, 'customer');
    const d = await connect(stack.realtime!.wsUrl, driver.token);
    const c = await connect(stack.realtime!.wsUrl, customer.token);
    await d.request('driver.online', { lat: 24.8, lng: 67.0 });
    await c.request('driver.follow', { driverId: driver.id });
    await c.nextOfType('driver.location');
    c.ws.pause(); // the customer's app stops reading: the kernel buffers fill, then the server's

    let maxQueued = 0;
    const total = 120_000;
    for (let i = 1; i <= total; i++) {
      d.send('location.update', { lat: 24.8 + i * 1e-7, lng: 67.0, ts: Date.now() });
      if (i % 5_000 === 0) {
        await d.request('ping', {}); // the server has handled everything up to here
        const stats = stack.realtime!.inspect.socketStats(customer.id)!;
        maxQueued = Math.max(maxQueued, stats.bufferedAmount);
        expect(stats.pendingLocations).toBeLessThanOrEqual(1);
      }
    }
    const stats = stack.realtime!.inspect.socketStats(customer.id)!;
    // At most the threshold plus the frame that crossed it: 120k fixes did not pile up in memory.
    expect(maxQueued).toBeGreaterThan(0);
    expect(maxQueued).toBeLessThan(BACKPRESSURE_BYTES + 1_024);
    expect(stats.pendingLocations).toBe(1);
    const metrics = await (await fetch(`${stack.realtime!.url}/metrics`)).text();
    const dropped = Number(/drivrr_ws_dropped_frames_total\{reason="backpressure_coalesced"\} (\d+)/.exec(metrics)?.[1]);
    expect(dropped).toBeGreaterThan(1_000);

    c.ws.resume();
    const lastLat = 24.8 + total * 1e-7;
    await c.next((f) => f.type === 'driver.location' && f.data.lat === lastLat, 10_000);
    await eventually(() => expect(stack.realtime!.inspect.socketStats(customer.id)).toEqual({ bufferedAmount: 0, pendingLocations: 0 }));
    await d.request('driver.offline', {});
    await d.close();
    await c.close();
  }, 60_000);
});
