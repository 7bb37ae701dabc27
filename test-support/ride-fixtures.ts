/**
 * Row fixtures for rides, bids and ride events, written straight into PostgreSQL: for tests of the
 * read side (history, detail, ratings, payments) that do not drive a ride over the WebSocket.
 * Each fixture fills the columns the schema's checks require for the chosen status.
 */
import type { QueryResultRow } from 'pg';

export interface FixtureDb {
  query<R extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export type FixtureRideStatus = 'requested' | 'assigned' | 'arrived' | 'in_progress' | 'completed' | 'cancelled' | 'expired';

export interface RideFixture {
  customerId: string;
  driverId?: string | null;
  status?: FixtureRideStatus;
  fare?: number;
  agreedFare?: number | null;
  currency?: string;
  paymentMethod?: 'cash' | 'wallet';
  /** ISO timestamp; default now(). */
  createdAt?: string;
  pickupAddress?: string | null;
  vehicleType?: 'car' | 'bike' | 'rickshaw';
}

const PAST_HAGGLING = new Set<FixtureRideStatus>(['assigned', 'arrived', 'in_progress', 'completed']);

export async function insertRide(db: FixtureDb, ride: RideFixture): Promise<string> {
  const status = ride.status ?? 'completed';
  const fare = ride.fare ?? 50_000;
  const driverId = ride.driverId ?? null;
  const agreedFare = ride.agreedFare ?? (PAST_HAGGLING.has(status) ? fare : null);
  if (PAST_HAGGLING.has(status) && driverId === null) throw new Error(`a ${status} ride fixture needs a driverId`);
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO rides (customer_id, driver_id, status, pickup_lat, pickup_lng, pickup_address, dropoff_lat, dropoff_lng, dropoff_address,
                        fare, agreed_fare, currency, payment_method, distance_m, duration_s, suggested_fare, minimum_fare,
                        created_at, expires_at, assigned_at, arrived_at, started_at, completed_at, cancelled_at, cancelled_by, cancel_reason, vehicle_type)
     VALUES ($1, $2, $3, 24.8607, 67.0011, $4, 24.9, 67.1, 'Dropoff street', $5, $6, $7, $8, 5200, 900, $5, 20000,
             coalesce($9::timestamptz, now()), coalesce($9::timestamptz, now()) + interval '3 minutes',
             CASE WHEN $3 IN ('assigned','arrived','in_progress','completed') THEN coalesce($9::timestamptz, now()) + interval '20 seconds' END,
             CASE WHEN $3 IN ('arrived','in_progress','completed') THEN coalesce($9::timestamptz, now()) + interval '5 minutes' END,
             CASE WHEN $3 IN ('in_progress','completed') THEN coalesce($9::timestamptz, now()) + interval '6 minutes' END,
             CASE WHEN $3 = 'completed' THEN coalesce($9::timestamptz, now()) + interval '20 minutes' END,
             CASE WHEN $3 = 'cancelled' THEN coalesce($9::timestamptz, now()) + interval '1 minute' END,
             CASE WHEN $3 = 'cancelled' THEN 'customer' END,
             CASE WHEN $3 = 'cancelled' THEN 'changed my mind' END, $10)
     RETURNING id`,
    [
      ride.customerId,
      driverId,
      status,
      ride.pickupAddress === undefined ? 'Pickup road' : ride.pickupAddress,
      fare,
      agreedFare,
      ride.currency ?? 'PKR',
      ride.paymentMethod ?? 'cash',
      ride.createdAt ?? null,
      ride.vehicleType ?? 'car',
    ],
  );
  return rows[0]!.id;
}

export interface BidFixture {
  rideId: string;
  driverId: string;
  fare?: number;
  status?: 'open' | 'accepted' | 'rejected' | 'expired' | 'withdrawn';
  etaS?: number;
}

export async function insertBid(db: FixtureDb, bid: BidFixture): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO bids (ride_id, driver_id, fare, eta_s, distance_m, status, expires_at)
     VALUES ($1, $2, $3, $4, 1200, $5, now() + interval '30 seconds') RETURNING id`,
    [bid.rideId, bid.driverId, bid.fare ?? 50_000, bid.etaS ?? 240, bid.status ?? 'open'],
  );
  return rows[0]!.id;
}

export interface EventFixture {
  rideId: string;
  type: string;
  fromStatus?: FixtureRideStatus | null;
  toStatus?: FixtureRideStatus | null;
  actorRole: 'customer' | 'driver' | 'system';
  actorId?: string | null;
  data?: Record<string, unknown>;
}

export async function insertRideEvent(db: FixtureDb, event: EventFixture): Promise<number> {
  // Takes the ride's next `seq`, as the service does; a fixture's events count as announced.
  const { rows } = await db.query<{ id: string | number }>(
    `WITH s AS (INSERT INTO ride_event_seqs (ride_id, last_seq) VALUES ($1, 1)
                ON CONFLICT (ride_id) DO UPDATE SET last_seq = ride_event_seqs.last_seq + 1 RETURNING last_seq)
     INSERT INTO ride_events (ride_id, type, from_status, to_status, actor_role, actor_id, data, seq, announced_at)
     SELECT $1, $2, $3, $4, $5, $6, $7::jsonb, s.last_seq, now() FROM s RETURNING id`,
    [event.rideId, event.type, event.fromStatus ?? null, event.toStatus ?? null, event.actorRole, event.actorId ?? null, JSON.stringify(event.data ?? {})],
  );
  return Number(rows[0]!.id);
}
