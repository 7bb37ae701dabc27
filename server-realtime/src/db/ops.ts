/**
 * Read-only queries of the live operations map (src/ops): what the database says about rides
 * right now. Nothing here writes; nothing here selects a phone number or a token.
 */
import type { Pool, Queryable } from '@drivrr/shared/db';
import { ENGAGED_RIDE_STATUSES, type OpsRequest, type OpsRide, type RideStatus, type VehicleType } from '@drivrr/shared/protocol';
import { RideStatus as RideStatusSchema } from '@drivrr/shared/protocol';

/** What the ops view reads from PostgreSQL every second or so (the "board"). */
export interface OpsBoard {
  requests: OpsRequest[];
  rides: OpsRide[];
  ridesByStatus: Record<RideStatus, number>;
  medianAssignS: number | null;
  /** Drivers holding an open bid on a request still being haggled over. */
  biddingDriverIds: string[];
  countedAt: string;
}

/** The most open requests / active rides one board carries (a map of more would be unreadable). */
export const OPS_BOARD_LIMIT = 2_000;

export function emptyRidesByStatus(): Record<RideStatus, number> {
  return Object.fromEntries(RideStatusSchema.options.map((status) => [status, 0])) as Record<RideStatus, number>;
}

// Money columns are bigint: converted with Number() here, whether or not the pool parses int8.
interface RequestRow {
  id: string;
  vehicle_type: VehicleType;
  pickup_lat: number;
  pickup_lng: number;
  dropoff_lat: number;
  dropoff_lng: number;
  fare: number;
  currency: string;
  created_at: Date;
  expires_at: Date;
  open_bids: number;
  total_bids: number;
  best_bid: number | null;
}

interface ActiveRideRow {
  id: string;
  vehicle_type: VehicleType;
  status: OpsRide['status'];
  driver_id: string;
  pickup_lat: number;
  pickup_lng: number;
  dropoff_lat: number;
  dropoff_lng: number;
  agreed_fare: number;
  currency: string;
  assigned_at: Date;
}

/** Rides counted by status, every status present (0 when none). */
export async function countRidesByStatus(q: Queryable): Promise<Record<RideStatus, number>> {
  const { rows } = await q.query<{ status: RideStatus; n: number }>(`SELECT status, count(*)::int AS n FROM rides GROUP BY status`);
  const counts = emptyRidesByStatus();
  for (const row of rows) if (row.status in counts) counts[row.status] = row.n;
  return counts;
}

/** Median seconds from request to assignment over rides assigned in the last `windowS` seconds. */
export async function medianSecondsToAssignment(q: Queryable, windowS = 86_400): Promise<number | null> {
  const { rows } = await q.query<{ median: number | null }>(
    `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM assigned_at - created_at))::float8 AS median
       FROM rides
      WHERE assigned_at IS NOT NULL AND assigned_at > now() - make_interval(secs => $1)`,
    [windowS],
  );
  const median = rows[0]?.median;
  return median === null || median === undefined ? null : Math.round(median * 10) / 10;
}

/** Requests still being haggled over, with their bid counts and best open bid, oldest first. */
export async function listOpenRequests(q: Queryable, limit = OPS_BOARD_LIMIT): Promise<OpsRequest[]> {
  const { rows } = await q.query<RequestRow>(
    `SELECT r.id, r.vehicle_type, r.pickup_lat, r.pickup_lng, r.dropoff_lat, r.dropoff_lng, r.fare, r.currency, r.created_at, r.expires_at,
            count(b.id) FILTER (WHERE b.status = 'open')::int AS open_bids,
            count(b.id)::int AS total_bids,
            min(b.fare) FILTER (WHERE b.status = 'open') AS best_bid
       FROM rides r
       LEFT JOIN bids b ON b.ride_id = r.id
      WHERE r.status = 'requested'
      GROUP BY r.id
      ORDER BY r.created_at, r.id
      LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    rideId: row.id,
    vehicleType: row.vehicle_type,
    pickup: { lat: row.pickup_lat, lng: row.pickup_lng },
    dropoff: { lat: row.dropoff_lat, lng: row.dropoff_lng },
    fare: Number(row.fare),
    currency: row.currency,
    openBids: row.open_bids,
    totalBids: row.total_bids,
    bestBid: row.best_bid === null ? null : Number(row.best_bid),
    createdAt: row.created_at.toISOString(),
    expiresAt: row.expires_at.toISOString(),
  }));
}

/** Rides with a driver that have not ended (assigned, arrived, in_progress), oldest first. */
export async function listActiveRides(q: Queryable, limit = OPS_BOARD_LIMIT): Promise<OpsRide[]> {
  const { rows } = await q.query<ActiveRideRow>(
    `SELECT r.id, r.status, r.vehicle_type, r.driver_id, r.pickup_lat, r.pickup_lng, r.dropoff_lat, r.dropoff_lng,
            r.agreed_fare, r.currency, r.assigned_at
       FROM rides r
      WHERE r.status = ANY($2::text[]) AND r.driver_id IS NOT NULL
      ORDER BY r.assigned_at, r.id
      LIMIT $1`,
    [limit, ENGAGED_RIDE_STATUSES],
  );
  return rows.map((row) => ({
    rideId: row.id,
    status: row.status,
    vehicleType: row.vehicle_type,
    driverId: row.driver_id,
    pickup: { lat: row.pickup_lat, lng: row.pickup_lng },
    dropoff: { lat: row.dropoff_lat, lng: row.dropoff_lng },
    agreedFare: Number(row.agreed_fare),
    currency: row.currency,
    assignedAt: row.assigned_at.toISOString(),
  }));
}

/** Drivers with an open bid on a ride still requested (shown as "offered" on the map). */
export async function listBiddingDriverIds(q: Queryable): Promise<string[]> {
  const { rows } = await q.query<{ driver_id: string }>(
    `SELECT DISTINCT b.driver_id FROM bids b JOIN rides r ON r.id = b.ride_id
      WHERE b.status = 'open' AND r.status = 'requested'`,
  );
  return rows.map((row) => row.driver_id);
}

/**
 * Everything the ops view reads, in one READ ONLY, REPEATABLE READ transaction: the counters and
 * the lists come from the same instant, so "requests open" always equals the requests drawn.
 */
export async function readOpsBoard(pool: Pool): Promise<OpsBoard> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ now: Date }>('SELECT now() AS now');
    const ridesByStatus = await countRidesByStatus(client);
    const requests = await listOpenRequests(client);
    const rides = await listActiveRides(client);
    const biddingDriverIds = await listBiddingDriverIds(client);
    const medianAssignS = await medianSecondsToAssignment(client);
    await client.query('COMMIT');
    const countedAt = (rows[0]?.now ?? new Date()).toISOString();
    return { requests, rides, ridesByStatus, medianAssignS, biddingDriverIds, countedAt };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
