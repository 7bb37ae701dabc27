/**
 * What `cancellationRate` costs on the bid path: reads one bid view (BID_COLUMNS, as bid.received
 * does) for a driver with many assignments, with and without the rate's subquery, on a fresh
 * database. Run after `npx tsc -b`:
 *   ASSIGNMENTS=5000 READS=2000 node server-realtime/test/rides/bench/cancellation-rate.mjs
 */
import pg from 'pg';
import { migrateUp } from '@drivrr/migrations';
import { BID_COLUMNS, BID_FROM, cancellationRateColumn } from '@drivrr/store/rides-read';

const ASSIGNMENTS = Number(process.env.ASSIGNMENTS ?? 5000);
const READS = Number(process.env.READS ?? 2000);
const admin = new pg.Client({ connectionString: process.env.ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test' });
const name = `bench_rate_${process.pid}`;
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = (process.env.ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test').replace(/\/[^/]*$/, `/${name}`);
const db = new pg.Client({ connectionString: url });
try {
  await migrateUp({ databaseUrl: url });
  await db.connect();
  const user = async (role, phone) => (await db.query(`INSERT INTO users (phone, role, name) VALUES ($1, $2, $2) RETURNING id`, [phone, role])).rows[0].id;
  const driver = await user('driver', '+923990000001');
  const customer = await user('customer', '+923990000002');
  // The driver's history: ASSIGNMENTS finished rides, one in ten cancelled against him.
  await db.query(
    `INSERT INTO rides (customer_id, driver_id, status, pickup_lat, pickup_lng, dropoff_lat, dropoff_lng, fare, agreed_fare, currency, payment_method,
                        distance_m, duration_s, suggested_fare, minimum_fare, expires_at, assigned_at, cancelled_by, cancel_counts_against_driver)
     SELECT $2, $1, CASE WHEN i % 10 = 0 THEN 'cancelled' ELSE 'completed' END, 24.86, 67.0, 24.9, 67.1, 50000, 50000, 'PKR', 'cash', 5000, 900, 50000, 20000,
            now(), now() - i * interval '1 minute', CASE WHEN i % 10 = 0 THEN 'driver' END, i % 10 = 0
       FROM generate_series(1, $3::int) i`,
    [driver, customer, ASSIGNMENTS],
  );
  const ride = (await db.query(
    `INSERT INTO rides (customer_id, status, pickup_lat, pickup_lng, dropoff_lat, dropoff_lng, fare, currency, payment_method, distance_m, duration_s, suggested_fare, minimum_fare, expires_at)
     VALUES ($1, 'requested', 24.86, 67.0, 24.9, 67.1, 50000, 'PKR', 'cash', 5000, 900, 50000, 20000, now() + interval '3 minutes') RETURNING id`,
    [customer],
  )).rows[0].id;
  const bid = (await db.query(`INSERT INTO bids (ride_id, driver_id, fare, eta_s, distance_m, status, expires_at) VALUES ($1, $2, 50000, 120, 800, 'open', now() + interval '1 minute') RETURNING id`, [ride, driver])).rows[0].id;
  await db.query('ANALYZE');
  const rateColumn = cancellationRateColumn('b.driver_id', 'driver_cancellation_rate');
  const withoutRate = BID_COLUMNS.replace(`${rateColumn},`, '');
  if (withoutRate === BID_COLUMNS) throw new Error('could not take the rate out of BID_COLUMNS');
  const time = async (columns) => {
    const sql = `SELECT ${columns} FROM ${BID_FROM} WHERE b.id = $1`;
    for (let i = 0; i < 200; i += 1) await db.query(sql, [bid]);
    const started = process.hrtime.bigint();
    for (let i = 0; i < READS; i += 1) await db.query(sql, [bid]);
    return Number(process.hrtime.bigint() - started) / 1e3 / READS;
  };
  const rate = (await db.query(`SELECT ${BID_COLUMNS} FROM ${BID_FROM} WHERE b.id = $1`, [bid])).rows[0].driver_cancellation_rate;
  const results = [];
  for (let round = 0; round < 3; round += 1) results.push({ without: await time(withoutRate), with: await time(BID_COLUMNS) });
  const plan = (await db.query(`EXPLAIN (ANALYZE, BUFFERS) SELECT ${BID_COLUMNS} FROM ${BID_FROM} WHERE b.id = $1`, [bid])).rows.map((r) => r['QUERY PLAN']);
  const median = (key) => results.map((r) => r[key]).sort((a, b) => a - b)[1];
  console.log(JSON.stringify({ assignments: ASSIGNMENTS, reads: READS, rate: Number(rate), usPerReadWithout: Math.round(median('without')), usPerReadWith: Math.round(median('with')) }));
  console.log(plan.filter((line) => /rides_driver_assigned_idx|Execution Time|Planning Time|Limit/.test(line)).join('\n'));
} finally {
  await db.end().catch(() => {});
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
