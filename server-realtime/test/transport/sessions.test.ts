import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, startTestStack, type TestStack } from '../../../test-support/stack.js';
import { connect, delay } from '../support/client.js';
import { probeModule } from '../support/probe-module.js';

const GRACE_MS = 400;

describe('sessions: reconnect grace, replacement, dedupe, follows', () => {
  const probe = probeModule();
  const offline: string[] = [];
  /** Users to whom a module pushes a frame while their session.state is still being built. */
  const pushDuringState = new Set<string>();
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({
      auth: false,
      realtimeEnv: { DRIVER_GRACE_MS: String(GRACE_MS), ALLOW_ANY_FOLLOW: 'true' },
      realtimeModules: [
        probe.factory,
        (deps) => {
          deps.presence.onDriverOffline((driverId) => offline.push(driverId));
          deps.addSessionState(async (caller) => {
            if (!pushDuringState.has(caller.userId)) return {};
            deps.notifier.notify(caller.userId, 'ride.expired', { rideId: '00000000-0000-4000-8000-000000000001' });
            await delay(50);
            return {};
          });
          return { name: 'offline-recorder' };
        },
      ],
    });
  });
  afterAll(async () => stack.stop());

  it('keeps a driver online with its activity when it reconnects within the grace', async () => {
    const driver = await createUser(stack, 'driver');
    const first = await connect(stack.realtime!.wsUrl, driver.token);
    expect((await first.request('driver.online', { lat: 24.86, lng: 67.01 })).type).toBe('ack');
    stack.realtime!.inspect.presence.setActivity(driver.id, 'on_ride');
    await first.close();
    await delay(GRACE_MS / 4);

    const second = await connect(stack.realtime!.wsUrl, driver.token);
    expect(second.sessionState?.data.driver).toEqual({ online: true, location: { lat: 24.86, lng: 67.01 } });
    await delay(GRACE_MS * 1.5);
    expect(stack.realtime!.inspect.presence.get(driver.id)).toMatchObject({ activity: 'on_ride' });
    expect(offline).not.toContain(driver.id);
    await second.request('driver.offline', {});
    await second.close();
  });

  it('sends session.state first even when a module pushes to the user while it is being built', async () => {
    const customer = await createUser(stack, 'customer');
    pushDuringState.add(customer.id);
    const client = await connect(stack.realtime!.wsUrl, customer.token);
    await client.nextOfType('ride.expired');
    expect(client.arrivals.slice(0, 2)).toEqual(['session.state', 'ride.expired']);
    await client.close();
  });

  it('takes a driver offline and tells the modules once the grace runs out', async () => {
    const driver = await createUser(stack, 'driver');
    const client = await connect(stack.realtime!.wsUrl, driver.token);
    await client.request('driver.online', { lat: 24.9, lng: 67.1 });
    await client.close();
    expect(stack.realtime!.inspect.presence.get(driver.id)).toBeDefined();
    await delay(GRACE_MS * 2);
    expect(stack.realtime!.inspect.presence.get(driver.id)).toBeUndefined();
    expect(offline.filter((id) => id === driver.id)).toHaveLength(1);

    const back = await connect(stack.realtime!.wsUrl, driver.token);
    expect(back.sessionState?.data.driver).toEqual({ online: false, location: null });
    await back.close();
  });

  it('replaces the first socket on a second login: session.replaced, close 4001, and no grace for the old one', async () => {
    const driver = await createUser(stack, 'driver');
    const first = await connect(stack.realtime!.wsUrl, driver.token);
    await first.request('driver.online', { lat: 24.87, lng: 67.02 });
    const second = await connect(stack.realtime!.wsUrl, driver.token);

    expect(await first.nextOfType('session.replaced')).toMatchObject({ data: { reason: expect.any(String) } });
    expect(await first.closed).toBe(4001);
    expect(stack.realtime!.inspect.connections().driver).toBe(1);
    await delay(GRACE_MS * 2);
    expect(stack.realtime!.inspect.presence.get(driver.id)).toBeDefined();
    expect(offline).not.toContain(driver.id);
    expect((await second.request('ping', {})).type).toBe('ack');
    await second.request('driver.offline', {});
    await second.close();
  });

  it('applies a re-sent message id once and replays its first answer, also across a reconnect', async () => {
    const customer = await createUser(stack, 'customer');
    const rideId = randomUUID();
    const first = await connect(stack.realtime!.wsUrl, customer.token);
    const answer = await first.request('ride.cancel', { rideId, reason: 'changed my mind' }, 'dup-1');
    await first.close();

    const again = await connect(stack.realtime!.wsUrl, customer.token);
    const replay = await again.request('ride.cancel', { rideId, reason: 'changed my mind' }, 'dup-1');
    expect(replay).toEqual(answer);
    expect(probe.applied.get(rideId)).toBe(1);
    await again.close();
  });

  it('makes a duplicate that arrives while the first is in flight wait for the first answer', async () => {
    const customer = await createUser(stack, 'customer');
    const rideId = randomUUID();
    const client = await connect(stack.realtime!.wsUrl, customer.token);
    const answers: unknown[] = [];
    const both = client.next((f) => f.id === 'slow-1' && answers.push(f) === 2, 5_000);
    client.send('ride.cancel', { rideId, reason: 'slow please' }, 'slow-1');
    client.send('ride.cancel', { rideId, reason: 'slow please' }, 'slow-1');
    await both;
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]).toMatchObject({ type: 'ack', data: { applied: 1 } });
    expect(probe.applied.get(rideId)).toBe(1);
    await client.close();
  });

  it('replays an error answer too, and keeps ids of different users apart', async () => {
    const a = await createUser(stack, 'customer');
    const b = await createUser(stack, 'customer');
    const ca = await connect(stack.realtime!.wsUrl, a.token);
    const cb = await connect(stack.realtime!.wsUrl, b.token);
    const refused = await ca.request('ride.cancel', { rideId: randomUUID(), reason: 'refuse' }, 'same-id');
    expect(refused.error?.code).toBe('invalid_transition');
    expect(await ca.request('ride.cancel', { rideId: randomUUID(), reason: 'fine' }, 'same-id')).toEqual(refused);
    const rideId = randomUUID();
    expect(await cb.request('ride.cancel', { rideId, reason: 'fine' }, 'same-id')).toMatchObject({ type: 'ack' });
    expect(probe.applied.get(rideId)).toBe(1);
    await ca.close();
    await cb.close();
  });

  it('delivers driver.location to a follower, starting with the last known position', async () => {
    const driver = await createUser(stack, 'driver');
    const customer = await createUser(stack, 'customer');
    const d = await connect(stack.realtime!.wsUrl, driver.token);
    const c = await connect(stack.realtime!.wsUrl, customer.token);
    await d.request('driver.online', { lat: 24.8, lng: 67.0 });
    expect(await c.request('driver.follow', { driverId: driver.id })).toMatchObject({ type: 'ack', data: { driverId: driver.id, online: true } });
    expect((await c.nextOfType('driver.location')).data).toMatchObject({ driverId: driver.id, lat: 24.8, lng: 67.0 });

    const ts = Date.now() - 1_000;
    d.send('location.update', { lat: 24.81, lng: 67.01, heading: 45, ts });
    expect((await c.nextOfType('driver.location')).data).toEqual({ driverId: driver.id, lat: 24.81, lng: 67.01, heading: 45, ts });

    await c.request('driver.unfollow', {});
    d.send('location.update', { lat: 24.82, lng: 67.02 });
    await d.request('ping', {});
    await c.request('ping', {});
    expect(c.frames.filter((f) => f.type === 'driver.location')).toHaveLength(0);
    await d.request('driver.offline', {});
    await d.close();
    await c.close();
  });

  it('keeps a module follow across the follower reconnecting', async () => {
    const driver = await createUser(stack, 'driver');
    const customer = await createUser(stack, 'customer');
    const d = await connect(stack.realtime!.wsUrl, driver.token);
    await d.request('driver.online', { lat: 24.8, lng: 67.0 });
    // What the rides module does after an assignment, through the same seam it gets.
    const server = stack.realtime!;
    const c1 = await connect(server.wsUrl, customer.token);
    server.inspect.follows.follow(customer.id, driver.id);
    await c1.close();
    const c2 = await connect(server.wsUrl, customer.token);
    d.send('location.update', { lat: 24.805, lng: 67.005 });
    expect((await c2.nextOfType('driver.location')).data).toMatchObject({ driverId: driver.id, lat: 24.805 });
    server.inspect.follows.unfollow(customer.id, driver.id);
    await c2.close();
    await d.request('driver.offline', {});
    await d.close();
  });
});
