/**
 * Every client message's ack, as the running service sends it over a real socket, matches the
 * schema the AsyncAPI document declares for it (`clientMessageAcks`): one whole ride, a cancelled
 * one, and the operator's messages, each sent with an id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KARACHI_CENTER, moveM } from '@drivrr/shared';
import { CLIENT_MESSAGE_TYPES, clientMessageAcks, type ClientMessageType } from '@drivrr/shared/protocol';
import { createUser, startTestStack, type TestStack } from '../../../test-support/stack.js';
import { connect, type TestClient } from '../support/client.js';

let stack: TestStack;
const clients: TestClient[] = [];
const checked = new Set<ClientMessageType>();

beforeAll(async () => {
  stack = await startTestStack({ auth: false, realtimeEnv: { MATCH_STEP_MS: '100' } });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await stack.stop();
});

async function client(role: 'customer' | 'driver' | 'operator'): Promise<{ socket: TestClient; id: string; token: string }> {
  const user = await createUser(stack, role);
  const socket = await connect(stack.realtime!.wsUrl, user.token);
  clients.push(socket);
  return { socket, id: user.id, token: user.token };
}

/** Sends `type` with an id; expects an ack whose data matches the declared schema; returns the data. */
async function acked<T = any>(socket: TestClient, type: ClientMessageType, data: unknown): Promise<T> {
  const answer = await socket.request(type, data);
  expect(answer, `${type}: ${JSON.stringify(answer.error)}`).toMatchObject({ type: 'ack' });
  const schema = clientMessageAcks[type];
  if (schema === null) expect(answer.data, `${type} acks without data`).toBeUndefined();
  else {
    const parsed = schema.safeParse(answer.data);
    expect(parsed.success, `${type}: ${parsed.error?.message}`).toBe(true);
  }
  checked.add(type);
  return answer.data as T;
}

describe('acks on the wire', () => {
  it('match their declared schemas for every client message type', async () => {
    const pickup = KARACHI_CENTER;
    const dropoff = moveM(KARACHI_CENTER, 45, 5_000);
    const driver = await client('driver');
    const customer = await client('customer');
    const operator = await client('operator');

    await acked(driver.socket, 'driver.online', moveM(pickup, 90, 400));
    await acked(driver.socket, 'location.update', { ...moveM(pickup, 90, 350), heading: 270, speed: 8 });
    await acked(driver.socket, 'ping', {});
    const request = await acked<{ rideId: string }>(customer.socket, 'ride.request', { pickup, dropoff, fare: 50_000, paymentMethod: 'cash' });
    await acked(customer.socket, 'ride.raise_fare', { rideId: request.rideId, fare: 52_000 });
    await driver.socket.next((f) => f.type === 'ride.requested' && f.data.ride.id === request.rideId && f.data.ride.fare === 52_000);
    const bid = await acked<{ bid: { id: string } }>(driver.socket, 'bid.place', { rideId: request.rideId, fare: 52_000 });
    await acked(customer.socket, 'bid.accept', { rideId: request.rideId, bidId: bid.bid.id });
    await acked(customer.socket, 'driver.follow', { driverId: driver.id });
    await acked(customer.socket, 'driver.unfollow', {});
    await acked(customer.socket, 'chat.send', { rideId: request.rideId, text: "I'm at the gate" });
    await acked(operator.socket, 'ops.subscribe', {});
    await acked(operator.socket, 'ops.ride', { rideId: request.rideId });
    await acked(operator.socket, 'ops.unsubscribe', {});
    for (const step of ['ride.arrived', 'ride.start', 'ride.complete'] as const) await acked(driver.socket, step, { rideId: request.rideId });
    const second = await acked<{ rideId: string }>(customer.socket, 'ride.request', { pickup, dropoff, fare: 50_000, paymentMethod: 'cash' });
    await acked(customer.socket, 'ride.cancel', { rideId: second.rideId, reason: 'changed my mind' });
    await acked(customer.socket, 'session.resume', { rideId: request.rideId, seq: 0 });
    await acked(customer.socket, 'session.refresh', { accessToken: customer.token });
    await acked(driver.socket, 'driver.offline', {});

    expect([...checked].sort()).toEqual([...CLIENT_MESSAGE_TYPES].sort());
  });
});
