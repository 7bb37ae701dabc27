import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool, type Pool } from '@drivrr/shared/db';
import { ActiveRide, ErrorBodySchema, RideDetailView, RideMessagesView, RidePage } from '@drivrr/shared/protocol';
import { decodeRideCursor, getActiveRideForUser, getRideDetail } from '@drivrr/store/rides-read';
import { createUser, startTestStack, tokenFor, type TestStack, type TestUser } from '../../test-support/stack.js';
import { insertBid, insertRide, insertRideEvent } from '../../test-support/ride-fixtures.js';

let stack: TestStack;
let pool: Pool;

async function get(user: TestUser | undefined, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${stack.auth!.url}${path}`, { headers: user ? { authorization: `Bearer ${user.token}` } : {} });
  return { status: res.status, body: await res.json() };
}

/** Walks every page of GET /api/rides and returns the ids in the order received. */
async function walkHistory(user: TestUser, query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const qs = new URLSearchParams(query);
    qs.set('limit', String(limit));
    if (cursor) qs.set('cursor', cursor);
    const { status, body } = await get(user, `/api/rides?${qs}`);
    expect(status).toBe(200);
    const page = RidePage.parse(body);
    ids.push(...page.items.map((r) => r.id));
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < 100);
  return { ids, pages };
}

beforeAll(async () => {
  stack = await startTestStack({ realtime: false });
  pool = createPool(stack.db.url, { max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await stack?.stop();
});

describe('GET /api/rides (history)', () => {
  let customer: TestUser;
  let driver: TestUser;
  let otherCustomer: TestUser;
  const customerRides: { id: string; status: string; createdAt: string }[] = [];

  beforeAll(async () => {
    customer = await createUser(stack, 'customer');
    driver = await createUser(stack, 'driver');
    otherCustomer = await createUser(stack, 'customer');
    const statuses = ['completed', 'cancelled', 'expired'] as const;
    // 23 rides over one hour, three pairs sharing the exact same created_at (the id breaks ties)
    for (let i = 0; i < 23; i += 1) {
      const minute = i % 8 === 0 ? i + 1 : i;
      const createdAt = new Date(Date.UTC(2026, 10, 1, 9, minute, 0)).toISOString();
      const status = statuses[i % 3]!;
      const id = await insertRide(stack, {
        customerId: customer.id,
        driverId: status === 'completed' ? driver.id : null,
        status,
        createdAt,
      });
      customerRides.push({ id, status, createdAt });
    }
    for (let i = 0; i < 4; i += 1) await insertRide(stack, { customerId: otherCustomer.id, driverId: driver.id, status: 'completed' });
  });

  function expectedOrder(filter?: string): string[] {
    return customerRides
      .filter((r) => filter === undefined || r.status === filter)
      .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1))
      .map((r) => r.id);
  }

  it('walks every page newest first with no duplicates and no gaps', async () => {
    const { ids, pages } = await walkHistory(customer, '', 5);

    expect(pages).toBe(5);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expectedOrder());
  });

  it('filters by status across pages', async () => {
    const { ids } = await walkHistory(customer, 'status=cancelled', 2);
    expect(ids).toEqual(expectedOrder('cancelled'));
  });

  it("never shows other users' rides", async () => {
    const { ids } = await walkHistory(otherCustomer, '', 50);
    expect(ids).toHaveLength(4);
    for (const id of ids) expect(customerRides.map((r) => r.id)).not.toContain(id);
  });

  it('shows a driver the rides they drove', async () => {
    const { ids } = await walkHistory(driver, '', 100);
    const driven = customerRides.filter((r) => r.status === 'completed').length + 4;
    expect(ids).toHaveLength(driven);
  });

  it('answers an empty page with a null cursor for a user without rides', async () => {
    const newcomer = await createUser(stack, 'customer');
    const { status, body } = await get(newcomer, '/api/rides');
    expect(status).toBe(200);
    expect(body).toEqual({ items: [], nextCursor: null });
  });

  it.each([
    ['a malformed cursor', 'cursor=not-a-cursor!'],
    ['a well-formed but forged cursor', `cursor=${Buffer.from('["yesterday","x"]').toString('base64url')}`],
    ['a limit above 100', 'limit=101'],
    ['a limit of 0', 'limit=0'],
    ['an unknown status', 'status=flying'],
  ])('refuses %s with validation_failed', async (_name, query) => {
    const { status, body } = await get(customer, `/api/rides?${query}`);
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error.code).toBe('validation_failed');
  });

  it('refuses a request without a token', async () => {
    const { status, body } = await get(undefined, '/api/rides');
    expect(status).toBe(401);
    expect(ErrorBodySchema.parse(body).error.code).toBe('unauthenticated');
  });
});

describe('GET /api/rides/:id (detail)', () => {
  let customer: TestUser;
  let driver: TestUser;
  let losingDriver: TestUser;
  let stranger: TestUser;
  let rideId: string;

  beforeAll(async () => {
    customer = await createUser(stack, 'customer', { name: 'Ayesha' });
    driver = await createUser(stack, 'driver', { name: 'Bilal' });
    losingDriver = await createUser(stack, 'driver', { name: 'Kamran' });
    stranger = await createUser(stack, 'customer');
    await stack.query(`UPDATE users SET rating_sum = 14, rating_count = 3 WHERE id = $1`, [driver.id]);
    rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'in_progress', fare: 45_000, agreedFare: 50_000 });
    await insertBid(stack, { rideId, driverId: losingDriver.id, fare: 55_000, status: 'rejected' });
    const winning = await insertBid(stack, { rideId, driverId: driver.id, fare: 50_000, status: 'accepted', etaS: 180 });
    await stack.query(`UPDATE rides SET accepted_bid_id = $2 WHERE id = $1`, [rideId, winning]);
    await insertRideEvent(stack, { rideId, type: 'requested', toStatus: 'requested', actorRole: 'customer', actorId: customer.id, data: { fare: 45_000 } });
    await insertRideEvent(stack, { rideId, type: 'offered', actorRole: 'system', data: { radiusM: 1500, drivers: [{ driverId: losingDriver.id }, { driverId: driver.id }] } });
    await insertRideEvent(stack, { rideId, type: 'bid_placed', actorRole: 'driver', actorId: losingDriver.id, data: { fare: 55_000 } });
    await insertRideEvent(stack, { rideId, type: 'bid_placed', actorRole: 'driver', actorId: driver.id, data: { fare: 50_000 } });
    await insertRideEvent(stack, { rideId, type: 'assigned', fromStatus: 'requested', toStatus: 'assigned', actorRole: 'customer', actorId: customer.id });
    await insertRideEvent(stack, { rideId, type: 'arrived', fromStatus: 'assigned', toStatus: 'arrived', actorRole: 'driver', actorId: driver.id });
    await insertRideEvent(stack, { rideId, type: 'started', fromStatus: 'arrived', toStatus: 'in_progress', actorRole: 'driver', actorId: driver.id });
  });

  it('shows the customer the ride, both parties, every bid with its driver, and the timeline in order', async () => {
    const { status, body } = await get(customer, `/api/rides/${rideId}`);

    expect(status).toBe(200);
    const detail = RideDetailView.parse(body);
    expect(detail).toMatchObject({ id: rideId, status: 'in_progress', fare: 45_000, agreedFare: 50_000, customerId: customer.id, driverId: driver.id });
    expect(detail.customer).toEqual({ id: customer.id, name: 'Ayesha', rating: null });
    expect(detail.driver).toMatchObject({ id: driver.id, name: 'Bilal', rating: 4.67, vehicle: { make: 'Suzuki', model: 'Alto', type: 'car' } });
    expect(detail.bids.map((b) => [b.driver.name, b.fare, b.status])).toEqual([
      ['Kamran', 55_000, 'rejected'],
      ['Bilal', 50_000, 'accepted'],
    ]);
    expect(detail.bids[1]).toMatchObject({ etaS: 180, driver: { rating: 4.67, vehicle: { color: 'White' } } });
    expect(detail.events.map((e) => e.type)).toEqual(['requested', 'offered', 'bid_placed', 'bid_placed', 'assigned', 'arrived', 'started']);
    expect(detail.events[4]).toMatchObject({ fromStatus: 'requested', toStatus: 'assigned', actorRole: 'customer', actorId: customer.id });
    expect(detail.events[0]!.data).toEqual({ fare: 45_000 });
    expect(detail.rating).toBeNull();
    expect(JSON.stringify(body)).not.toContain(customer.phone);
  });

  it("shows the assigned driver only their own bid and events, never the competitors' offers", async () => {
    const { status, body } = await get(driver, `/api/rides/${rideId}`);

    expect(status).toBe(200);
    const detail = RideDetailView.parse(body);
    expect(detail.bids.map((b) => b.driver.id)).toEqual([driver.id]);
    expect(detail.events.map((e) => [e.type, e.actorId])).toEqual([
      ['requested', customer.id],
      ['bid_placed', driver.id],
      ['assigned', customer.id],
      ['arrived', driver.id],
      ['started', driver.id],
    ]);
    expect(JSON.stringify(body)).not.toContain(losingDriver.id);
    expect(JSON.stringify(body)).not.toContain(customer.phone);
  });

  it('answers 404 to a stranger, to a driver who lost the bidding, and for a ride that does not exist, alike', async () => {
    const strangerAnswer = await get(stranger, `/api/rides/${rideId}`);
    const loserAnswer = await get(losingDriver, `/api/rides/${rideId}`);
    const missing = await get(customer, `/api/rides/00000000-0000-4000-8000-000000000000`);

    for (const answer of [strangerAnswer, loserAnswer, missing]) {
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: { code: 'not_found', message: 'no such ride' } });
    }
  });

  it("refuses a token whose role is not the account's (the side of the ride comes from the verified role)", async () => {
    const wrongRole = { ...driver, token: tokenFor(stack.keys, driver.id, 'customer') };
    const { status, body } = await get(wrongRole, `/api/rides/${rideId}`);
    expect(status).toBe(401);
    expect(ErrorBodySchema.parse(body).error.code).toBe('invalid_token');
  });

  it('refuses a malformed ride id with validation_failed', async () => {
    const { status, body } = await get(customer, `/api/rides/not-a-uuid`);
    expect(status).toBe(400);
    expect(ErrorBodySchema.parse(body).error.code).toBe('validation_failed');
  });
});

describe('shared read queries (used by the realtime service and the ops map)', () => {
  it("gives a customer's live ride with every bid, and a driver's assigned ride with only their bid", async () => {
    const customer = await createUser(stack, 'customer');
    const driverA = await createUser(stack, 'driver', { name: 'A' });
    const driverB = await createUser(stack, 'driver', { name: 'B' });
    await insertRide(stack, { customerId: customer.id, driverId: driverA.id, status: 'completed' });
    const live = await insertRide(stack, { customerId: customer.id, driverId: driverA.id, status: 'assigned' });
    await insertBid(stack, { rideId: live, driverId: driverA.id, status: 'accepted' });
    await insertBid(stack, { rideId: live, driverId: driverB.id, status: 'rejected' });

    const forCustomer = ActiveRide.parse(await getActiveRideForUser(pool, customer.id, 'customer'));
    const forDriver = ActiveRide.parse(await getActiveRideForUser(pool, driverA.id, 'driver'));

    expect(forCustomer.id).toBe(live);
    expect(forCustomer.bids.map((b) => b.driver.name)).toEqual(['A', 'B']);
    expect(forCustomer.driver).toMatchObject({ id: driverA.id, vehicle: { make: 'Suzuki' } });
    expect(forDriver.id).toBe(live);
    expect(forDriver.bids.map((b) => b.driver.id)).toEqual([driverA.id]);
    expect(await getActiveRideForUser(pool, driverB.id, 'driver')).toBeUndefined();
  });

  it('gives a customer an open request (still haggling) as their active ride, and nothing once it ends', async () => {
    const customer = await createUser(stack, 'customer');
    const driver = await createUser(stack, 'driver');
    const open = await insertRide(stack, { customerId: customer.id, status: 'requested', pickupAddress: null });
    await insertBid(stack, { rideId: open, driverId: driver.id, fare: 61_000 });

    const active = ActiveRide.parse(await getActiveRideForUser(pool, customer.id, 'customer'));
    expect(active).toMatchObject({ id: open, status: 'requested', driver: null, agreedFare: null });
    expect(active.pickup).toEqual({ lat: 24.8607, lng: 67.0011 });
    expect(active.bids[0]).toMatchObject({ fare: 61_000, status: 'open' });

    await stack.query(`UPDATE rides SET status = 'expired' WHERE id = $1`, [open]);
    expect(await getActiveRideForUser(pool, customer.id, 'customer')).toBeUndefined();
  });

  it('answers undefined for a ride that does not exist', async () => {
    expect(await getRideDetail(pool, '00000000-0000-4000-8000-000000000000')).toBeUndefined();
  });

  it('refuses cursors that were not made by the server', () => {
    for (const raw of ['', '!!!', Buffer.from('{}').toString('base64url'), Buffer.from('["2026-01-01T00:00:00.000000Z","nope"]').toString('base64url')]) {
      expect(() => decodeRideCursor(raw)).toThrow(expect.objectContaining({ code: 'validation_failed' }) as unknown as Error);
    }
  });
});

describe('OpenAPI document', () => {
  it('describes every rides, ratings and payments endpoint', async () => {
    const doc = (await (await fetch(`${stack.auth!.url}/api/docs/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/api/rides'] ?? {})).toContain('get');
    expect(Object.keys(doc.paths['/api/rides/{id}'] ?? {})).toContain('get');
    expect(Object.keys(doc.paths['/api/rides/{id}/rating'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths['/api/payments/wallet'] ?? {})).toContain('get');
    expect(Object.keys(doc.paths['/api/payments/wallet/topup'] ?? {})).toContain('post');
    expect(Object.keys(doc.paths['/api/payments/transactions'] ?? {})).toContain('get');
    expect(JSON.stringify(doc.paths['/api/payments/wallet/topup'])).toContain('Idempotency-Key');
  });
});

describe('wrong methods', () => {
  it.each([
    ['DELETE', '/api/rides', 'GET'],
    ['PUT', '/api/rides/00000000-0000-4000-8000-000000000000', 'GET'],
    ['GET', '/api/rides/00000000-0000-4000-8000-000000000000/rating', 'POST'],
    ['POST', '/api/payments/wallet', 'GET'],
    ['GET', '/api/payments/wallet/topup', 'POST'],
    ['DELETE', '/api/payments/transactions', 'GET'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    const user = await createUser(stack, 'customer');
    const res = await fetch(`${stack.auth!.url}${path}`, { method, headers: { authorization: `Bearer ${user.token}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe(allow);
    expect(ErrorBodySchema.parse(await res.json()).error.code).toBe('method_not_allowed');
  });
});

describe('GET /api/rides/:id/messages (in-ride chat)', () => {
  it("returns the ride's messages oldest first to both parties, and 404 to anyone else", async () => {
    const customer = await createUser(stack, 'customer');
    const driver = await createUser(stack, 'driver');
    const stranger = await createUser(stack, 'customer');
    const rideId = await insertRide(stack, { customerId: customer.id, driverId: driver.id, status: 'arrived' });
    // Stored in this order; the same second for two of them (the order of writing decides).
    for (const [sender, role, body, at] of [
      [driver, 'driver', "I'm at the gate", '2026-11-01T09:00:00Z'],
      [customer, 'customer', '2 minutes', '2026-11-01T09:00:05Z'],
      [driver, 'driver', 'ok', '2026-11-01T09:00:05Z'],
    ] as const) {
      await stack.query(`INSERT INTO ride_messages (ride_id, sender_id, sender_role, body, created_at) VALUES ($1, $2, $3, $4, $5)`, [rideId, sender.id, role, body, at]);
    }

    const asCustomer = await get(customer, `/api/rides/${rideId}/messages`);
    const asDriver = await get(driver, `/api/rides/${rideId}/messages`);
    const asStranger = await get(stranger, `/api/rides/${rideId}/messages`);

    expect(asCustomer.status).toBe(200);
    const items = RideMessagesView.parse(asCustomer.body).items;
    expect(items.map((m) => [m.from, m.text])).toEqual([
      ['driver', "I'm at the gate"],
      ['customer', '2 minutes'],
      ['driver', 'ok'],
    ]);
    expect(items[0]).toMatchObject({ rideId, sentAt: '2026-11-01T09:00:00.000Z' });
    expect(asDriver.body).toEqual(asCustomer.body);
    expect(asStranger.status).toBe(404);
    expect(ErrorBodySchema.parse(asStranger.body).error.code).toBe('not_found');
  });

  it('answers an empty list for a ride without messages, 400 for a malformed id and 401 without a token', async () => {
    const customer = await createUser(stack, 'customer');
    const rideId = await insertRide(stack, { customerId: customer.id, status: 'expired' });

    expect(await get(customer, `/api/rides/${rideId}/messages`)).toEqual({ status: 200, body: { items: [] } });
    expect((await get(customer, '/api/rides/not-a-uuid/messages')).status).toBe(400);
    expect((await get(undefined, `/api/rides/${rideId}/messages`)).status).toBe(401);
  });
});
