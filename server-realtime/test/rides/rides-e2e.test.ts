/**
 * Whole rides driven through real WebSockets against the real realtime service and PostgreSQL,
 * as the apps would: tokens, driver.online, location updates, haggling, the ride, a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KARACHI_CENTER, moveM } from '@drivrr/shared';
import { silentLogger } from '@drivrr/shared/logger';
import type { LatLng } from '@drivrr/shared/protocol';
import { loadRealtimeConfig, startRealtimeServer, VirtualClock, type RealtimeServer } from '@drivrr/server-realtime';
import { createUser, startTestStack, type TestStack, type TestUser } from '../../../test-support/stack.js';
import { WsTestClient } from './support/ws-client.js';

const FAST = {
  MATCH_STEP_MS: '200',
  REQUEST_TTL_MS: '3500',
  BID_TTL_MS: '2000',
  COMMISSION_PCT: '10',
};

const PICKUP: LatLng = KARACHI_CENTER;
const DROPOFF: LatLng = moveM(KARACHI_CENTER, 45, 6_000);

/** Time of the rides module: it moves only when a test advances it (no test sleeps for an expiry). */
const clock = new VirtualClock();
let stack: TestStack;
/** The realtime server the tests talk to (replaced by the restart test). */
let realtime: RealtimeServer;
const extraServers: RealtimeServer[] = [];
const clients: WsTestClient[] = [];

beforeAll(async () => {
  stack = await startTestStack({ auth: false, realtimeEnv: FAST, realtimeClock: clock });
  realtime = stack.realtime!;
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const server of extraServers) await server.stop();
  await stack.stop();
});

async function connect(user: TestUser) {
  const { client, state } = await WsTestClient.session(realtime.wsUrl, user.token);
  clients.push(client);
  return { client, state };
}

async function onlineDriver(at: LatLng, name?: string) {
  const user = await createUser(stack, 'driver', name ? { name } : {});
  const { client } = await connect(user);
  await client.request('driver.online', at);
  return { user, client };
}

/** The offers of a ride to these drivers, stepping the search on (virtual time, a batch per step) until it reaches them all. */
async function offersTo(clients: readonly WsTestClient[], rideId: string) {
  const offered = (client: WsTestClient) => client.all('ride.requested').some((d) => d.ride.id === rideId);
  for (let step = 0; step < 15 && !clients.every(offered); step += 1) await clock.advance(200);
  return Promise.all(clients.map((client) => client.waitFor('ride.requested', (d) => d.ride.id === rideId)));
}

/** The offer of a ride to a driver (a driver bids only on a ride offered to them). */
async function offerOf(client: WsTestClient, rideId: string) {
  const [offer] = await offersTo([client], rideId);
  return offer!;
}

interface RequestAck {
  rideId: string;
  estimate: { distanceM: number; durationS: number; suggestedFare: number; minimumFare: number };
  ride: { id: string; status: string; expiresAt: string };
}

describe('rides over WebSockets', () => {
  it('takes a ride from request to completion: offer, bid, accept, live location, status, settlement', async () => {
    const customerUser = await createUser(stack, 'customer', { name: 'Bilal' });
    const { client: customer, state } = await connect(customerUser);
    expect(state).toMatchObject({ activeRide: null, openRequest: null });
    const driver = await onlineDriver(moveM(PICKUP, 180, 600), 'Kashif');

    const ack = await customer.request<RequestAck>('ride.request', { pickup: { ...PICKUP, address: 'Saddar' }, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    expect(ack.estimate.distanceM).toBeGreaterThan(7_000);
    expect(ack.ride.status).toBe('requested');
    const offer = await offerOf(driver.client, ack.rideId);
    expect(offer.distanceToPickupM).toBeGreaterThan(550);
    expect(offer.ride.pickup.address).toBe('Saddar');

    const placed = await driver.client.request<{ bid: { id: string } }>('bid.place', { rideId: ack.rideId, fare: 55_000 });
    const received = await customer.waitFor('bid.received', (d) => d.bid.id === placed.bid.id);
    expect(received.bid).toMatchObject({ fare: 55_000, driver: { name: 'Kashif', vehicle: { make: 'Suzuki' } } });

    const accepted = await customer.request<{ ride: { status: string; agreedFare: number } }>('bid.accept', { rideId: ack.rideId, bidId: placed.bid.id });
    expect(accepted.ride).toMatchObject({ status: 'assigned', agreedFare: 55_000 });
    expect((await driver.client.waitFor('ride.assigned')).customer).toMatchObject({ id: customerUser.id, name: 'Bilal' });
    expect((await customer.waitFor('ride.assigned')).driver).toMatchObject({ id: driver.user.id, name: 'Kashif' });

    await driver.client.request('location.update', { ...moveM(PICKUP, 180, 300), heading: 0 });
    const fix = await customer.waitFor('driver.location', (d) => d.driverId === driver.user.id);
    expect(fix.lat).toBeCloseTo(moveM(PICKUP, 180, 300).lat, 6);

    for (const [type, status] of [['ride.arrived', 'arrived'], ['ride.start', 'in_progress'], ['ride.complete', 'completed']] as const) {
      await driver.client.request(type, { rideId: ack.rideId });
      await customer.waitFor('ride.status', (d) => d.rideId === ack.rideId && d.status === status);
    }

    const ride = await stack.query(`SELECT status, agreed_fare, driver_id FROM rides WHERE id = $1`, [ack.rideId]);
    expect(ride.rows[0]).toMatchObject({ status: 'completed', agreed_fare: 55_000, driver_id: driver.user.id });
    const commission = await stack.query<{ balance: string }>(`SELECT balance FROM ledger_accounts WHERE owner_id = $1 AND kind = 'driver_wallet'`, [driver.user.id]);
    expect(Number(commission.rows[0]!.balance)).toBe(-5_500);
    const events = await stack.query<{ type: string }>(`SELECT type FROM ride_events WHERE ride_id = $1 ORDER BY id`, [ack.rideId]);
    expect(events.rows.map((r) => r.type)).toEqual(['requested', 'offered', 'bid_placed', 'assigned', 'arrived', 'started', 'completed']);

    // The follow ended with the ride: further fixes are not sent to the customer.
    const before = customer.all('driver.location').length;
    await driver.client.request('location.update', moveM(PICKUP, 0, 100));
    await customer.request('ping', {});
    expect(customer.all('driver.location')).toHaveLength(before);
  });

  it('refuses bad requests with clear codes: below the floor, short wallet, a second live ride', async () => {
    const user = await createUser(stack, 'customer');
    const { client } = await connect(user);
    const low = await client.request('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 100, paymentMethod: 'cash' }).catch((e: unknown) => e);
    expect(low).toMatchObject({ code: 'fare_below_minimum', details: { minimumFare: expect.any(Number), suggestedFare: expect.any(Number) } });
    expect(await client.errorOf('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'wallet' })).toBe('insufficient_funds');
    expect(await client.errorOf('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: -5, paymentMethod: 'cash' })).toBe('validation_failed');
    const first = await client.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    expect(await client.errorOf('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' })).toBe('active_ride_exists');
    await client.request('ride.cancel', { rideId: first.rideId, reason: 'testing' });
  });

  it('expires a request no driver answered and tells the customer', async () => {
    const user = await createUser(stack, 'customer');
    const { client } = await connect(user);
    const far = moveM(PICKUP, 0, 40_000);
    const ack = await client.request<RequestAck>('ride.request', { pickup: far, dropoff: moveM(far, 90, 3_000), fare: 50_000, paymentMethod: 'cash' });
    await clock.advance(3_499);
    expect(client.all('ride.expired')).toHaveLength(0);
    await clock.advance(1);
    await client.waitFor('ride.expired', (d) => d.rideId === ack.rideId);
    const row = await stack.query(`SELECT status FROM rides WHERE id = $1`, [ack.rideId]);
    expect(row.rows[0]).toMatchObject({ status: 'expired' });
  });

  it('serves two customers and many drivers at once, each driver on at most one ride', async () => {
    const east = moveM(PICKUP, 90, 15_000);
    const drivers = await Promise.all(Array.from({ length: 12 }, (_, i) => onlineDriver(moveM(i < 6 ? PICKUP : east, i * 60, 300 + i * 50))));
    const customers = await Promise.all([createUser(stack, 'customer'), createUser(stack, 'customer')].map(async (p) => connect(await p)));
    const acks = await Promise.all(
      customers.map(({ client }, i) => {
        const from = i === 0 ? PICKUP : east;
        return client.request<RequestAck>('ride.request', { pickup: from, dropoff: moveM(from, 0, 4_000), fare: 40_000, paymentMethod: 'cash' });
      }),
    );
    // The first batch is offered at once, the drivers beyond it as the search steps on.
    const offered = (driver: (typeof drivers)[number]) => driver.client.all('ride.requested').some((d) => acks.some((a) => a.rideId === d.ride.id));
    for (let step = 0; step < 10 && !drivers.every(offered); step += 1) await clock.advance(200);
    // Every driver near a pickup bids on the ride offered to them.
    await Promise.all(
      drivers.map(async (driver) => {
        const offer = await driver.client.waitFor('ride.requested', (d) => acks.some((a) => a.rideId === d.ride.id));
        await driver.client.request('bid.place', { rideId: offer.ride.id, fare: offer.ride.fare });
      }),
    );
    const chosen = await Promise.all(
      customers.map(async ({ client }, i) => {
        const first = await client.waitFor('bid.received', (d) => d.rideId === acks[i]!.rideId);
        await client.request('bid.accept', { rideId: acks[i]!.rideId, bidId: first.bid.id });
        return first.bid.driver.id;
      }),
    );
    expect(new Set(chosen).size).toBe(2);
    for (const driver of drivers) {
      const assigned = driver.client.all('ride.assigned');
      expect(assigned.length).toBeLessThanOrEqual(1);
      if (!chosen.includes(driver.user.id)) await driver.client.waitFor('ride.withdrawn', (d) => d.reason === 'taken');
    }
    const rows = await stack.query<{ driver_id: string }>(`SELECT driver_id FROM rides WHERE id = ANY($1::uuid[]) AND status = 'assigned'`, [acks.map((a) => a.rideId)]);
    expect(rows.rows.map((r) => r.driver_id).sort()).toEqual([...chosen].sort());
    // the chosen drivers are not offered a new request nearby
    const third = await connect(await createUser(stack, 'customer'));
    const ack3 = await third.client.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    const idle = drivers.find((d) => !chosen.includes(d.user.id) && d.client.all('ride.requested').length > 0 && drivers.indexOf(d) < 6)!;
    await idle.client.waitFor('ride.requested', (d) => d.ride.id === ack3.rideId);
    // the search widens to its largest radius: still nobody on a ride is offered it
    for (let step = 0; step < 4; step += 1) await clock.advance(200);
    for (const driver of drivers.filter((d) => chosen.includes(d.user.id))) {
      expect(driver.client.all('ride.requested').filter((d) => d.ride.id === ack3.rideId)).toHaveLength(0);
    }
    for (const [i, { client }] of customers.entries()) await client.request('ride.cancel', { rideId: acks[i]!.rideId, reason: 'test over' });
    await third.client.request('ride.cancel', { rideId: ack3.rideId, reason: 'test over' });
    for (const driver of drivers) await driver.client.request('driver.offline', {});
  });

  it('haggles: a counter-offer within bounds, a raised fare re-offered to drivers who did not bid', async () => {
    const { client: customer } = await connect(await createUser(stack, 'customer'));
    const counter = await onlineDriver(moveM(PICKUP, 0, 300));
    const silent = await onlineDriver(moveM(PICKUP, 90, 400));
    const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 40_000, paymentMethod: 'cash' });
    await offersTo([counter.client, silent.client], ack.rideId);
    expect(await counter.client.errorOf('bid.place', { rideId: ack.rideId, fare: 39_000 })).toBe('fare_below_minimum');
    expect(await counter.client.errorOf('bid.place', { rideId: ack.rideId, fare: 120_001 })).toBe('fare_above_maximum');
    const placed = await counter.client.request<{ bid: { id: string }; offer: string }>('bid.place', { rideId: ack.rideId, fare: 48_000 });
    expect(placed.offer).toBe('counter');
    await customer.waitFor('bid.received', (d) => d.bid.id === placed.bid.id && d.bid.fare === 48_000);

    expect(await customer.errorOf('ride.raise_fare', { rideId: ack.rideId, fare: 39_000 })).toBe('validation_failed');
    const raised = await customer.request<{ ride: { fare: number } }>('ride.raise_fare', { rideId: ack.rideId, fare: 45_000 });
    expect(raised.ride.fare).toBe(45_000);
    await silent.client.waitFor('ride.requested', (d) => d.ride.id === ack.rideId && d.ride.fare === 45_000);
    const asOffered = await silent.client.request<{ bid: { id: string }; offer: string }>('bid.place', { rideId: ack.rideId, fare: 45_000 });
    expect(asOffered.offer).toBe('as_offered');
    expect(counter.client.all('ride.requested').filter((d) => d.ride.id === ack.rideId && d.ride.fare === 45_000)).toHaveLength(0);

    await customer.request('bid.accept', { rideId: ack.rideId, bidId: placed.bid.id });
    await silent.client.waitFor('bid.rejected', (d) => d.bidId === asOffered.bid.id);
    await silent.client.waitFor('ride.withdrawn', (d) => d.rideId === ack.rideId && d.reason === 'taken');
    const row = await stack.query(`SELECT status, fare, agreed_fare FROM rides WHERE id = $1`, [ack.rideId]);
    expect(row.rows[0]).toMatchObject({ status: 'assigned', fare: 45_000, agreed_fare: 48_000 });
    await customer.request('ride.cancel', { rideId: ack.rideId, reason: 'test over' });
  });

  it('takes a bid only from a driver who holds a current offer of the ride: never offered, or withdrawn since, is not_offered', async () => {
    const { client: customer } = await connect(await createUser(stack, 'customer'));
    const near = await onlineDriver(moveM(PICKUP, 0, 250));
    const other = await onlineDriver(moveM(PICKUP, 270, 400));
    const faraway = await onlineDriver(moveM(PICKUP, 0, 1_000_000));
    const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    await offerOf(near.client, ack.rideId);
    await offerOf(other.client, ack.rideId);
    const offerRow = async (driverId: string) => (await stack.query(`SELECT status FROM ride_offers WHERE ride_id = $1 AND driver_id = $2`, [ack.rideId, driverId])).rows[0];

    // A driver 1,000 km away, never offered the ride, cannot bid on it; the offered driver can.
    expect(await faraway.client.errorOf('bid.place', { rideId: ack.rideId, fare: 50_000 })).toBe('not_offered');
    const placed = await near.client.request<{ bid: { id: string }; offer: string }>('bid.place', { rideId: ack.rideId, fare: 50_000 });
    expect(placed.offer).toBe('as_offered');
    await customer.waitFor('bid.received', (d) => d.bid.id === placed.bid.id);

    // Going offline withdraws the offer: back online, the driver may not bid until offered again.
    await near.client.request('driver.offline', {});
    await customer.waitFor('bid.withdrawn', (d) => d.bidId === placed.bid.id && d.reason === 'driver_offline');
    expect(await offerRow(near.user.id)).toEqual({ status: 'withdrawn' });
    await near.client.request('driver.online', moveM(PICKUP, 0, 250));
    expect(await near.client.errorOf('bid.place', { rideId: ack.rideId, fare: 50_000 })).toBe('not_offered');
    // The search's next step offers the ride to them again (as to any idle driver near it who holds no offer).
    const offersOfRide = () => near.client.all('ride.requested').filter((d) => d.ride.id === ack.rideId).length;
    for (let step = 0; step < 5 && offersOfRide() === 1; step += 1) await clock.advance(200);
    expect(offersOfRide()).toBe(2);
    const again = await near.client.request<{ bid: { id: string } }>('bid.place', { rideId: ack.rideId, fare: 52_000 });
    expect(faraway.client.all('ride.requested').filter((d) => d.ride.id === ack.rideId)).toHaveLength(0);

    // Once the ride is taken, the other offered driver's offer is withdrawn and refused.
    await customer.request('bid.accept', { rideId: ack.rideId, bidId: again.bid.id });
    await other.client.waitFor('ride.withdrawn', (d) => d.rideId === ack.rideId && d.reason === 'taken');
    expect(await offerRow(other.user.id)).toEqual({ status: 'withdrawn' });
    expect(await other.client.errorOf('bid.place', { rideId: ack.rideId, fare: 50_000 })).toBe('ride_not_open');
    await customer.request('ride.cancel', { rideId: ack.rideId, reason: 'test over' });
    for (const driver of [near, other, faraway]) await driver.client.request('driver.offline', {});
  });

  it('expires an unanswered bid: both sides are told and it can no longer be accepted', async () => {
    const { client: customer } = await connect(await createUser(stack, 'customer'));
    const driver = await onlineDriver(moveM(PICKUP, 0, 300));
    const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    await offerOf(driver.client, ack.rideId);
    const placed = await driver.client.request<{ bid: { id: string } }>('bid.place', { rideId: ack.rideId, fare: 50_000 });
    await clock.advance(1_999);
    await customer.request('ping', {});
    expect(customer.all('bid.expired')).toHaveLength(0);
    await clock.advance(1);
    await customer.waitFor('bid.expired', (d) => d.bidId === placed.bid.id);
    await driver.client.waitFor('bid.expired', (d) => d.bidId === placed.bid.id);
    expect(await customer.errorOf('bid.accept', { rideId: ack.rideId, bidId: placed.bid.id })).toBe('bid_expired');
    await customer.request('ride.cancel', { rideId: ack.rideId, reason: 'test over' });
  });

  it('gives a reconnecting driver their open offers, and withdraws their bids when they go offline', async () => {
    const customerUser = await createUser(stack, 'customer');
    const { client: customer } = await connect(customerUser);
    const driver = await onlineDriver(moveM(PICKUP, 45, 350));
    const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    await offerOf(driver.client, ack.rideId);
    const placed = await driver.client.request<{ bid: { id: string } }>('bid.place', { rideId: ack.rideId, fare: 52_000 });

    await driver.client.close();
    const back = await connect(driver.user);
    expect(back.state.offers).toEqual([expect.objectContaining({ ride: expect.objectContaining({ id: ack.rideId }), distanceToPickupM: expect.any(Number) })]);
    const customerBack = await connect(customerUser);
    expect(customerBack.state.openRequest).toMatchObject({ id: ack.rideId, status: 'requested', bids: [{ id: placed.bid.id, status: 'open', fare: 52_000 }] });

    await back.client.request('driver.offline', {});
    expect(await customerBack.client.waitFor('bid.withdrawn', (d) => d.bidId === placed.bid.id)).toEqual({ rideId: ack.rideId, bidId: placed.bid.id, reason: 'driver_offline' });
    await customerBack.client.request('ride.cancel', { rideId: ack.rideId, reason: 'test over' });
  });

  describe('cancellations at each stage', () => {
    async function assigned() {
      const customerUser = await createUser(stack, 'customer');
      const { client: customer } = await connect(customerUser);
      const driver = await onlineDriver(moveM(PICKUP, 180, 300));
      const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
      await offerOf(driver.client, ack.rideId);
      const placed = await driver.client.request<{ bid: { id: string } }>('bid.place', { rideId: ack.rideId, fare: 50_000 });
      await customer.request('bid.accept', { rideId: ack.rideId, bidId: placed.bid.id });
      return { customer, driver: driver.client, rideId: ack.rideId };
    }
    const rowOf = async (rideId: string) => (await stack.query(`SELECT status, cancelled_by, cancelled_from, cancel_reason FROM rides WHERE id = $1`, [rideId])).rows[0];

    it('the customer cancels while drivers bid: bids rejected, offers withdrawn', async () => {
      const { client: customer } = await connect(await createUser(stack, 'customer'));
      const bidder = await onlineDriver(moveM(PICKUP, 0, 200));
      const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
      await offerOf(bidder.client, ack.rideId);
      const placed = await bidder.client.request<{ bid: { id: string } }>('bid.place', { rideId: ack.rideId, fare: 50_000 });
      await customer.request('ride.cancel', { rideId: ack.rideId, reason: 'found a bus', expectedStatus: 'requested' });
      await bidder.client.waitFor('bid.rejected', (d) => d.bidId === placed.bid.id);
      await bidder.client.waitFor('ride.withdrawn', (d) => d.rideId === ack.rideId && d.reason === 'cancelled');
      expect(await rowOf(ack.rideId)).toMatchObject({ status: 'cancelled', cancelled_by: 'customer', cancelled_from: 'requested', cancel_reason: 'found a bus' });
    });

    it('the driver cancels an assigned ride and the customer is told', async () => {
      const { customer, driver, rideId } = await assigned();
      await driver.request('ride.cancel', { rideId, reason: 'flat tyre' });
      expect(await customer.waitFor('ride.cancelled', (d) => d.rideId === rideId)).toEqual({ rideId, by: 'driver', reason: 'flat tyre' });
      expect(await rowOf(rideId)).toMatchObject({ status: 'cancelled', cancelled_by: 'driver', cancelled_from: 'assigned' });
    });

    it('the customer cancels once the driver arrived and the driver is told, with the fee he is credited', async () => {
      const { customer, driver, rideId } = await assigned();
      const arrived = await driver.request<{ ride: { cancelFee: { amount: number; currency: string } | null } }>('ride.arrived', { rideId });
      const fee = { ...arrived.ride.cancelFee!, payer: 'customer' };
      expect(fee.amount).toBeGreaterThan(0);
      expect(await customer.request('ride.cancel', { rideId, reason: 'took too long' })).toMatchObject({ ride: { status: 'cancelled' }, fee });
      expect(await driver.waitFor('ride.cancelled', (d) => d.rideId === rideId)).toEqual({ rideId, by: 'customer', reason: 'took too long', fee });
      expect(await rowOf(rideId)).toMatchObject({ status: 'cancelled', cancelled_from: 'arrived' });
    });

    it('neither side may cancel a trip in progress; steps out of order are refused', async () => {
      const { customer, driver, rideId } = await assigned();
      expect(await driver.errorOf('ride.start', { rideId })).toBe('invalid_transition');
      await driver.request('ride.arrived', { rideId });
      await driver.request('ride.start', { rideId });
      expect(await customer.errorOf('ride.cancel', { rideId, reason: 'x' })).toBe('invalid_transition');
      expect(await driver.errorOf('ride.cancel', { rideId, reason: 'x' })).toBe('invalid_transition');
      expect(await customer.errorOf('ride.arrived', { rideId })).not.toBe('ok');
      await driver.request('ride.complete', { rideId });
      expect(await customer.errorOf('ride.cancel', { rideId, reason: 'x' })).toBe('invalid_transition');
      expect(await rowOf(rideId)).toMatchObject({ status: 'completed', cancelled_by: null });
    });
  });

  it('50 drivers bid and the customer accepts several bids while cancelling: exactly one outcome, in the database too', async () => {
    const drivers = await Promise.all(Array.from({ length: 50 }, (_, i) => onlineDriver(moveM(PICKUP, i * 7, 150 + i * 60))));
    for (let round = 0; round < 3; round += 1) {
      const customerUser = await createUser(stack, 'customer');
      const { client: customer } = await connect(customerUser);
      const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
      await offersTo(drivers.map((d) => d.client), ack.rideId);
      const bids = await Promise.all(drivers.map((d, i) => d.client.request<{ bid: { id: string } }>('bid.place', { rideId: ack.rideId, fare: 50_000 + i * 100 })));
      // All sent at once on the customer's socket, the cancel first in one round, last in another.
      const accepts = [3, 17, 42].map((i) => () => customer.errorOf('bid.accept', { rideId: ack.rideId, bidId: bids[(i + round) % 50]!.bid.id }));
      const cancel = () => customer.errorOf('ride.cancel', { rideId: ack.rideId, reason: 'changed my mind', expectedStatus: 'requested' });
      const racers = round === 1 ? [cancel, ...accepts] : [...accepts, cancel];
      const results = await Promise.all(racers.map((start) => start()));
      expect(results.filter((r) => r === 'ok')).toHaveLength(1);
      for (const r of results.filter((x) => x !== 'ok')) expect(['ride_not_open', 'invalid_transition']).toContain(r);

      const ride = (await stack.query(`SELECT status, accepted_bid_id, driver_id FROM rides WHERE id = $1`, [ack.rideId])).rows[0]!;
      const counts = Object.fromEntries(
        (await stack.query<{ status: string; n: number }>(`SELECT status, count(*)::int AS n FROM bids WHERE ride_id = $1 GROUP BY status`, [ack.rideId])).rows.map((r) => [r.status, r.n]),
      );
      const events = (await stack.query<{ type: string }>(`SELECT type FROM ride_events WHERE ride_id = $1 AND type IN ('assigned', 'cancelled', 'expired')`, [ack.rideId])).rows.map((r) => r.type);
      if (ride['status'] === 'assigned') {
        expect(counts).toEqual({ accepted: 1, rejected: 49 });
        expect(events).toEqual(['assigned']);
        const winner = drivers.find((d) => d.user.id === ride['driver_id'])!;
        await winner.client.waitFor('ride.assigned', (d) => d.ride.id === ack.rideId);
        await customer.request('ride.cancel', { rideId: ack.rideId, reason: 'round over' });
      } else {
        expect(ride).toMatchObject({ status: 'cancelled', accepted_bid_id: null, driver_id: null });
        expect(counts).toEqual({ rejected: 50 });
        expect(events).toEqual(['cancelled']);
      }
    }
    for (const driver of drivers) await driver.client.request('driver.offline', {});
  });

  it('survives a restart of the realtime service mid-ride: both apps get their active ride and the ride completes', async () => {
    const customerUser = await createUser(stack, 'customer');
    const { client: customer } = await connect(customerUser);
    const driver = await onlineDriver(moveM(PICKUP, 270, 400));
    const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 50_000, paymentMethod: 'cash' });
    await offerOf(driver.client, ack.rideId);
    const placed = await driver.client.request<{ bid: { id: string } }>('bid.place', { rideId: ack.rideId, fare: 50_000 });
    await customer.request('bid.accept', { rideId: ack.rideId, bidId: placed.bid.id });
    await driver.client.request('ride.arrived', { rideId: ack.rideId });

    await realtime.stop();
    realtime = await startRealtimeServer(loadRealtimeConfig({ ...stack.env, ...FAST }), { logger: silentLogger, clock });
    extraServers.push(realtime);

    const again = await connect(customerUser);
    expect(again.state.activeRide).toMatchObject({ id: ack.rideId, status: 'arrived', driver: { id: driver.user.id } });
    const driverAgain = await connect(driver.user);
    expect(driverAgain.state.activeRide).toMatchObject({ id: ack.rideId, status: 'arrived', customer: { id: customerUser.id } });
    // Back online after the restart, the driver shows as on a ride again (not offered others).
    expect(await driverAgain.client.request('driver.online', moveM(PICKUP, 0, 10))).toMatchObject({ online: true, activity: 'on_ride' });

    await driverAgain.client.request('location.update', moveM(PICKUP, 0, 20));
    await again.client.waitFor('driver.location', (d) => d.driverId === driver.user.id);
    await driverAgain.client.request('ride.start', { rideId: ack.rideId });
    await again.client.waitFor('ride.status', (d) => d.status === 'in_progress');
    await driverAgain.client.request('ride.complete', { rideId: ack.rideId });
    await again.client.waitFor('ride.status', (d) => d.status === 'completed');
    const row = await stack.query(`SELECT status FROM rides WHERE id = $1`, [ack.rideId]);
    expect(row.rows[0]).toMatchObject({ status: 'completed' });
  });
});
