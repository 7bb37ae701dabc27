/**
 * A customer and a driver on an assigned ride, reached through the real haggling over sockets
 * (request, offer, bid at the ask, accept), on a stack whose rides clock is virtual.
 */
import { KARACHI_CENTER, moveM } from '@drivrr/shared';
import type { LatLng, VehicleType } from '@drivrr/shared/protocol';
import type { VirtualClock } from '@drivrr/server-realtime';
import { createUser, type TestStack, type TestUser } from '../../../test-support/stack.js';
import { WsTestClient } from '../rides/support/ws-client.js';

export const RIDE_PICKUP: LatLng = KARACHI_CENTER;
export const RIDE_DROPOFF: LatLng = moveM(KARACHI_CENTER, 45, 6_000);

export interface AssignedRide {
  rideId: string;
  customerUser: TestUser;
  driverUser: TestUser;
  customer: WsTestClient;
  driver: WsTestClient;
}

/** Opens both sockets (the caller closes them: `customer.close()`, `driver.close()`). */
export async function assignedRide(stack: TestStack, clock: VirtualClock, options: { driverName?: string; vehicleType?: VehicleType } = {}): Promise<AssignedRide> {
  const wsUrl = stack.realtime!.wsUrl;
  const customerUser = await createUser(stack, 'customer');
  const driverUser = await createUser(stack, 'driver', { ...(options.driverName ? { name: options.driverName } : {}), ...(options.vehicleType ? { vehicleType: options.vehicleType } : {}) });
  const customer = (await WsTestClient.session(wsUrl, customerUser.token)).client;
  const driver = (await WsTestClient.session(wsUrl, driverUser.token)).client;
  await driver.request('driver.online', moveM(RIDE_PICKUP, 180, 500));
  const { rideId } = await customer.request<{ rideId: string }>('ride.request', { pickup: RIDE_PICKUP, dropoff: RIDE_DROPOFF, fare: 50_000, paymentMethod: 'cash', vehicleType: options.vehicleType ?? 'car' });
  // The search steps on virtual time until the offer reaches the driver.
  for (let step = 0; step < 10 && !driver.all('ride.requested').some((d) => d.ride.id === rideId); step += 1) await clock.advance(200);
  await driver.waitFor('ride.requested', (d) => d.ride.id === rideId);
  const { bid } = await driver.request<{ bid: { id: string } }>('bid.place', { rideId, fare: 50_000 });
  await customer.request('bid.accept', { rideId, bidId: bid.id });
  await customer.waitFor('ride.assigned');
  return { rideId, customerUser, driverUser, customer, driver };
}
