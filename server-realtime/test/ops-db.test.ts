/** The ops view's read-only queries against a real, seeded PostgreSQL. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test-support/db.js';
import { insertBid, insertRide } from '../../test-support/ride-fixtures.js';
import { readOpsBoard } from '../src/db/ops.js';

let db: TestDatabase;
let pool: pg.Pool;
const ids: Record<string, string> = {};

async function user(role: 'customer' | 'driver', n: number): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(`INSERT INTO users (phone, role, name) VALUES ($1, $2, $3) RETURNING id`, [`+9230099${String(n).padStart(5, '0')}`, role, `${role} ${n}`]);
  return rows[0]!.id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const customers = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => user('customer', n)));
  const drivers = await Promise.all([11, 12, 13, 14].map((n) => user('driver', n)));
  const [c1, c2, c3, c4, c5, c6] = customers as [string, string, string, string, string, string];
  const [d1, d2, d3, d4] = drivers as [string, string, string, string];
  Object.assign(ids, { d1, d2, d3, d4 });
  ids.open = await insertRide(pool, { customerId: c1, status: 'requested', fare: 45_000 });
  ids.quiet = await insertRide(pool, { customerId: c2, status: 'requested', fare: 30_000 });
  await insertBid(pool, { rideId: ids.open, driverId: d1, fare: 48_000 });
  await insertBid(pool, { rideId: ids.open, driverId: d2, fare: 46_000 });
  await insertBid(pool, { rideId: ids.open, driverId: d4, fare: 40_000, status: 'expired' });
  ids.assigned = await insertRide(pool, { customerId: c3, driverId: d3, status: 'assigned', fare: 50_000 });
  await insertRide(pool, { customerId: c4, driverId: d4, status: 'completed' });
  await insertRide(pool, { customerId: c5, driverId: d4, status: 'completed' });
  await insertRide(pool, { customerId: c6, status: 'cancelled' });
  await insertRide(pool, { customerId: c6, status: 'expired' });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

describe('readOpsBoard', () => {
  it('counts every ride by status, with zeros for statuses no ride has', async () => {
    const board = await readOpsBoard(pool);
    expect(board.ridesByStatus).toEqual({ requested: 2, assigned: 1, arrived: 0, in_progress: 0, completed: 2, cancelled: 1, expired: 1 });
  });

  it('lists open requests with their ask, open and total bids and the best open bid', async () => {
    const board = await readOpsBoard(pool);
    const open = board.requests.find((r) => r.rideId === ids.open);
    const quiet = board.requests.find((r) => r.rideId === ids.quiet);
    expect(open).toMatchObject({ fare: 45_000, currency: 'PKR', openBids: 2, totalBids: 3, bestBid: 46_000, pickup: { lat: 24.8607, lng: 67.0011 } });
    expect(quiet).toMatchObject({ openBids: 0, totalBids: 0, bestBid: null });
    expect(board.requests).toHaveLength(2);
  });

  it('lists rides under way with their driver, and the drivers holding open bids', async () => {
    const board = await readOpsBoard(pool);
    expect(board.rides).toEqual([expect.objectContaining({ rideId: ids.assigned, status: 'assigned', driverId: ids.d3, agreedFare: 50_000 })]);
    expect([...board.biddingDriverIds].sort()).toEqual([ids.d1, ids.d2].sort());
  });

  it('gives the median time from request to assignment (the fixtures assign after 20 s)', async () => {
    const board = await readOpsBoard(pool);
    expect(board.medianAssignS).toBe(20);
  });

  it('never selects a phone number', async () => {
    const board = await readOpsBoard(pool);
    expect(JSON.stringify(board)).not.toContain('+92300');
  });
});
