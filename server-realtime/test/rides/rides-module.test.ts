/**
 * The rides module driven through its transport seams (an in-process hub implementing
 * src/ws/contracts.ts) against a real PostgreSQL: exact control over concurrency and timers.
 * The same flows over real sockets are in rides-e2e.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { moveM, KARACHI_CENTER } from '@drivrr/shared';
import { createPool, withTransaction, type Pool } from '@drivrr/shared/db';
import { postTopUp, type TopUpArgs } from '@drivrr/store/ledger';
import { silentLogger } from '@drivrr/shared/logger';
import type { LatLng } from '@drivrr/shared/protocol';
import { createTestDatabase, type TestDatabase } from '../../../test-support/db.js';
import { loadRealtimeConfig } from '../../src/config.js';
import { VirtualClock } from '../../src/rides/clock.js';
import { createRidesModule } from '../../src/rides/module.js';
import type { Caller } from '../../src/ws/contracts.js';
import { TestHub } from './support/hub.js';
import { insertUser, type PlainUser } from './support/users.js';

const FAST = {
  MATCH_RADII_M: '1500,3000,5000',
  MATCH_STEP_MS: '150',
  MATCH_BATCH: '5',
  REQUEST_TTL_MS: '4000',
  BID_TTL_MS: '1500',
  COMMISSION_PCT: '15',
};

const PICKUP: LatLng = KARACHI_CENTER;
const DROPOFF: LatLng = moveM(KARACHI_CENTER, 45, 6_000);
const near = (metres: number, bearing = 0): LatLng => moveM(PICKUP, bearing, metres);

let db: TestDatabase;
let pool: Pool;
/** Base env of the realtime service (only the rides part and the DB matter here). */
let baseEnv: Record<string, string>;
const stack = {
  query: <R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]) => pool.query<R>(sql, params),
};
type TestUser = PlainUser;
const createUser = (_: unknown, role: 'customer' | 'driver', fields: { name?: string } = {}) => insertUser(pool, role, fields.name);
const running: { stop(): Promise<void> }[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  // A burst of 64 commands at once shares these 20 connections: on a loaded machine a command may wait longer than the default 2 s.
  pool = createPool(db.url, { max: 20, connectionTimeoutMs: 15_000 });
  baseEnv = { NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: db.url, JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\\nunused\\n-----END PUBLIC KEY-----' };
});
afterEach(async () => {
  for (const module of running.splice(0)) await module.stop();
});
afterAll(async () => {
  await pool.end();
  await db.drop();
});

/** The rides module on a virtual clock: time moves only when a test advances it. */
async function startRides(env: Record<string, string> = {}, clock = new VirtualClock()) {
  const hub = new TestHub();
  const config = loadRealtimeConfig({ ...baseEnv, ...FAST, ...env });
  const module = createRidesModule({ ...hub.deps(), pool, config, logger: silentLogger, clock });
  await module.start!();
  running.push({ stop: () => module.stop!() });
  return { hub, module, config, clock };
}

const as = (user: TestUser): Caller => ({ userId: user.id, role: user.role });
/** Funds a customer's wallet (the ledger's top-up posting; the REST use case is tested in server-auth). */
const topUpWallet = (on: Pool, args: TopUpArgs) => withTransaction(on, (client) => postTopUp(client, args));

async function request(hub: TestHub, customer: TestUser, fare = 60_000, paymentMethod: 'cash' | 'wallet' = 'cash') {
  return (await hub.send(as(customer), 'ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare, paymentMethod })) as {
    rideId: string;
    estimate: { suggestedFare: number; minimumFare: number; distanceM: number };
    ride: { fare: number; expiresAt: string };
  };
}

/** A driver bids on a ride as the app does: on the offer of it they were sent (waited for first). */
async function bid(hub: TestHub, driver: TestUser, rideId: string, fare: number) {
  await hub.waitFor(driver.id, 'ride.requested', (d) => d.ride.id === rideId);
  return (await hub.send(as(driver), 'bid.place', { rideId, fare })) as { bid: { id: string; fare: number; etaS: number }; offer: string };
}

/** Steps the search on (virtual time) until each of these drivers has been offered the ride (a batch per step). */
async function offerTo(hub: TestHub, clock: VirtualClock, drivers: readonly TestUser[], rideId: string) {
  const offered = (driver: TestUser) => hub.framesFor(driver.id, 'ride.requested').some((f) => (f.data as { ride: { id: string } }).ride.id === rideId);
  for (let step = 0; step < 20 && !drivers.every(offered); step += 1) await clock.advance(Number(FAST.MATCH_STEP_MS));
  expect(drivers.filter((driver) => !offered(driver))).toEqual([]);
}

async function onlineDrivers(hub: TestHub, count: number, at: (i: number) => LatLng = (i) => near(200 + i * 10, i * 7)) {
  const drivers: TestUser[] = [];
  for (let i = 0; i < count; i += 1) {
    const driver = await createUser(stack, 'driver', { name: `Driver ${i}` });
    hub.goOnline(driver.id, at(i));
    drivers.push(driver);
  }
  return drivers;
}

async function rideRow(rideId: string) {
  return (await stack.query(`SELECT * FROM rides WHERE id = $1`, [rideId])).rows[0] as Record<string, unknown>;
}
async function eventTypes(rideId: string): Promise<string[]> {
  return (await stack.query<{ type: string }>(`SELECT type FROM ride_events WHERE ride_id = $1 ORDER BY id`, [rideId])).rows.map((r) => r.type);
}

describe('rides module', () => {
  it('runs a cash ride from request to completion and settles the commission in the ledger', async () => {
    const { hub } = await startRides();
    const customer = await createUser(stack, 'customer', { name: 'Ayesha' });
    const [driver] = await onlineDrivers(hub, 1);

    const ack = await request(hub, customer, 60_000);
    expect(ack.estimate.suggestedFare).toBeGreaterThan(0);
    const offer = await hub.waitFor(driver!.id, 'ride.requested');
    expect(offer.ride.id).toBe(ack.rideId);
    expect(offer.distanceToPickupM).toBeGreaterThan(150);

    const placed = await bid(hub, driver!, ack.rideId, 60_000);
    expect(placed.offer).toBe('as_offered');
    const received = await hub.waitFor(customer.id, 'bid.received');
    expect(received.bid).toMatchObject({ id: placed.bid.id, fare: 60_000, driver: { id: driver!.id, name: 'Driver 0', vehicle: { make: 'Suzuki' } } });
    expect(received.bid.etaS).toBeGreaterThan(0);

    await hub.send(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: placed.bid.id });
    const toDriver = await hub.waitFor(driver!.id, 'ride.assigned');
    const toCustomer = await hub.waitFor(customer.id, 'ride.assigned');
    expect(toDriver.customer).toMatchObject({ id: customer.id, name: 'Ayesha' });
    expect(toCustomer.driver).toMatchObject({ id: driver!.id, vehicle: { plate: expect.any(String) } });
    expect(toCustomer.ride).toMatchObject({ status: 'assigned', agreedFare: 60_000, driverId: driver!.id });
    expect(hub.follows.get(customer.id)).toBe(driver!.id);
    expect(hub.get(driver!.id)?.activity).toBe('on_ride');

    for (const [type, status] of [['ride.arrived', 'arrived'], ['ride.start', 'in_progress'], ['ride.complete', 'completed']] as const) {
      await hub.send(as(driver!), type, { rideId: ack.rideId });
      await hub.waitFor(customer.id, 'ride.status', (d) => d.status === status);
      await hub.waitFor(driver!.id, 'ride.status', (d) => d.status === status);
    }

    expect(await rideRow(ack.rideId)).toMatchObject({ status: 'completed', agreed_fare: 60_000, driver_id: driver!.id });
    expect(await eventTypes(ack.rideId)).toEqual(['requested', 'offered', 'bid_placed', 'assigned', 'arrived', 'started', 'completed']);
    const ledger = await stack.query<{ kind: string; amount: number }>(`SELECT kind, amount FROM ledger_transactions WHERE ride_id = $1`, [ack.rideId]);
    expect(ledger.rows).toEqual([{ kind: 'ride_cash_commission', amount: 60_000 }]);
    const driverWallet = await stack.query<{ balance: number }>(`SELECT balance FROM ledger_accounts WHERE owner_id = $1 AND kind = 'driver_wallet'`, [driver!.id]);
    expect(Number(driverWallet.rows[0]!.balance)).toBe(-9_000);
    const sum = await stack.query<{ total: string }>(`SELECT coalesce(sum(amount), 0) AS total FROM ledger_entries`);
    expect(Number(sum.rows[0]!.total)).toBe(0);
    expect(hub.follows.has(customer.id)).toBe(false);
    expect(hub.get(driver!.id)?.activity).toBe('idle');
  });

  it('refuses a fare below the floor with the floor and the suggestion, and a second live request', async () => {
    const { hub } = await startRides();
    const customer = await createUser(stack, 'customer');
    let refused: unknown;
    try {
      await hub.send(as(customer), 'ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 1_000, paymentMethod: 'cash' });
    } catch (error) {
      refused = error;
    }
    expect(refused).toMatchObject({ code: 'fare_below_minimum', details: { minimumFare: expect.any(Number), suggestedFare: expect.any(Number) } });
    const first = await request(hub, customer);
    let second: unknown;
    try {
      await request(hub, customer);
    } catch (error) {
      second = error;
    }
    expect(second).toMatchObject({ code: 'active_ride_exists', details: { rideId: first.rideId } });
    await hub.send(as(customer), 'ride.cancel', { rideId: first.rideId, reason: 'test over' });
  });

  it('offers the nearest drivers first and widens the radius step by step', async () => {
    const { hub, clock } = await startRides({ MATCH_STEP_MS: '400' });
    const customer = await createUser(stack, 'customer');
    const distances = [1_000, 2_500, 4_500, 6_000];
    const drivers = await onlineDrivers(hub, 4, (i) => near(distances[i]!, 90));
    const ack = await request(hub, customer);
    const offersTo = (i: number) => hub.framesFor(drivers[i]!.id, 'ride.requested').filter((f) => (f.data as { ride: { id: string } }).ride.id === ack.rideId);
    const thisRide = (d: { ride: { id: string } }) => d.ride.id === ack.rideId;
    await hub.waitFor(drivers[0]!.id, 'ride.requested', thisRide);
    await clock.advance(399);
    expect(offersTo(1)).toHaveLength(0);
    await clock.advance(1);
    expect(offersTo(1)).toHaveLength(1);
    expect(offersTo(2)).toHaveLength(0);
    await clock.advance(400);
    expect(offersTo(2)).toHaveLength(1);
    // the largest radius reached, later ticks find nobody new: the driver beyond it is never offered
    await clock.advance(400);
    await clock.advance(400);
    expect(offersTo(3)).toHaveLength(0);
    const offered = await stack.query<{ data: { radiusM: number } }>(`SELECT data FROM ride_events WHERE ride_id = $1 AND type = 'offered' ORDER BY id`, [ack.rideId]);
    expect(offered.rows.map((r) => r.data.radiusM)).toEqual([1_500, 3_000, 5_000]);
  });

  it('takes counter-offers within bounds and re-offers a raised fare to drivers who did not bid', async () => {
    const { hub } = await startRides();
    const customer = await createUser(stack, 'customer');
    const [counter, silent] = await onlineDrivers(hub, 2);
    const ack = await request(hub, customer, 50_000);
    await hub.waitFor(silent!.id, 'ride.requested');
    expect(await hub.sendExpectingError(as(counter!), 'bid.place', { rideId: ack.rideId, fare: 49_999 })).toBe('fare_below_minimum');
    expect(await hub.sendExpectingError(as(counter!), 'bid.place', { rideId: ack.rideId, fare: 150_001 })).toBe('fare_above_maximum');
    const placed = await bid(hub, counter!, ack.rideId, 65_000);
    expect(placed.offer).toBe('counter');
    expect(await hub.sendExpectingError(as(counter!), 'bid.place', { rideId: ack.rideId, fare: 66_000 })).toBe('already_bid');
    expect((await bid(hub, counter!, ack.rideId, 65_000)).bid.id).toBe(placed.bid.id);

    expect(await hub.sendExpectingError(as(customer), 'ride.raise_fare', { rideId: ack.rideId, fare: 45_000 })).toBe('validation_failed');
    await hub.send(as(customer), 'ride.raise_fare', { rideId: ack.rideId, fare: 55_000 });
    const reoffer = await hub.waitFor(silent!.id, 'ride.requested', (d) => d.ride.fare === 55_000);
    expect(reoffer.ride.id).toBe(ack.rideId);
    expect(hub.framesFor(counter!.id, 'ride.requested').filter((f) => (f.data as { ride: { fare: number } }).ride.fare === 55_000)).toHaveLength(0);
    expect(await eventTypes(ack.rideId)).toContain('fare_raised');

    await hub.send(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: placed.bid.id });
    expect(await rideRow(ack.rideId)).toMatchObject({ status: 'assigned', agreed_fare: 65_000, fare: 55_000 });
    await hub.waitFor(silent!.id, 'ride.withdrawn', (d) => d.reason === 'taken');
  });

  it('expires a bid after its TTL, tells both sides, and refuses to accept it', async () => {
    const { hub, clock } = await startRides({ BID_TTL_MS: '300' });
    const customer = await createUser(stack, 'customer');
    const [driver] = await onlineDrivers(hub, 1);
    const ack = await request(hub, customer);
    await hub.waitFor(driver!.id, 'ride.requested');
    const placed = await bid(hub, driver!, ack.rideId, 60_000);
    await clock.advance(299);
    expect(hub.framesFor(customer.id, 'bid.expired')).toHaveLength(0);
    await clock.advance(1);
    expect(hub.framesFor(customer.id, 'bid.expired').map((f) => f.data)).toEqual([{ rideId: ack.rideId, bidId: placed.bid.id }]);
    expect(hub.framesFor(driver!.id, 'bid.expired').map((f) => f.data)).toEqual([{ rideId: ack.rideId, bidId: placed.bid.id }]);
    expect(await hub.sendExpectingError(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: placed.bid.id })).toBe('bid_expired');
    const again = await bid(hub, driver!, ack.rideId, 60_000);
    expect(again.bid.id).not.toBe(placed.bid.id);
    const statuses = await stack.query<{ status: string }>(`SELECT status FROM bids WHERE ride_id = $1 ORDER BY created_at`, [ack.rideId]);
    expect(statuses.rows.map((r) => r.status)).toEqual(['expired', 'open']);
  });

  it('expires a request nobody took: ride.expired to the customer, ride.withdrawn to the offered drivers', async () => {
    const { hub, clock } = await startRides({ REQUEST_TTL_MS: '600' });
    const customer = await createUser(stack, 'customer');
    const [driver] = await onlineDrivers(hub, 1);
    const ack = await request(hub, customer);
    await hub.waitFor(driver!.id, 'ride.requested');
    await clock.advance(599);
    expect(hub.framesFor(customer.id, 'ride.expired')).toHaveLength(0);
    await clock.advance(1);
    await hub.waitFor(customer.id, 'ride.expired', (d) => d.rideId === ack.rideId);
    await hub.waitFor(driver!.id, 'ride.withdrawn', (d) => d.rideId === ack.rideId && d.reason === 'expired');
    expect(await rideRow(ack.rideId)).toMatchObject({ status: 'expired' });
    expect(await eventTypes(ack.rideId)).toEqual(['requested', 'offered', 'expired', 'offers_withdrawn']);
    expect(await hub.sendExpectingError(as(driver!), 'bid.place', { rideId: ack.rideId, fare: 60_000 })).toBe('ride_not_open');
  });

  it('expires a request with no drivers around at all', async () => {
    const { hub, clock } = await startRides({ REQUEST_TTL_MS: '500' });
    const customer = await createUser(stack, 'customer');
    const ack = await request(hub, customer);
    await clock.advance(500);
    expect(hub.framesFor(customer.id, 'ride.expired').map((f) => f.data)).toEqual([{ rideId: ack.rideId }]);
    expect(await eventTypes(ack.rideId)).toEqual(['requested', 'expired']);
  });

  it('does not offer a driver on a ride another request, nor let them bid', async () => {
    const { hub } = await startRides();
    const [first, second] = [await createUser(stack, 'customer'), await createUser(stack, 'customer')];
    const [driver, spare] = await onlineDrivers(hub, 2);
    const ride1 = await request(hub, first);
    await hub.waitFor(driver!.id, 'ride.requested', (d) => d.ride.id === ride1.rideId);
    const placed = await bid(hub, driver!, ride1.rideId, 60_000);
    await hub.send(as(first), 'bid.accept', { rideId: ride1.rideId, bidId: placed.bid.id });
    // Presence still claiming idle must not matter: the database is checked too.
    hub.setActivity(driver!.id, 'idle');
    const ride2 = await request(hub, second);
    // the search for ride2 did run: the idle driver next to the busy one got it
    await hub.waitFor(spare!.id, 'ride.requested', (d) => d.ride.id === ride2.rideId);
    const offeredRides = hub.framesFor(driver!.id, 'ride.requested').map((f) => (f.data as { ride: { id: string } }).ride.id);
    expect(offeredRides).toContain(ride1.rideId);
    expect(offeredRides).not.toContain(ride2.rideId);
    expect(await hub.sendExpectingError(as(driver!), 'bid.place', { rideId: ride2.rideId, fare: 60_000 })).toBe('driver_busy');
  });

  it('withdraws a driver\'s other bids and offers when they are assigned, and all their bids when they go offline', async () => {
    const { hub } = await startRides();
    const customers = [await createUser(stack, 'customer'), await createUser(stack, 'customer'), await createUser(stack, 'customer')];
    const [driver, other] = await onlineDrivers(hub, 2);
    const rides: Awaited<ReturnType<typeof request>>[] = [];
    for (const customer of customers) rides.push(await request(hub, customer));
    for (const ride of rides) await hub.waitFor(driver!.id, 'ride.requested', (d) => d.ride.id === ride.rideId);
    const bids: Awaited<ReturnType<typeof bid>>[] = [];
    for (const ride of rides) bids.push(await bid(hub, driver!, ride.rideId, 60_000));
    const otherBid = await bid(hub, other!, rides[2]!.rideId, 60_000);
    await hub.send(as(customers[0]!), 'bid.accept', { rideId: rides[0]!.rideId, bidId: bids[0]!.bid.id });
    await hub.waitFor(customers[1]!.id, 'bid.withdrawn', (d) => d.bidId === bids[1]!.bid.id && d.reason === 'driver_busy');
    await hub.waitFor(customers[2]!.id, 'bid.withdrawn', (d) => d.bidId === bids[2]!.bid.id);
    // and the driver's other offers are withdrawn from them: a driver on a ride is offered nothing
    for (const ride of rides.slice(1)) await hub.waitFor(driver!.id, 'ride.withdrawn', (d) => d.rideId === ride.rideId && d.reason === 'driver_busy');
    expect(await hub.sessionState(as(driver!))).toMatchObject({ offers: [] });
    hub.goOffline(other!.id);
    await hub.waitFor(customers[2]!.id, 'bid.withdrawn', (d) => d.bidId === otherBid.bid.id && d.reason === 'driver_offline');
    const open = await stack.query(`SELECT id FROM bids WHERE status = 'open' AND ride_id = ANY($1::uuid[])`, [rides.map((r) => r.rideId)]);
    expect(open.rows).toHaveLength(0);
  });

  it('never leaves a driver with an open bid once assigned, however a bid and the accept interleave', async () => {
    const { hub } = await startRides();
    for (let round = 0; round < 8; round += 1) {
      const [first, second] = [await createUser(stack, 'customer'), await createUser(stack, 'customer')];
      const [driver] = await onlineDrivers(hub, 1);
      const rideA = await request(hub, first);
      const rideB = await request(hub, second);
      await hub.waitFor(driver!.id, 'ride.requested', (d) => d.ride.id === rideB.rideId);
      const bidA = await bid(hub, driver!, rideA.rideId, 60_000);
      const [accepted, placed] = await Promise.all([
        hub.sendExpectingError(as(first), 'bid.accept', { rideId: rideA.rideId, bidId: bidA.bid.id }),
        hub.sendExpectingError(as(driver!), 'bid.place', { rideId: rideB.rideId, fare: 60_000 }),
      ]);
      expect(accepted).toBe('ok');
      expect(['ok', 'driver_busy']).toContain(placed);
      const open = await stack.query(`SELECT id FROM bids WHERE driver_id = $1 AND status = 'open'`, [driver!.id]);
      expect(open.rows).toHaveLength(0);
      await hub.send(as(first), 'ride.cancel', { rideId: rideA.rideId, reason: 'round over' });
      await hub.send(as(second), 'ride.cancel', { rideId: rideB.rideId, reason: 'round over' });
      hub.goOffline(driver!.id);
    }
  });

  it('never deadlocks when drivers who bid on each other\'s rides are all accepted at once', async () => {
    const { hub, module, clock } = await startRides();
    const service = (module as unknown as { service: { counters: { transactionRetries: number } } }).service;
    for (let round = 0; round < 3; round += 1) {
      const customers = await Promise.all(Array.from({ length: 8 }, () => createUser(stack, 'customer')));
      const drivers = await onlineDrivers(hub, 8);
      const rides = await Promise.all(customers.map((customer) => request(hub, customer)));
      for (const ride of rides) await offerTo(hub, clock, drivers, ride.rideId);
      // every driver bids on every ride
      const bids = await Promise.all(rides.map((ride) => Promise.all(drivers.map((driver) => bid(hub, driver, ride.rideId, 60_000)))));
      // customer i takes driver i: each accept rejects its ride's bids and withdraws its driver's others, all at once
      const results = await Promise.all(customers.map((customer, i) => hub.sendExpectingError(as(customer), 'bid.accept', { rideId: rides[i]!.rideId, bidId: bids[i]![i]!.bid.id })));
      expect(results).toEqual(customers.map(() => 'ok'));
      const open = await stack.query(`SELECT id FROM bids WHERE ride_id = ANY($1::uuid[]) AND status = 'open'`, [rides.map((r) => r.rideId)]);
      expect(open.rows).toHaveLength(0);
      await Promise.all(customers.map((customer, i) => hub.send(as(customer), 'ride.cancel', { rideId: rides[i]!.rideId, reason: 'round over' })));
      for (const driver of drivers) hub.goOffline(driver.id);
    }
    expect(service.counters.transactionRetries).toBe(0);
  });

  it('answers a repeated accept of the winning bid with the same ride, and refuses another bid', async () => {
    const { hub } = await startRides();
    const customer = await createUser(stack, 'customer');
    const [a, b] = await onlineDrivers(hub, 2);
    const ack = await request(hub, customer);
    const bidA = await bid(hub, a!, ack.rideId, 60_000);
    const bidB = await bid(hub, b!, ack.rideId, 70_000);
    const taps = await Promise.all([1, 2, 3].map(() => hub.send(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: bidA.bid.id })));
    for (const tap of taps) expect(tap).toMatchObject({ ride: { status: 'assigned', driverId: a!.id } });
    expect(hub.framesFor(a!.id, 'ride.assigned')).toHaveLength(1);
    expect(await hub.sendExpectingError(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: bidB.bid.id })).toBe('ride_not_open');
    await hub.waitFor(b!.id, 'bid.rejected', (d) => d.bidId === bidB.bid.id);
    await hub.waitFor(b!.id, 'ride.withdrawn', (d) => d.reason === 'taken');
  });

  describe('cancellations', () => {
    async function assignedRide(hub: TestHub) {
      const customer = await createUser(stack, 'customer');
      const [driver] = await onlineDrivers(hub, 1);
      const ack = await request(hub, customer);
      const placed = await bid(hub, driver!, ack.rideId, 60_000);
      await hub.send(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: placed.bid.id });
      return { customer, driver: driver!, rideId: ack.rideId };
    }

    it('lets the customer cancel while bidding: bids rejected, offers withdrawn', async () => {
      const { hub } = await startRides();
      const customer = await createUser(stack, 'customer');
      const [bidder, watcher] = await onlineDrivers(hub, 2);
      const ack = await request(hub, customer);
      await hub.waitFor(watcher!.id, 'ride.requested');
      const placed = await bid(hub, bidder!, ack.rideId, 60_000);
      await hub.send(as(customer), 'ride.cancel', { rideId: ack.rideId, reason: 'found a bus' });
      await hub.waitFor(bidder!.id, 'bid.rejected', (d) => d.bidId === placed.bid.id);
      await hub.waitFor(bidder!.id, 'ride.withdrawn', (d) => d.reason === 'cancelled');
      await hub.waitFor(watcher!.id, 'ride.withdrawn', (d) => d.reason === 'cancelled');
      expect(await rideRow(ack.rideId)).toMatchObject({ status: 'cancelled', cancelled_by: 'customer', cancel_reason: 'found a bus', cancelled_from: 'requested' });
      // a repeat is answered, not refused
      expect(await hub.send(as(customer), 'ride.cancel', { rideId: ack.rideId, reason: 'found a bus' })).toMatchObject({ ride: { status: 'cancelled' } });
    });

    it('lets the driver cancel an assigned ride: the customer is told, the driver is free', async () => {
      const { hub } = await startRides();
      const { customer, driver, rideId } = await assignedRide(hub);
      await hub.send(as(driver), 'ride.cancel', { rideId, reason: 'flat tyre' });
      expect(await hub.waitFor(customer.id, 'ride.cancelled')).toEqual({ rideId, by: 'driver', reason: 'flat tyre' });
      expect(hub.get(driver.id)?.activity).toBe('idle');
      expect(hub.follows.has(customer.id)).toBe(false);
      expect(await rideRow(rideId)).toMatchObject({ status: 'cancelled', cancelled_by: 'driver', cancelled_from: 'assigned' });
    });

    it('lets the customer cancel after the driver arrived, and the driver is told', async () => {
      const { hub } = await startRides();
      const { customer, driver, rideId } = await assignedRide(hub);
      await hub.send(as(driver), 'ride.arrived', { rideId });
      await hub.send(as(customer), 'ride.cancel', { rideId, reason: 'too late' });
      // 10 % of the agreed 60,000: the fee the rules charge once the driver is at the pickup
      expect(await hub.waitFor(driver.id, 'ride.cancelled')).toEqual({ rideId, by: 'customer', reason: 'too late', fee: { amount: 6_000, currency: 'PKR', payer: 'customer' } });
      expect(await rideRow(rideId)).toMatchObject({ cancelled_from: 'arrived' });
    });

    it('refuses to cancel a ride in progress or completed, by either side', async () => {
      const { hub } = await startRides();
      const { customer, driver, rideId } = await assignedRide(hub);
      await hub.send(as(driver), 'ride.arrived', { rideId });
      await hub.send(as(driver), 'ride.start', { rideId });
      expect(await hub.sendExpectingError(as(customer), 'ride.cancel', { rideId, reason: 'x' })).toBe('invalid_transition');
      expect(await hub.sendExpectingError(as(driver), 'ride.cancel', { rideId, reason: 'x' })).toBe('invalid_transition');
      await hub.send(as(driver), 'ride.complete', { rideId });
      expect(await hub.sendExpectingError(as(customer), 'ride.cancel', { rideId, reason: 'x' })).toBe('invalid_transition');
      // the driver's repeated tap on complete is answered with the ride, not an error
      expect(await hub.send(as(driver), 'ride.complete', { rideId })).toMatchObject({ ride: { status: 'completed' } });
    });

    it('refuses steps out of order and steps by the wrong side, and strangers get not_found', async () => {
      const { hub } = await startRides();
      const { customer, driver, rideId } = await assignedRide(hub);
      const stranger = await createUser(stack, 'driver');
      expect(await hub.sendExpectingError(as(driver), 'ride.start', { rideId })).toBe('invalid_transition');
      expect(await hub.sendExpectingError(as(driver), 'ride.complete', { rideId })).toBe('invalid_transition');
      expect(await hub.sendExpectingError(as(customer), 'ride.arrived', { rideId })).toBe('forbidden');
      expect(await hub.sendExpectingError(as(stranger), 'ride.arrived', { rideId })).toBe('not_found');
      expect(await hub.sendExpectingError(as(stranger), 'ride.cancel', { rideId, reason: 'x' })).toBe('not_found');
    });
  });

  describe('cancellation fees', () => {
    const FEE = { amount: 6_000, currency: 'PKR', payer: 'customer' };
    type CancelAck = { ride: { status: string }; fee?: typeof FEE };

    async function assignedRideOn(hub: TestHub, paymentMethod: 'cash' | 'wallet' = 'cash') {
      const customer = await createUser(stack, 'customer');
      const [driver] = await onlineDrivers(hub, 1);
      const ack = await request(hub, customer, 60_000, paymentMethod);
      const placed = await bid(hub, driver!, ack.rideId, 60_000);
      const accepted = (await hub.send(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: placed.bid.id })) as { ride: { freeCancelUntil: string | null; cancelFee: unknown } };
      return { customer, driver: driver!, rideId: ack.rideId, accepted, etaS: placed.bid.etaS };
    }
    async function accountsOf(userId: string): Promise<Record<string, number>> {
      const { rows } = await stack.query<{ kind: string; balance: string }>(`SELECT kind, balance FROM ledger_accounts WHERE owner_id = $1`, [userId]);
      return Object.fromEntries(rows.map((row) => [row.kind, Number(row.balance)]));
    }
    async function ledgerSum(): Promise<number> {
      return Number((await stack.query<{ total: string }>(`SELECT coalesce(sum(amount), 0) AS total FROM ledger_entries`)).rows[0]!.total);
    }
    async function feeTransactions(rideId: string): Promise<number> {
      return (await stack.query(`SELECT id FROM ledger_transactions WHERE ride_id = $1 AND kind = 'ride_cancel_fee'`, [rideId])).rows.length;
    }

    it('shows the free window on assignment and lets the customer cancel free exactly at its end', async () => {
      // Arrange
      const { hub, clock } = await startRides();
      const { customer, driver, rideId, accepted } = await assignedRideOn(hub);
      expect(accepted.ride.freeCancelUntil).toBe(new Date(clock.now() + 120_000).toISOString());
      expect(accepted.ride.cancelFee).toBeNull();
      // session.state (a reconnect) shows the same, up to the window's end
      const sessionState = () => hub.sessionProviders[0]!(as(customer)) as Promise<{ activeRide: { freeCancelUntil: string | null; cancelFee: unknown } }>;
      expect((await sessionState()).activeRide).toMatchObject({ freeCancelUntil: accepted.ride.freeCancelUntil, cancelFee: null });
      await clock.advance(120_000);
      expect((await sessionState()).activeRide).toMatchObject({ freeCancelUntil: accepted.ride.freeCancelUntil, cancelFee: null });

      // Act: exactly at the end of the window (it was advanced 120,000 ms above)
      const ack = (await hub.send(as(customer), 'ride.cancel', { rideId, reason: 'changed plans' })) as CancelAck;

      // Assert
      expect(ack.fee).toBeUndefined();
      expect(await hub.waitFor(driver.id, 'ride.cancelled')).toEqual({ rideId, by: 'customer', reason: 'changed plans' });
      expect(await feeTransactions(rideId)).toBe(0);
    });

    it('charges a late cancel: the driver credited at once, the wallet as far as it covers, the rest a debt; a retry charges nothing again', async () => {
      // Arrange: a cash ride, the customer holds 2,000 in the wallet
      const { hub, clock } = await startRides();
      const { customer, driver, rideId } = await assignedRideOn(hub);
      await topUpWallet(pool, { userId: customer.id, amount: 2_000, currency: 'PKR', idempotencyKey: `fee-${rideId}` });
      await clock.advance(120_001);
      const state = (await hub.sessionProviders[0]!(as(customer))) as { activeRide: { freeCancelUntil: unknown; cancelFee: unknown } };
      expect(state.activeRide).toMatchObject({ freeCancelUntil: null, cancelFee: { amount: 6_000, currency: 'PKR' } });

      // Act
      const ack = (await hub.send(as(customer), 'ride.cancel', { rideId, reason: 'changed plans' })) as CancelAck;
      const again = (await hub.send(as(customer), 'ride.cancel', { rideId, reason: 'changed plans' })) as CancelAck;

      // Assert
      expect(ack).toMatchObject({ ride: { status: 'cancelled' }, fee: FEE });
      expect(again).toMatchObject({ ride: { status: 'cancelled' }, fee: FEE });
      expect(await hub.waitFor(driver.id, 'ride.cancelled')).toEqual({ rideId, by: 'customer', reason: 'changed plans', fee: FEE });
      expect(await feeTransactions(rideId)).toBe(1);
      expect(await accountsOf(customer.id)).toEqual({ customer_wallet: 0, customer_debt: -4_000 });
      expect(await accountsOf(driver.id)).toEqual({ driver_wallet: 6_000 });
      expect(await ledgerSum()).toBe(0);
      const cancelled = await stack.query<{ data: Record<string, unknown> }>(`SELECT data FROM ride_events WHERE ride_id = $1 AND type = 'cancelled'`, [rideId]);
      expect(cancelled.rows[0]!.data).toMatchObject({ reason: 'changed plans', fee: FEE, feeRule: 'after_free_window', countsAgainstDriver: false });
      expect(await rideRow(rideId)).toMatchObject({ cancel_fee: 6_000, cancel_counts_against_driver: false });
    });

    it('makes the next top-up pay the debt first, and a wallet request needs the fare plus the debt', async () => {
      // Arrange: a debt of 6,000 (empty wallet)
      const { hub, clock } = await startRides();
      const { customer, rideId } = await assignedRideOn(hub);
      await clock.advance(130_000);
      await hub.send(as(customer), 'ride.cancel', { rideId, reason: 'changed plans' });
      expect(await accountsOf(customer.id)).toEqual({ customer_wallet: 0, customer_debt: -6_000 });

      // Act
      await topUpWallet(pool, { userId: customer.id, amount: 62_000, currency: 'PKR', idempotencyKey: `after-debt-${rideId}` });

      // Assert: the debt is paid first; 56,000 is left, short of a 60,000 wallet ride
      expect(await accountsOf(customer.id)).toEqual({ customer_wallet: 56_000, customer_debt: 0 });
      expect(await ledgerSum()).toBe(0);
      await expect(request(hub, customer, 60_000, 'wallet')).rejects.toMatchObject({ code: 'insufficient_funds', details: { balance: 56_000, required: 60_000 } });
    });

    it('refuses a no-show cancel before the driver waited, then charges the customer and does not count it against the driver', async () => {
      // Arrange
      const { hub, clock } = await startRides();
      const { customer, driver, rideId } = await assignedRideOn(hub);
      const arrived = (await hub.send(as(driver), 'ride.arrived', { rideId })) as { ride: { cancelFee: unknown; freeCancelUntil: unknown } };
      expect(arrived.ride).toMatchObject({ cancelFee: { amount: 6_000, currency: 'PKR' }, freeCancelUntil: null });

      // Act
      await clock.advance(299_999);
      const early = await hub.sendExpectingError(as(driver), 'ride.cancel', { rideId, reason: 'customer_no_show' });
      await clock.advance(1);
      const ack = (await hub.send(as(driver), 'ride.cancel', { rideId, reason: 'customer_no_show' })) as CancelAck;

      // Assert
      expect(early).toBe('no_show_too_early');
      expect(ack.fee).toEqual(FEE);
      expect(await hub.waitFor(customer.id, 'ride.cancelled')).toEqual({ rideId, by: 'driver', reason: 'customer_no_show', fee: FEE });
      expect(await rideRow(rideId)).toMatchObject({ cancel_counts_against_driver: false, cancel_fee: 6_000 });
    });

    it('lets the customer cancel free once the driver is late past his ETA and the grace', async () => {
      const { hub, clock } = await startRides();
      const { customer, rideId, etaS } = await assignedRideOn(hub);
      await clock.advance((etaS + 300) * 1000);
      const ack = (await hub.send(as(customer), 'ride.cancel', { rideId, reason: 'driver is late' })) as CancelAck;
      expect(ack.fee).toBeUndefined();
      expect(await feeTransactions(rideId)).toBe(0);
    });

    it("shows customers each bidding driver's cancellation rate over his assignments", async () => {
      // Arrange: a driver who cancelled one of two assignments, and a no-show cancel that does not count
      const { hub, clock } = await startRides();
      const first = await assignedRideOn(hub);
      await hub.send(as(first.driver), 'ride.cancel', { rideId: first.rideId, reason: 'flat tyre' });
      const customer = await createUser(stack, 'customer');
      const second = await request(hub, customer);
      const secondBid = await bid(hub, first.driver, second.rideId, 60_000);
      await hub.send(as(customer), 'bid.accept', { rideId: second.rideId, bidId: secondBid.bid.id });
      await hub.send(as(first.driver), 'ride.arrived', { rideId: second.rideId });
      await clock.advance(300_000);
      await hub.send(as(first.driver), 'ride.cancel', { rideId: second.rideId, reason: 'customer_no_show' });

      // Act
      const third = await createUser(stack, 'customer');
      const thirdRide = await request(hub, third);
      await bid(hub, first.driver, thirdRide.rideId, 60_000);

      // Assert
      const received = await hub.waitFor(third.id, 'bid.received');
      expect(received.bid.driver.cancellationRate).toBe(0.5);
    });
  });

  describe('wallet rides', () => {
    it('refuses a wallet request the balance cannot cover, up front', async () => {
      const { hub } = await startRides();
      const customer = await createUser(stack, 'customer');
      await topUpWallet(pool, { userId: customer.id, amount: 10_000, currency: 'PKR', idempotencyKey: 'k1' });
      let refused: unknown;
      try {
        await request(hub, customer, 60_000, 'wallet');
      } catch (error) {
        refused = error;
      }
      expect(refused).toMatchObject({ code: 'insufficient_funds', details: { balance: 10_000, required: 60_000 } });
      expect((await stack.query(`SELECT id FROM rides WHERE customer_id = $1`, [customer.id])).rows).toHaveLength(0);
    });

    it('moves a wallet fare to the driver less commission on completion, and refuses a counter-offer the wallet cannot cover', async () => {
      const { hub } = await startRides();
      const customer = await createUser(stack, 'customer');
      await topUpWallet(pool, { userId: customer.id, amount: 70_000, currency: 'PKR', idempotencyKey: 'k2' });
      const [cheap, dear] = await onlineDrivers(hub, 2);
      const ack = await request(hub, customer, 60_000, 'wallet');
      const dearBid = await bid(hub, dear!, ack.rideId, 80_000);
      expect(await hub.sendExpectingError(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: dearBid.bid.id })).toBe('insufficient_funds');
      const cheapBid = await bid(hub, cheap!, ack.rideId, 60_000);
      await hub.send(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: cheapBid.bid.id });
      for (const type of ['ride.arrived', 'ride.start', 'ride.complete'] as const) await hub.send(as(cheap!), type, { rideId: ack.rideId });
      const balances = await stack.query<{ owner_id: string; kind: string; balance: string }>(
        `SELECT owner_id, kind, balance FROM ledger_accounts WHERE owner_id = ANY($1::uuid[])`,
        [[customer.id, cheap!.id]],
      );
      const byOwner = Object.fromEntries(balances.rows.map((r) => [r.owner_id, Number(r.balance)]));
      expect(byOwner[customer.id]).toBe(10_000);
      expect(byOwner[cheap!.id]).toBe(51_000);
      const sum = await stack.query<{ total: string }>(`SELECT coalesce(sum(amount), 0) AS total FROM ledger_entries`);
      expect(Number(sum.rows[0]!.total)).toBe(0);
    });
  });

  it('settles exactly one outcome when 50 drivers bid and the customer accepts several bids while the ride is cancelled and expired', async () => {
    const { hub, clock } = await startRides({ BID_TTL_MS: '60000', REQUEST_TTL_MS: '20000' });
    const drivers = await onlineDrivers(hub, 50, (i) => near(100 + i * 20, i * 7));
    const outcomes: string[] = [];
    for (let round = 0; round < 6; round += 1) {
      const customer = await createUser(stack, 'customer');
      const ack = await request(hub, customer);
      await offerTo(hub, clock, drivers, ack.rideId);
      const bids = await Promise.all(drivers.map((driver, i) => bid(hub, driver, ack.rideId, 60_000 + i * 100)));
      expect(bids).toHaveLength(50);
      // The race: five accepts of different bids, a cancel of the request, and the expiry, all at once.
      const racers: (() => Promise<string>)[] = [
        ...[0, 10, 20, 30, 40].map((i) => () => hub.sendExpectingError(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: bids[(i + round) % 50]!.bid.id })),
        () => hub.sendExpectingError(as(customer), 'ride.cancel', { rideId: ack.rideId, reason: 'changed my mind', expectedStatus: 'requested' }),
        // The request's time is up as the race starts: the expiry poll runs with them.
        () => clock.advance(20_000).then(() => 'expiry-ran'),
      ];
      // Each round another racer starts first, so every kind of outcome gets its chance to win.
      const order = racers.map((_, i) => (i + [5, 6, 0, 5, 6, 2][round]!) % racers.length);
      const started: Promise<string>[] = new Array(racers.length);
      for (const index of order) started[index] = racers[index]!();
      const results = await Promise.all(started);
      const wins = results.slice(0, 6).filter((r) => r === 'ok');
      expect(wins.length).toBeLessThanOrEqual(1);
      for (const loser of results.slice(0, 6).filter((r) => r !== 'ok')) expect(['ride_not_open', 'invalid_transition']).toContain(loser);

      const ride = await rideRow(ack.rideId);
      const bidStatuses = await stack.query<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM bids WHERE ride_id = $1 GROUP BY status`, [ack.rideId]);
      const counts = Object.fromEntries(bidStatuses.rows.map((r) => [r.status, Number(r.n)]));
      const events = await eventTypes(ack.rideId);
      const terminalEvents = events.filter((e) => ['assigned', 'cancelled', 'expired'].includes(e));
      expect(terminalEvents).toHaveLength(1);
      if (ride['status'] === 'assigned') {
        expect(wins).toHaveLength(1);
        expect(counts).toEqual({ accepted: 1, rejected: 49 });
        const accepted = await stack.query<{ id: string; driver_id: string; fare: number }>(`SELECT id, driver_id, fare FROM bids WHERE ride_id = $1 AND status = 'accepted'`, [ack.rideId]);
        expect(ride).toMatchObject({ accepted_bid_id: accepted.rows[0]!.id, driver_id: accepted.rows[0]!.driver_id, agreed_fare: accepted.rows[0]!.fare });
        expect(terminalEvents).toEqual(['assigned']);
        // free the driver for the next round
        await hub.send(as(customer), 'ride.cancel', { rideId: ack.rideId, reason: 'round over' });
      } else {
        expect(['cancelled', 'expired']).toContain(ride['status']);
        expect(wins).toHaveLength(ride['status'] === 'cancelled' ? 1 : 0);
        expect(ride['accepted_bid_id']).toBeNull();
        expect(ride['driver_id']).toBeNull();
        expect(counts).toEqual({ rejected: 50 });
        expect(terminalEvents).toEqual([ride['status']]);
      }
      outcomes.push(String(ride['status']));
    }
    expect(outcomes).toHaveLength(6);
  });

  describe('after a restart', () => {
    it('needs no re-arming: open bids and requests are due rows the next process expires on time', async () => {
      const first = await startRides({ BID_TTL_MS: '2500', REQUEST_TTL_MS: '4000' });
      const customer = await createUser(stack, 'customer');
      const [driver] = await onlineDrivers(first.hub, 1);
      const ack = await request(first.hub, customer);
      await first.hub.waitFor(driver!.id, 'ride.requested', (d) => d.ride.id === ack.rideId);
      const placed = await bid(first.hub, driver!, ack.rideId, 60_000);
      await running.shift()!.stop();

      const second = await startRides({ BID_TTL_MS: '2500', REQUEST_TTL_MS: '4000' }, first.clock);
      second.hub.goOnline(driver!.id, near(300));
      const state = await second.hub.sessionState(as(customer));
      expect(state).toMatchObject({ activeRide: null, openRequest: { id: ack.rideId, bids: [{ id: placed.bid.id, status: 'open' }], lastSeq: 3 } });
      const driverState = await second.hub.sessionState(as(driver!));
      expect(driverState).toMatchObject({ offers: [{ ride: { id: ack.rideId } }] });
      await first.clock.advance(2_500);
      expect(second.hub.framesFor(customer.id, 'bid.expired').map((f) => [f.data, f.seq])).toEqual([[{ rideId: ack.rideId, bidId: placed.bid.id }, 4]]);
      expect(second.hub.framesFor(customer.id, 'ride.expired')).toHaveLength(0);
      await first.clock.advance(1_500);
      expect(second.hub.framesFor(customer.id, 'ride.expired').map((f) => [f.data, f.seq])).toEqual([[{ rideId: ack.rideId }, 5]]);
      expect(await eventTypes(ack.rideId)).toEqual(['requested', 'offered', 'bid_placed', 'bid_expired', 'expired', 'offers_withdrawn']);
    });

    it('gives both parties their active ride and lets it run to the end', async () => {
      const first = await startRides();
      const customer = await createUser(stack, 'customer');
      const [driver] = await onlineDrivers(first.hub, 1);
      const ack = await request(first.hub, customer);
      const placed = await bid(first.hub, driver!, ack.rideId, 60_000);
      await first.hub.send(as(customer), 'bid.accept', { rideId: ack.rideId, bidId: placed.bid.id });
      await first.hub.send(as(driver!), 'ride.arrived', { rideId: ack.rideId });
      await running.shift()!.stop();

      const second = await startRides();
      // Nothing is rebuilt at start: what the apps are told on reconnect is read from the database.
      expect(await second.hub.sessionState(as(customer))).toMatchObject({ activeRide: { id: ack.rideId, status: 'arrived', driver: { id: driver!.id } }, openRequest: null });
      expect(second.hub.follows.get(customer.id)).toBe(driver!.id);
      expect(await second.hub.sessionState(as(driver!))).toMatchObject({ activeRide: { id: ack.rideId, status: 'arrived', customer: { id: customer.id } }, offers: [] });
      second.hub.goOnline(driver!.id, near(10));
      expect(second.hub.get(driver!.id)?.activity).toBe('on_ride');
      await second.hub.send(as(driver!), 'ride.start', { rideId: ack.rideId });
      await second.hub.send(as(driver!), 'ride.complete', { rideId: ack.rideId });
      expect(await rideRow(ack.rideId)).toMatchObject({ status: 'completed' });
    });
  });
});
