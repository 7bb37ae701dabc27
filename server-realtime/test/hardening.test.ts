/**
 * Contract 1.1, who may see what and bad input: follow rules, vehicle_required on driver.online,
 * control characters refused at the schema, and a seeded fuzz of valid-shaped messages with hostile
 * values against the real rides module that never gets internal_error.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@drivrr/shared/random';
import { loadRealtimeConfig } from '@drivrr/server-realtime';
import { insertRide } from '../../test-support/ride-fixtures.js';
import { createUser, startTestStack, type TestStack } from '../../test-support/stack.js';
import { connect, type Frame } from './support/client.js';

const KARACHI = { lat: 24.8607, lng: 67.0011 };

describe('who may follow a driver, and who may go online', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ auth: false });
  });
  afterAll(async () => stack.stop());

  it('refuses a customer following a driver who is not on its active ride with forbidden', async () => {
    const driver = await createUser(stack, 'driver');
    const customer = await createUser(stack, 'customer');
    const driverSocket = await connect(stack.realtime!.wsUrl, driver.token);
    expect((await driverSocket.request('driver.online', KARACHI)).type).toBe('ack');
    const customerSocket = await connect(stack.realtime!.wsUrl, customer.token);

    const answer = await customerSocket.request('driver.follow', { driverId: driver.id });

    expect(answer.error?.code).toBe('forbidden');
    driverSocket.send('location.update', { lat: 24.87, lng: 67.01 });
    expect((await customerSocket.request('ping', {})).type).toBe('ack');
    expect(customerSocket.frames.some((f) => f.type === 'driver.location')).toBe(false);
    await Promise.all([driverSocket.close(), customerSocket.close()]);
  });

  it('lets a customer follow the driver assigned to its own active ride, and operators any driver', async () => {
    const driver = await createUser(stack, 'driver');
    const customer = await createUser(stack, 'customer');
    const operator = await createUser(stack, 'operator');
    await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'assigned' });
    const customerSocket = await connect(stack.realtime!.wsUrl, customer.token);
    const operatorSocket = await connect(stack.realtime!.wsUrl, operator.token);

    expect((await customerSocket.request('driver.follow', { driverId: driver.id })).type).toBe('ack');
    expect((await operatorSocket.request('driver.follow', { driverId: (await createUser(stack, 'driver')).id })).type).toBe('ack');
    await Promise.all([customerSocket.close(), operatorSocket.close()]);
  });

  it('refuses driver.online without a vehicle on file with vehicle_required, and accepts it once one is added', async () => {
    const driver = await createUser(stack, 'driver', { vehicle: false });
    const socket = await connect(stack.realtime!.wsUrl, driver.token);

    expect((await socket.request('driver.online', KARACHI)).error?.code).toBe('vehicle_required');
    expect(stack.realtime!.inspect.presence.get(driver.id)).toBeUndefined();

    await stack.query(`INSERT INTO vehicles (driver_id, make, model, color, plate, type) VALUES ($1, 'Honda', 'CD70', 'Red', 'KHI-1', 'bike')`, [driver.id]);
    expect((await socket.request('driver.online', KARACHI)).type).toBe('ack');
    await socket.close();
  });

  it('refuses ALLOW_ANY_FOLLOW when NODE_ENV=production', () => {
    const env = { ...stack.env, NODE_ENV: 'production', ALLOW_ANY_FOLLOW: 'true' };
    expect(() => loadRealtimeConfig(env)).toThrow(/ALLOW_ANY_FOLLOW/);
    expect(loadRealtimeConfig({ ...env, NODE_ENV: 'development' }).ws.allowAnyFollow).toBe(true);
  });
});

describe('hostile values over WebSocket', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ auth: false, realtimeEnv: { WS_RATE_PER_S: '100000', WS_RATE_BURST: '100000' } });
  });
  afterAll(async () => stack.stop());

  it('refuses a NUL byte or another control character in a pickup address or a cancel reason with validation_failed', async () => {
    const customer = await createUser(stack, 'customer');
    const socket = await connect(stack.realtime!.wsUrl, customer.token);
    const request = (address: string) =>
      socket.request('ride.request', { pickup: { ...KARACHI, address }, dropoff: { lat: 24.9, lng: 67.1 }, fare: 150_000, paymentMethod: 'cash' });

    expect((await request('Main\u0000Road')).error?.code).toBe('validation_failed');
    expect((await request('Main\u001bRoad')).error?.code).toBe('validation_failed');
    expect((await socket.request('ride.cancel', { rideId: randomUUID(), reason: 'late\u0000' })).error?.code).toBe('validation_failed');
    // tab and newline are text
    const accepted = await request('Block 5\tShop 2\nnear the mosque');
    expect(accepted.error).toBeUndefined();
    expect(accepted.data.ride.pickup.address).toBe('Block 5\tShop 2\nnear the mosque');
    await socket.close();
  });

  it('closes with 1007 on a text frame that is not valid UTF-8 (the close-code table of docs/protocol.md)', async () => {
    const customer = await createUser(stack, 'customer');
    const socket = await connect(stack.realtime!.wsUrl, customer.token);
    socket.ws.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await socket.closed).toBe(1007);
  });

  it('survives a seeded fuzz of valid-shaped messages with hostile values and never answers internal_error', async () => {
    const random = createRng(20261125).next;
    const customer = await createUser(stack, 'customer');
    const otherCustomer = await createUser(stack, 'customer');
    const driver = await createUser(stack, 'driver');
    const otherDriver = await createUser(stack, 'driver');
    const othersRide = await insertRide(stack, { customerId: otherCustomer.id, driverId: otherDriver.id, status: 'assigned' });
    const sockets = [await connect(stack.realtime!.wsUrl, customer.token), await connect(stack.realtime!.wsUrl, driver.token)];
    const ids = [randomUUID(), othersRide, otherDriver.id, otherCustomer.id, customer.id, driver.id, '00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff'];
    const texts = ['\u0000', 'a\u0000b', '\u0007bell', '\u202eevil', 'x'.repeat(201), '', ' ', '\ud800', 'ok', "'; DROP TABLE rides; --", '\u0085next'];
    const numbers = [0, -1, 1e308, -1e308, 2 ** 53, Number.MAX_SAFE_INTEGER, 0.5, 1e-9, 100_000_001, 50_000, 91, -181];
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    const place = () => ({ lat: random() < 0.9 ? 24.8 + random() * 0.2 : pick(numbers), lng: random() < 0.9 ? 67 + random() * 0.2 : pick(numbers), ...(random() < 0.6 ? { address: pick(texts) } : {}) });
    const messages: (() => [string, unknown])[] = [
      () => ['ride.request', { pickup: place(), dropoff: place(), fare: random() < 0.7 ? 150_000 : pick(numbers), paymentMethod: pick(['cash', 'wallet']) }],
      () => ['ride.cancel', { rideId: pick(ids), reason: pick(texts) }],
      () => ['ride.raise_fare', { rideId: pick(ids), fare: pick(numbers) }],
      () => ['bid.accept', { rideId: pick(ids), bidId: pick(ids) }],
      () => ['bid.place', { rideId: pick(ids), fare: pick(numbers) }],
      () => ['driver.follow', { driverId: pick(ids) }],
      () => ['driver.online', place()],
      () => ['location.update', { ...place(), heading: pick(numbers), ts: pick(numbers) }],
      () => [pick(['ride.arrived', 'ride.start', 'ride.complete']), { rideId: pick(ids) }],
      () => ['session.refresh', { accessToken: pick(texts) }],
    ];

    const answers: Frame[] = [];
    const count = 600;
    for (let i = 0; i < count; i++) {
      const [type, data] = pick(messages)();
      const socket = sockets[i % 2]!;
      const answer = await socket.request(type, data, `hz-${i}`);
      answers.push(answer);
      // the customer's own new ride becomes a target too (cancel reasons, raises, follows)
      if (type === 'ride.request' && answer.type === 'ack') ids.push(answer.data.rideId as string);
    }

    expect(answers).toHaveLength(count);
    expect(answers.filter((a) => a.error?.code === 'internal_error')).toEqual([]);
    for (const socket of sockets) expect((await socket.request('ping', {})).type).toBe('ack');
    await Promise.all(sockets.map((s) => s.close()));
  });
});
