/**
 * Three realtime nodes on one PostgreSQL and one Redis (own key prefix, deleted after): apps
 * connect to different nodes and every rule holds across them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KARACHI_CENTER, moveM } from '@drivrr/shared';
import { HealthRealtime } from '@drivrr/shared/protocol';
import { VirtualClock, type RealtimeServer } from '@drivrr/server-realtime';
import { startClusterStack, type ClusterStack } from '../../../test-support/cluster.js';
import { createUser, type TestUser } from '../../../test-support/stack.js';
import { eventually } from '../support/client.js';
import { RemoteError, WsTestClient } from '../rides/support/ws-client.js';

const ENV = { MATCH_STEP_MS: '1000', MATCH_BATCH: '25', REQUEST_TTL_MS: '60000', BID_TTL_MS: '30000' };
const PICKUP = KARACHI_CENTER;
const DROPOFF = moveM(PICKUP, 45, 5_000);

const clock = new VirtualClock();
let cluster: ClusterStack;
let a: RealtimeServer;
let b: RealtimeServer;
let c: RealtimeServer;
const clients: WsTestClient[] = [];

beforeAll(async () => {
  cluster = await startClusterStack({ nodes: 3, env: ENV, clock });
  [a, b, c] = cluster.nodes as [RealtimeServer, RealtimeServer, RealtimeServer];
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await cluster?.stop();
});

async function app(node: RealtimeServer, user: TestUser): Promise<WsTestClient> {
  const { client } = await WsTestClient.session(node.wsUrl, user.token);
  clients.push(client);
  return client;
}

async function health(node: RealtimeServer): Promise<{ status: number; body: HealthRealtime }> {
  const res = await fetch(`${node.url}/api/health`);
  return { status: res.status, body: HealthRealtime.parse(await res.json()) };
}

describe('a cluster of three realtime nodes', () => {
  it('shows every node, with its own connections, in the health of any node', async () => {
    const customer = await createUser(cluster.stack, 'customer');
    await app(b, customer);
    await eventually(async () => {
      const { status, body } = await health(a);
      expect(status).toBe(200);
      expect(body.node).toMatchObject({ id: 'node-a', mode: 'cluster', redis: { ok: true } });
      expect(body.cluster?.nodes.map((n) => n.id)).toEqual(['node-a', 'node-b', 'node-c']);
      expect(body.cluster?.nodes.find((n) => n.id === 'node-b')?.connections.customers).toBeGreaterThanOrEqual(1);
      expect(body.cluster?.nodes.find((n) => n.id === 'node-b')?.url).toBe(b.url);
    });
    const live = await fetch(`${c.url}/api/live`);
    expect([live.status, await live.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('gives the ops map on any node the whole city: drivers online on the other nodes, with their type', async () => {
    // Arrange: a bike driver on node B and a car driver on node C, far from the other tests' pickup.
    const bikeAt = moveM(PICKUP, 200, 20_000);
    const carAt = moveM(PICKUP, 200, 20_300);
    const biker = await createUser(cluster.stack, 'driver', { vehicleType: 'bike' });
    const carDriver = await createUser(cluster.stack, 'driver');
    await (await app(b, biker)).request('driver.online', bikeAt);
    await (await app(c, carDriver)).request('driver.online', carAt);

    // Act + Assert: node A's presence picture (what its ops snapshots are built from) holds both.
    await eventually(() => {
      const drivers = new Map([...a.inspect.presence.all()].map((info) => [info.driverId, info]));
      expect(drivers.get(biker.id)).toMatchObject({ vehicleType: 'bike', location: { lat: bikeAt.lat, lng: bikeAt.lng } });
      expect(drivers.get(carDriver.id)).toMatchObject({ vehicleType: 'car', location: { lat: carAt.lat, lng: carAt.lng } });
    });
  });

  it('lets a customer on one node and drivers on two others take a whole ride, accepting exactly once', async () => {
    // Arrange: 20 drivers spread over nodes B and C, the customer on A.
    const drivers = await Promise.all(Array.from({ length: 20 }, () => createUser(cluster.stack, 'driver')));
    const driverApps = await Promise.all(drivers.map((driver, i) => app(i % 2 === 0 ? b : c, driver)));
    await Promise.all(driverApps.map((client, i) => client.request('driver.online', moveM(PICKUP, i * 18, 100 + i * 20))));
    const customerUser = await createUser(cluster.stack, 'customer');
    const customer = await app(a, customerUser);

    // Nearest-driver answers agree from every node (a fix lands in Redis just after its ack: poll).
    await eventually(async () => {
      const answers = await Promise.all([a, b, c].map((node) => node.inspect.presence.nearestIdle(PICKUP, 3_000, 20)));
      expect(answers[0]!.map((d) => d.driverId).sort()).toEqual(drivers.map((d) => d.id).sort());
      expect(answers[1]!.map((d) => d.driverId)).toEqual(answers[0]!.map((d) => d.driverId));
      expect(answers[2]!.map((d) => d.driverId)).toEqual(answers[0]!.map((d) => d.driverId));
    });

    // Act: request; every driver is offered the ride and bids; the customer accepts two bids at once.
    const { rideId } = await customer.request<{ rideId: string }>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    await clock.advance(1_000);
    await Promise.all(driverApps.map((client) => client.waitFor('ride.requested', (d) => d.ride.id === rideId)));
    const bids = await Promise.all(driverApps.map((client) => client.request<{ bid: { id: string } }>('bid.place', { rideId, fare: 50_000 })));
    await Promise.all(bids.map((placed) => customer.waitFor('bid.received', (d) => d.bid.id === placed.bid.id)));
    const outcomes = await Promise.all(
      [bids[0]!, bids[1]!].map((placed) => customer.request('bid.accept', { rideId, bidId: placed.bid.id }).then(() => 'ok', (e: unknown) => (e instanceof RemoteError ? e.code : 'failed'))),
    );

    // Assert: exactly one accept won; the winner is told on its node, every other driver is withdrawn.
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(1);
    const assigned = await customer.waitFor('ride.assigned', (d) => d.ride.id === rideId);
    const winnerId = assigned.driver!.id;
    const winnerIndex = drivers.findIndex((d) => d.id === winnerId);
    expect([0, 1]).toContain(winnerIndex);
    const winner = driverApps[winnerIndex]!;
    await winner.waitFor('ride.assigned', (d) => d.ride.id === rideId);
    await Promise.all(driverApps.filter((_, i) => i !== winnerIndex).map((client) => client.waitFor('ride.withdrawn', (d) => d.rideId === rideId)));
    // The assigned driver is on a ride everywhere: no node offers him.
    await eventually(async () => {
      for (const node of [a, b, c]) expect((await node.inspect.presence.nearestIdle(PICKUP, 3_000, 30)).map((d) => d.driverId)).not.toContain(winnerId);
    });

    // The driver's fixes reach the customer on another node.
    await winner.request('location.update', { ...moveM(PICKUP, 90, 150), heading: 90 });
    const fix = await customer.waitFor('driver.location', (d) => d.driverId === winnerId);
    expect(fix.heading).toBe(90);

    for (const [type, status] of [['ride.arrived', 'arrived'], ['ride.start', 'in_progress'], ['ride.complete', 'completed']] as const) {
      await winner.request(type, { rideId });
      await customer.waitFor('ride.status', (d) => d.rideId === rideId && d.status === status);
    }

    // The follow made on the customer's node at accept ended with the ride on the driver's node.
    await eventually(async () => {
      const before = customer.all('driver.location').length;
      await winner.request('location.update', { ...moveM(PICKUP, 90, 400), heading: 180 });
      await customer.request('ping', {});
      expect(customer.all('driver.location').length).toBe(before);
    });

    // Every frame of the ride reached the customer once, in order, without a gap.
    const seqs = customer.frames.filter((f) => f.seq !== undefined && JSON.stringify(f.data).includes(rideId)).map((f) => f.seq!);
    expect(seqs.length).toBeGreaterThan(5);
    expect(new Set(seqs).size).toBe(seqs.length);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1]!);
    const stored = await cluster.stack.query<{ seq: number }>('SELECT seq FROM ride_events WHERE ride_id = $1 ORDER BY seq', [rideId]);
    const storedSeqs = stored.rows.map((r) => Number(r.seq));
    expect(storedSeqs).toEqual(storedSeqs.map((_, i) => storedSeqs[0]! + i));

    for (const client of driverApps) await client.request('driver.offline', {});
  });

  it('relays every fix of a burst to a follower on another node, in order, and leaves the latest in the shared index', async () => {
    // Arrange: a driver on node B, an operator on node C following him.
    const start = moveM(PICKUP, 300, 30_000);
    const driver = await createUser(cluster.stack, 'driver');
    const driverApp = await app(b, driver);
    await driverApp.request('driver.online', start);
    const follower = await app(c, await createUser(cluster.stack, 'operator'));
    await follower.request('driver.follow', { driverId: driver.id });
    const fixes = Array.from({ length: 10 }, (_, i) => ({ ...moveM(start, 90, (i + 1) * 10), heading: i }));

    // Act: ten fixes back to back (one batching window for the live locations and for the index).
    expect(await driverApp.burst(fixes.map((fix) => ({ type: 'location.update', data: fix })))).toEqual(fixes.map(() => 'ok'));

    // Assert: every fix reached node C's follower once, in order; the driver's hash in Redis (what
    // offers and the ops map read) ends at the last fix, not at an earlier one written late.
    await eventually(() => {
      const headings = follower.all('driver.location').filter((d) => d.driverId === driver.id && d.heading !== null).map((d) => d.heading);
      expect(headings).toEqual(fixes.map((fix) => fix.heading));
    });
    const last = fixes.at(-1)!;
    // The shared `pos` hash holds every online driver's `lng|lat|heading|updatedAt`.
    const storedPosition = async () => {
      const [lng, lat, heading] = ((await cluster.redis.hget(`${cluster.prefix}pos`, driver.id)) ?? '').split('|');
      return { lat: Number(lat), lng: Number(lng), heading };
    };
    await eventually(async () => expect(await storedPosition()).toEqual({ lat: last.lat, lng: last.lng, heading: '9' }));
    const [[lng, lat]] = (await cluster.redis.geopos(`${cluster.prefix}geo`, driver.id)) as [[string, string]];
    expect(Number(lat)).toBeCloseTo(last.lat, 5);
    expect(Number(lng)).toBeCloseTo(last.lng, 5);

    // A fix without a heading moves the driver and keeps the heading he had.
    const headless = moveM(last, 0, 50);
    await driverApp.request('location.update', headless);
    await eventually(async () => expect(await storedPosition()).toEqual({ lat: headless.lat, lng: headless.lng, heading: '9' }));

    // Offline: the position leaves the shared hash with the driver.
    await driverApp.request('driver.offline', {});
    expect(await cluster.redis.hexists(`${cluster.prefix}pos`, driver.id)).toBe(0);
  });

  it('replaces the socket on another node when the user signs in again, and answers a re-sent message id there', async () => {
    const driver = await createUser(cluster.stack, 'driver');
    const first = await app(b, driver);
    await first.request('driver.online', moveM(PICKUP, 0, 400), 5_000, 'online-1');

    const second = await app(c, driver);

    await first.waitFor('session.replaced');
    // The same message id, re-sent through the new node: answered again, not applied again.
    const again = await second.request<{ online: boolean }>('driver.online', moveM(PICKUP, 0, 900), 5_000, 'online-1');
    expect(again.online).toBe(true);
    const info = c.inspect.presence.get(driver.id);
    expect(info?.location).toEqual(moveM(PICKUP, 0, 400));
    await second.request('driver.offline', {});
  });

  it('expires a request once across the cluster', async () => {
    const customerUser = await createUser(cluster.stack, 'customer');
    const customer = await app(b, customerUser);
    const { rideId } = await customer.request<{ rideId: string }>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    await clock.advance(61_000);
    await customer.waitFor('ride.expired', (d) => d.rideId === rideId);
    await customer.request('ping', {});
    const expired = await cluster.stack.query<{ n: string }>(`SELECT count(*) AS n FROM ride_events WHERE type = 'expired' AND ride_id = $1`, [rideId]);
    expect(Number(expired.rows[0]!.n)).toBe(1);
    expect(customer.all('ride.expired').filter((d) => d.rideId === rideId)).toHaveLength(1);
  });
});
