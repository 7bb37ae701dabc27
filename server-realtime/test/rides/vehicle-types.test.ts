/**
 * Vehicle types (contract 1.1) through real WebSockets and PostgreSQL: a request names a type, is
 * priced by that type's rates, and is offered only to online drivers whose vehicle is of that
 * type; the type shows in the offer, the bid, the ride views and the ops snapshot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KARACHI_CENTER, moveM } from '@drivrr/shared';
import { RideView, type LatLng, type VehicleType } from '@drivrr/shared/protocol';
import { loadRealtimeConfig, VirtualClock } from '@drivrr/server-realtime';
import { createUser, startTestStack, type TestStack } from '../../../test-support/stack.js';
import { WsTestClient } from './support/ws-client.js';

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

// Far from the other test files' drivers (one database per stack, but keep the area to ourselves).
const PICKUP: LatLng = moveM(KARACHI_CENTER, 0, 40_000);
const DROPOFF: LatLng = moveM(PICKUP, 90, 5_000);

async function connect(token: string): Promise<WsTestClient> {
  const { client } = await WsTestClient.session(stack.realtime!.wsUrl, token);
  clients.push(client);
  return client;
}

async function onlineDriver(vehicleType: VehicleType, at: LatLng) {
  const user = await createUser(stack, 'driver', { vehicleType });
  const client = await connect(user.token);
  await client.request('driver.online', at);
  return { user, client };
}

interface RequestAck {
  rideId: string;
  estimate: { suggestedFare: number; minimumFare: number };
  ride: RideView;
}

describe('vehicle types', () => {
  it('offers a bike request only to bike drivers, even when a car and a rickshaw are nearer', async () => {
    const car = await onlineDriver('car', moveM(PICKUP, 0, 100));
    const rickshaw = await onlineDriver('rickshaw', moveM(PICKUP, 90, 150));
    const bike = await onlineDriver('bike', moveM(PICKUP, 180, 900));
    const customerUser = await createUser(stack, 'customer');
    const customer = await connect(customerUser.token);

    const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 40_000, paymentMethod: 'cash', vehicleType: 'bike' });
    expect(ack.ride.vehicleType).toBe('bike');
    for (let step = 0; step < 10 && !bike.client.all('ride.requested').some((d) => d.ride.id === ack.rideId); step += 1) await clock.advance(200);
    const offer = await bike.client.waitFor('ride.requested', (d) => d.ride.id === ack.rideId);
    // Every radius searched (virtual time past the whole widening search), nobody else asked.
    await clock.advance(2_000);
    await customer.request('ping', {});

    expect(offer.ride.vehicleType).toBe('bike');
    expect(car.client.all('ride.requested').filter((d) => d.ride.id === ack.rideId)).toEqual([]);
    expect(rickshaw.client.all('ride.requested').filter((d) => d.ride.id === ack.rideId)).toEqual([]);
    const offered = await stack.query<{ driver_id: string }>(`SELECT driver_id FROM ride_offers WHERE ride_id = $1`, [ack.rideId]);
    expect(offered.rows.map((row) => row.driver_id)).toEqual([bike.user.id]);

    await bike.client.request('bid.place', { rideId: ack.rideId, fare: 40_000 });
    const received = await customer.waitFor('bid.received', (d) => d.rideId === ack.rideId);
    expect(received.vehicleType).toBe('bike');
    expect(received.bid.driver.vehicle?.type).toBe('bike');
    await customer.request('ride.cancel', { rideId: ack.rideId, reason: 'test over' });
  });

  it('takes car when the request names no type, and stores the type on the ride', async () => {
    const customerUser = await createUser(stack, 'customer');
    const customer = await connect(customerUser.token);
    const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 60_000, paymentMethod: 'cash' });
    const stored = await stack.query<{ vehicle_type: string }>(`SELECT vehicle_type FROM rides WHERE id = $1`, [ack.rideId]);

    expect(RideView.parse(ack.ride).vehicleType).toBe('car');
    expect(stored.rows[0]!.vehicle_type).toBe('car');
    await customer.request('ride.cancel', { rideId: ack.rideId, reason: 'test over' });
  });

  it('prices each type by its own rates: the same trip suggests less on a bike than in a car', async () => {
    const estimates: Partial<Record<VehicleType, RequestAck['estimate']>> = {};
    for (const vehicleType of ['car', 'bike', 'rickshaw'] as const) {
      const customer = await connect((await createUser(stack, 'customer')).token);
      const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 60_000, paymentMethod: 'cash', vehicleType });
      estimates[vehicleType] = ack.estimate;
      await customer.request('ride.cancel', { rideId: ack.rideId, reason: 'test over' });
    }
    const pricing = loadRealtimeConfig(stack.env).rides.pricing;

    expect(estimates.bike!.suggestedFare).toBeLessThan(estimates.rickshaw!.suggestedFare);
    expect(estimates.rickshaw!.suggestedFare).toBeLessThan(estimates.car!.suggestedFare);
    expect(estimates.bike!.minimumFare).toBeGreaterThanOrEqual(pricing.bike.minimumFare);
  });

  it('shows the type asked for in session.state and the REST-shared ride views while no driver is assigned', async () => {
    const customerUser = await createUser(stack, 'customer');
    const customer = await connect(customerUser.token);
    const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 40_000, paymentMethod: 'cash', vehicleType: 'rickshaw' });
    await customer.close();

    const { client, state } = await WsTestClient.session(stack.realtime!.wsUrl, customerUser.token);
    clients.push(client);

    expect(state.openRequest).toMatchObject({ id: ack.rideId, vehicleType: 'rickshaw', driver: null });
    await client.request('ride.cancel', { rideId: ack.rideId, reason: 'test over' });
  });

  it('refuses an unknown vehicle type with validation_failed', async () => {
    const customer = await connect((await createUser(stack, 'customer')).token);
    const code = await customer.errorOf('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 60_000, paymentMethod: 'cash', vehicleType: 'truck' });
    expect(code).toBe('validation_failed');
  });

  it('shows each online driver with the type of their vehicle on the ops snapshot, and each request with its type', async () => {
    const bike = await onlineDriver('bike', moveM(PICKUP, 270, 2_000));
    const customer = await connect((await createUser(stack, 'customer')).token);
    const ack = await customer.request<RequestAck>('ride.request', { pickup: PICKUP, dropoff: DROPOFF, fare: 60_000, paymentMethod: 'cash', vehicleType: 'rickshaw' });
    const operator = await createUser(stack, 'operator');
    const ops = await connect(operator.token);

    await ops.request('ops.subscribe', {});
    const snapshot = await ops.waitFor('ops.snapshot', (s) => s.full && s.drivers.some((d) => d.id === bike.user.id) && s.requests.some((r) => r.rideId === ack.rideId));

    expect(snapshot.drivers.find((d) => d.id === bike.user.id)?.vehicleType).toBe('bike');
    expect(snapshot.requests.find((r) => r.rideId === ack.rideId)?.vehicleType).toBe('rickshaw');
    await customer.request('ride.cancel', { rideId: ack.rideId, reason: 'test over' });
  });
});
