/**
 * One contract per port the feature modules see (Notifier, DriverPresence with PresenceEvents,
 * LocationFollows, message receipts, session replacement), run against the local implementation
 * (one process: acting and observing node are the same) and the Redis one (two nodes: the port is
 * used on one node, its effect observed on the other). Same sentences, same assertions.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KARACHI_CENTER, moveM } from '@drivrr/shared';
import type { RealtimeModuleDeps, RealtimeModuleFactory, RealtimeServer } from '@drivrr/server-realtime';
import { startClusterStack } from '../../../test-support/cluster.js';
import { createUser, startTestStack, type TestStack } from '../../../test-support/stack.js';
import { connect, eventually } from '../support/client.js';
import { probeModule, type ProbeModule } from '../support/probe-module.js';

const GRACE_MS = 300;
const ENV = { DRIVER_GRACE_MS: String(GRACE_MS), ALLOW_ANY_FOLLOW: 'true' };

interface NodeUnderTest {
  server: RealtimeServer;
  deps: RealtimeModuleDeps;
  offline: string[];
  probe: ProbeModule;
}

interface Rig {
  stack: TestStack;
  /** Where the port is used. */
  act: NodeUnderTest;
  /** Where its effect must show (the same node in single mode). */
  observe: NodeUnderTest;
  nodes: NodeUnderTest[];
  stop(): Promise<void>;
}

/** Per node, in start order: its module deps, the offline announcements it made, a probe. */
function recorders(): { factories: RealtimeModuleFactory[]; seen: Omit<NodeUnderTest, 'server'>[] } {
  const seen: Omit<NodeUnderTest, 'server'>[] = [];
  const probes: ProbeModule[] = [];
  const factories: RealtimeModuleFactory[] = [
    (deps) => {
      const probe = probeModule();
      probes.push(probe);
      return probe.factory(deps);
    },
    (deps) => {
      const entry = { deps, offline: [] as string[], probe: probes[probes.length - 1]! };
      deps.presence.onDriverOffline((driverId) => entry.offline.push(driverId));
      seen.push(entry);
      return { name: 'recorder' };
    },
  ];
  return { factories, seen };
}

const rigs: Record<'local' | 'redis', () => Promise<Rig>> = {
  async local() {
    const { factories, seen } = recorders();
    const stack = await startTestStack({ auth: false, realtimeEnv: ENV, realtimeModules: factories });
    const node = { server: stack.realtime!, ...seen[0]! };
    return { stack, act: node, observe: node, nodes: [node], stop: () => stack.stop() };
  },
  async redis() {
    const { factories, seen } = recorders();
    const cluster = await startClusterStack({ nodes: 2, env: ENV, modules: factories });
    const nodes = cluster.nodes.map((server, i) => ({ server, ...seen[i]! }));
    return { stack: cluster.stack, act: nodes[0]!, observe: nodes[1]!, nodes, stop: () => cluster.stop() };
  },
};

describe.each(['local', 'redis'] as const)('the ports of the realtime modules (%s implementation)', (kind) => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await rigs[kind]();
  });
  afterAll(async () => rig?.stop());

  const offlineCount = (driverId: string) => rig.nodes.reduce((n, node) => n + node.offline.filter((id) => id === driverId).length, 0);

  it('Notifier: reaches a user wherever connected, and isConnected follows the socket', async () => {
    const customer = await createUser(rig.stack, 'customer');
    const client = await connect(rig.observe.server.wsUrl, customer.token);
    await eventually(() => expect(rig.act.deps.notifier.isConnected(customer.id)).toBe(true));

    const rideId = randomUUID();
    expect(rig.act.deps.notifier.notify(customer.id, 'ride.expired', { rideId }, { seq: 7 })).toBe(true);

    const frame = await client.nextOfType('ride.expired');
    expect(frame).toMatchObject({ seq: 7, data: { rideId } });
    await client.close();
    await eventually(() => expect(rig.act.deps.notifier.isConnected(customer.id)).toBe(false));
    expect(rig.act.deps.notifier.notify(customer.id, 'ride.expired', { rideId })).toBe(false);
  });

  it('DriverPresence: finds a driver from any node, hides him when another node sets him on a ride, and announces his offline once', async () => {
    const driver = await createUser(rig.stack, 'driver');
    const client = await connect(rig.act.server.wsUrl, driver.token);
    const at = moveM(KARACHI_CENTER, 10, 50_000 + Math.random() * 1_000);
    await client.request('driver.online', at);

    // In a cluster the fix lands in Redis just after its ack: poll.
    await eventually(async () => {
      const found = await rig.observe.deps.presence.nearestIdle(at, 500, 5);
      expect(found.map((d) => d.driverId)).toEqual([driver.id]);
      expect(found[0]!.distanceM).toBeLessThan(1);
    });

    rig.observe.deps.presence.setActivity(driver.id, 'on_ride');
    await eventually(async () => {
      expect(await rig.act.deps.presence.nearestIdle(at, 500, 5)).toEqual([]);
      expect(rig.act.deps.presence.get(driver.id)?.activity).toBe('on_ride');
    });

    await client.request('driver.offline', {});
    await eventually(() => expect(offlineCount(driver.id)).toBe(1));
    await client.request('ping', {});
    expect(offlineCount(driver.id)).toBe(1);
    await client.close();
  });

  it('DriverPresence: a driver whose socket is gone past the grace is announced offline once, and a reconnect on any node within it keeps him', async () => {
    const [leaving, returning] = await Promise.all([createUser(rig.stack, 'driver'), createUser(rig.stack, 'driver')]);
    const at = moveM(KARACHI_CENTER, 200, 60_000 + Math.random() * 1_000);
    const leavingClient = await connect(rig.act.server.wsUrl, leaving.token);
    const returningClient = await connect(rig.act.server.wsUrl, returning.token);
    await leavingClient.request('driver.online', at);
    await returningClient.request('driver.online', moveM(at, 0, 100));
    rig.act.deps.presence.setActivity(returning.id, 'on_ride');

    await leavingClient.close();
    await returningClient.close();
    const again = await connect(rig.observe.server.wsUrl, returning.token);

    expect(again.sessionState?.data).toMatchObject({ driver: { online: true } });
    await eventually(() => expect(offlineCount(leaving.id)).toBe(1), 5_000);
    expect((await rig.act.deps.presence.nearestIdle(at, 1_000, 5)).map((d) => d.driverId)).toEqual([]);
    expect(rig.observe.deps.presence.get(returning.id)?.activity).toBe('on_ride');
    expect(offlineCount(returning.id)).toBe(0);
    await again.request('driver.offline', {});
    await again.close();
  });

  it('LocationFollows: a follower on any node receives the driver\'s fixes until unfollowed, across a reconnect', async () => {
    const [driver, customer] = await Promise.all([createUser(rig.stack, 'driver'), createUser(rig.stack, 'customer')]);
    const driverClient = await connect(rig.act.server.wsUrl, driver.token);
    await driverClient.request('driver.online', KARACHI_CENTER);
    const first = await connect(rig.observe.server.wsUrl, customer.token);
    rig.act.deps.follows.follow(customer.id, driver.id);

    await eventually(async () => {
      await driverClient.request('location.update', { ...KARACHI_CENTER, heading: 1 });
      await first.nextOfType('driver.location', 200);
    }, 3_000);
    await first.close();
    const second = await connect(rig.act.server.wsUrl, customer.token);
    await driverClient.request('location.update', { ...KARACHI_CENTER, heading: 2 });
    const moved = await second.nextOfType('driver.location');
    expect(moved.data).toMatchObject({ driverId: driver.id });

    rig.observe.deps.follows.unfollow(customer.id, driver.id);
    await eventually(async () => {
      const before = second.frames.filter((f) => f.type === 'driver.location').length;
      await driverClient.request('location.update', { ...KARACHI_CENTER, heading: 3 });
      await second.request('ping', {});
      expect(second.frames.filter((f) => f.type === 'driver.location').length).toBe(before);
    });
    // driver.follow from the app on any node: the driver is reported online, with his last fix.
    const followed = await second.request('driver.follow', { driverId: driver.id });
    expect(followed).toMatchObject({ type: 'ack', data: { driverId: driver.id, online: true } });
    expect((await second.nextOfType('driver.location')).data).toMatchObject({ driverId: driver.id, heading: 3 });
    await driverClient.request('driver.offline', {});
    await Promise.all([driverClient.close(), second.close()]);
  });

  it('Receipts and replacement: a second login on any node replaces the first, and a re-sent id is answered, not applied again', async () => {
    const customer = await createUser(rig.stack, 'customer');
    const first = await connect(rig.act.server.wsUrl, customer.token);
    const rideId = randomUUID();
    const id = `m-${randomUUID()}`;
    const answer = await first.request('ride.cancel', { rideId, reason: 'first' }, id);
    expect(answer.type).toBe('ack');

    const second = await connect(rig.observe.server.wsUrl, customer.token);
    const replaced = await first.nextOfType('session.replaced');
    const again = await second.request('ride.cancel', { rideId, reason: 'first' }, id);

    expect(replaced.type).toBe('session.replaced');
    expect(await first.closed).toBe(4001);
    expect(again).toEqual(answer);
    expect(rig.nodes.reduce((n, node) => n + (node.probe.applied.get(rideId) ?? 0), 0)).toBe(1);
    await second.close();
  });

  it('Receipts: a duplicate that arrives on any node while the first is still being handled gets the first\'s answer', async () => {
    const customer = await createUser(rig.stack, 'customer');
    const first = await connect(rig.act.server.wsUrl, customer.token);
    const rideId = randomUUID();
    const id = `m-${randomUUID()}`;
    // The probe takes 200 ms over a "slow" message; the ping's ack says its handler has started.
    first.send('ride.cancel', { rideId, reason: 'slow' }, id);
    await first.request('ping', {});

    const second = await connect(rig.observe.server.wsUrl, customer.token);
    const answer = await second.request('ride.cancel', { rideId, reason: 'slow' }, id);

    expect(answer).toMatchObject({ type: 'ack', id, data: { rideId, applied: 1 } });
    expect(rig.nodes.reduce((n, node) => n + (node.probe.applied.get(rideId) ?? 0), 0)).toBe(1);
    await second.close();
    await first.close();
  });
});
