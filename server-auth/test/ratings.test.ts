import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@drivrr/shared';
import { ErrorBodySchema, RatingView, RideDetailView } from '@drivrr/shared/protocol';
import { decideRating } from '../src/domain/ratings.js';
import { createUser, startTestStack, type TestStack, type TestUser } from '../../test-support/stack.js';
import { insertRide } from '../../test-support/ride-fixtures.js';

let stack: TestStack;

async function rate(user: TestUser, rideId: string, body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack.auth!.url}/api/rides/${rideId}/rating`, {
    method: 'POST',
    headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

async function ratingOf(userId: string): Promise<{ sum: number; count: number }> {
  const { rows } = await stack.query<{ rating_sum: number; rating_count: number }>(`SELECT rating_sum, rating_count FROM users WHERE id = $1`, [userId]);
  return { sum: rows[0]!.rating_sum, count: rows[0]!.rating_count };
}

beforeAll(async () => {
  stack = await startTestStack({ realtime: false });
});

afterAll(async () => {
  await stack?.stop();
});

describe('decideRating (pure rules)', () => {
  const ride = { status: 'completed' as const, customerId: 'c', driverId: 'd' };

  it('lets the customer rate the driver and the driver rate the customer', () => {
    expect(decideRating(ride, { userId: 'c', role: 'customer' })).toEqual({ rateeId: 'd', raterSide: 'customer' });
    expect(decideRating(ride, { userId: 'd', role: 'driver' })).toEqual({ rateeId: 'c', raterSide: 'driver' });
  });

  it('answers not_found to anyone else, whatever the role', () => {
    for (const caller of [
      { userId: 'x', role: 'customer' as const },
      { userId: 'c', role: 'driver' as const },
      { userId: 'd', role: 'customer' as const },
      { userId: 'c', role: 'operator' as const },
    ]) {
      expect(() => decideRating(ride, caller)).toThrow(expect.objectContaining({ code: 'not_found' }) as unknown as AppError);
    }
  });

  it.each(['requested', 'assigned', 'arrived', 'in_progress', 'cancelled', 'expired'] as const)('refuses a %s ride with ride_not_completed', (status) => {
    expect(() => decideRating({ ...ride, status }, { userId: 'c', role: 'customer' })).toThrow(
      expect.objectContaining({ code: 'ride_not_completed' }) as unknown as AppError,
    );
  });
});

describe('POST /api/rides/:id/rating', () => {
  let customer: TestUser;
  let driver: TestUser;

  beforeAll(async () => {
    customer = await createUser(stack, 'customer', { name: 'Sana' });
    driver = await createUser(stack, 'driver', { name: 'Imran' });
  });

  it("rates the driver: 201, the rating is stored and the driver's average updated", async () => {
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed' });

    const { status, body } = await rate(customer, rideId, { stars: 4, comment: 'Smooth ride' });

    expect(status).toBe(201);
    const view = RatingView.parse(body);
    expect(view).toMatchObject({ rideId, stars: 4, comment: 'Smooth ride', ratee: { id: driver.id, name: 'Imran', rating: 4, ratingCount: 1 } });
    expect(await ratingOf(driver.id)).toEqual({ sum: 4, count: 1 });
    const detail = RideDetailView.parse((await (await fetch(`${stack.auth!.url}/api/rides/${rideId}`, { headers: { authorization: `Bearer ${customer.token}` } })).json()));
    expect(detail.rating).toEqual({ stars: 4, comment: 'Smooth ride' });
  });

  it('refuses a second rating of the same ride with already_rated and counts the first only', async () => {
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed' });
    const before = await ratingOf(driver.id);
    await rate(customer, rideId, { stars: 5 });

    const { status, body } = await rate(customer, rideId, { stars: 1 });

    expect(status).toBe(409);
    expect(ErrorBodySchema.parse(body).error.code).toBe('already_rated');
    expect(await ratingOf(driver.id)).toEqual({ sum: before.sum + 5, count: before.count + 1 });
  });

  it('counts exactly one of ten concurrent ratings of one ride', async () => {
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed' });
    const before = await ratingOf(driver.id);

    const answers = await Promise.all(Array.from({ length: 10 }, () => rate(customer, rideId, { stars: 3 })));

    expect(answers.filter((a) => a.status === 201)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(9);
    expect(await ratingOf(driver.id)).toEqual({ sum: before.sum + 3, count: before.count + 1 });
  });

  it.each(['in_progress', 'cancelled', 'expired'] as const)('refuses to rate a %s ride with ride_not_completed', async (status) => {
    const rider = await createUser(stack, 'customer');
    const its = await createUser(stack, 'driver');
    const rideId = await insertRide(stack, { customerId: rider.id, driverId: status === 'in_progress' ? its.id : null, status });

    const { status: httpStatus, body } = await rate(rider, rideId, { stars: 5 });

    expect(httpStatus).toBe(422);
    expect(ErrorBodySchema.parse(body).error.code).toBe('ride_not_completed');
    expect(await ratingOf(its.id)).toEqual({ sum: 0, count: 0 });
  });

  it('answers 404 to a stranger and for a ride that does not exist, and 400 for a bad id', async () => {
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed' });
    const stranger = await createUser(stack, 'customer');

    expect((await rate(stranger, rideId, { stars: 5 })).status).toBe(404);
    expect((await rate(customer, '00000000-0000-4000-8000-000000000000', { stars: 5 })).status).toBe(404);
    expect((await rate(customer, 'nope', { stars: 5 })).status).toBe(400);
  });

  it.each([
    ['zero stars', { stars: 0 }],
    ['six stars', { stars: 6 }],
    ['fractional stars', { stars: 4.5 }],
    ['stars as a string', { stars: '5' }],
    ['a comment over 500 characters', { stars: 5, comment: 'x'.repeat(501) }],
    ['an unknown field', { stars: 5, tip: 100 }],
    ['no stars', {}],
  ])('refuses %s with validation_failed', async (_name, body) => {
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'completed' });
    const answer = await rate(customer, rideId, body);
    expect(answer.status).toBe(400);
    expect(ErrorBodySchema.parse(answer.body).error.code).toBe('validation_failed');
  });

  it("averages a driver's ratings over several rides, rounded to two decimals", async () => {
    const fresh = await createUser(stack, 'driver', { name: 'Fresh' });
    const stars = [5, 4, 4, 3, 5, 5];
    for (const s of stars) {
      const rider = await createUser(stack, 'customer');
      const rideId = await insertRide(stack, { customerId: rider.id, driverId: fresh.id, status: 'completed' });
      expect((await rate(rider, rideId, { stars: s })).status).toBe(201);
    }

    const sum = stars.reduce((a, b) => a + b, 0);
    expect(await ratingOf(fresh.id)).toEqual({ sum, count: stars.length });
    // the rating shown with the driver on a ride
    const rider = await createUser(stack, 'customer');
    const rideId = await insertRide(stack, { customerId: rider.id, driverId: fresh.id, status: 'completed' });
    const detail = RideDetailView.parse(await (await fetch(`${stack.auth!.url}/api/rides/${rideId}`, { headers: { authorization: `Bearer ${rider.token}` } })).json());
    expect(detail.driver?.rating).toBe(4.33); // 26 / 6 = 4.333...
  });

  it('lets the driver rate the customer once, which updates the customer only', async () => {
    const rider = await createUser(stack, 'customer');
    const rideId = await insertRide(stack, { customerId: rider.id, driverId: driver.id, status: 'completed' });
    const driverBefore = await ratingOf(driver.id);

    const first = await rate(driver, rideId, { stars: 2, comment: 'Late to the pickup' });
    const second = await rate(driver, rideId, { stars: 2 });

    expect(first.status).toBe(201);
    expect(RatingView.parse(first.body).ratee).toMatchObject({ id: rider.id, rating: 2, ratingCount: 1 });
    expect(second.status).toBe(409);
    expect(await ratingOf(driver.id)).toEqual(driverBefore);
    // the customer's own rating of the driver is still open
    expect((await rate(rider, rideId, { stars: 5 })).status).toBe(201);
  });
});
