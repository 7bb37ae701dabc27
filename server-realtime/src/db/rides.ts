/**
 * Write side of rides: a request and its first event in one transaction; every status change a
 * compare-and-set (`WHERE status = $from`) under a row lock, persisting the state the domain
 * machine computed. Reads for views go through @drivrr/store/rides-read.
 */
import { AppError } from '@drivrr/shared';
import { pgErrorCode, PG_UNIQUE_VIOLATION, withTransaction, type Pool, type PoolClient, type Queryable } from '@drivrr/shared/db';
import type { DriverPartyView, PartyView, RideStatus, VehicleType } from '@drivrr/shared/protocol';
import {
  driverPartyRowToView,
  partyColumns,
  partyRowToView,
  ACTIVE_RIDE_STATUSES,
  RIDE_COLUMNS,
  vehicleColumns,
  type PartyRow,
  type RideRow,
  type VehicleRow,
} from '@drivrr/store/rides-read';
import { cancellationTermsOf } from '@drivrr/store/rides-read';
import { ENGAGED_STATUSES, type RideLifecycleState } from '../domain/ride-lifecycle.js';
import { appendRideEvents } from './ride-events.js';

/** A ride row with the columns the write side needs beyond the view's. */
export interface RideWriteRow extends RideRow {
  accepted_bid_id: string | null;
  cancel_counts_against_driver: boolean;
  cancelled_from: RideStatus | null;
  version: number;
  /** The widening search's state (domain/matching.ts), kept with the ride. */
  match_tick: number;
  match_radius_index: number;
}

export const RIDE_WRITE_COLUMNS = `${RIDE_COLUMNS}, r.accepted_bid_id, r.cancel_counts_against_driver, r.cancelled_from, r.version, r.match_tick, r.match_radius_index`;

/**
 * BEGIN/COMMIT on one client, run again (up to 3 more times) when PostgreSQL aborted it for a
 * deadlock: concurrent accepts lock bids of several rides.
 */
export function withRideTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>, onRetry?: (code: string) => void): Promise<T> {
  return withTransaction(pool, work, { retries: 3, ...(onRetry ? { onRetry } : {}) });
}

export function rideRowToLifecycle(row: RideWriteRow): RideLifecycleState {
  return {
    status: row.status,
    customerId: row.customer_id,
    driverId: row.driver_id,
    agreedFare: row.agreed_fare,
    acceptedBidId: row.accepted_bid_id,
    cancelledBy: row.cancelled_by,
    cancelReason: row.cancel_reason,
    cancelledFrom: row.cancelled_from,
    currency: row.currency,
    assignedAt: row.assigned_at?.getTime() ?? null,
    arrivedAt: row.arrived_at?.getTime() ?? null,
    cancelTerms: cancellationTermsOf(row),
    cancelFee: row.cancel_fee,
    cancelCountsAgainstDriver: row.cancel_counts_against_driver,
  };
}

export interface NewRideRequest {
  customerId: string;
  pickup: { lat: number; lng: number; address?: string | undefined };
  dropoff: { lat: number; lng: number; address?: string | undefined };
  fare: number;
  currency: string;
  paymentMethod: 'cash' | 'wallet';
  vehicleType: VehicleType;
  distanceM: number;
  durationS: number;
  suggestedFare: number;
  minimumFare: number;
  expiresAt: Date;
  /** When the search makes its first offers (now). */
  firstTickAt: Date;
}

/** Stores a new request and its `requested` event. A second live ride of the customer -> 409 active_ride_exists. */
export async function insertRideRequest(pool: Pool, input: NewRideRequest): Promise<RideWriteRow> {
  try {
    return await withRideTransaction(pool, async (client) => {
      const { rows } = await client.query<RideWriteRow>(
        `INSERT INTO rides AS r (customer_id, status, pickup_lat, pickup_lng, pickup_address, dropoff_lat, dropoff_lng, dropoff_address,
                                 fare, currency, payment_method, distance_m, duration_s, suggested_fare, minimum_fare, expires_at, next_tick_at, vehicle_type)
         VALUES ($1, 'requested', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
         RETURNING ${RIDE_WRITE_COLUMNS}`,
        [
          input.customerId,
          input.pickup.lat,
          input.pickup.lng,
          input.pickup.address ?? null,
          input.dropoff.lat,
          input.dropoff.lng,
          input.dropoff.address ?? null,
          input.fare,
          input.currency,
          input.paymentMethod,
          input.distanceM,
          input.durationS,
          input.suggestedFare,
          input.minimumFare,
          input.expiresAt,
          input.firstTickAt,
          input.vehicleType,
        ],
      );
      const ride = rows[0] as RideWriteRow;
      await appendRideEvents(client, [{
        rideId: ride.id,
        type: 'requested',
        toStatus: 'requested',
        actorRole: 'customer',
        actorId: input.customerId,
        data: { fare: input.fare, paymentMethod: input.paymentMethod, vehicleType: input.vehicleType, suggestedFare: input.suggestedFare, minimumFare: input.minimumFare },
      }]);
      return ride;
    });
  } catch (error) {
    if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) {
      const active = await findActiveRideIdOfCustomer(pool, input.customerId);
      throw new AppError('active_ride_exists', 'you already have a ride in progress', active ? { details: { rideId: active } } : {});
    }
    throw error;
  }
}

export async function findActiveRideIdOfCustomer(q: Queryable, customerId: string): Promise<string | undefined> {
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM rides WHERE customer_id = $1 AND status = ANY($2::text[]) LIMIT 1`,
    [customerId, ACTIVE_RIDE_STATUSES],
  );
  return rows[0]?.id;
}

/** Reads a ride without locking it. */
export async function readRide(q: Queryable, rideId: string): Promise<RideWriteRow | undefined> {
  const { rows } = await q.query<RideWriteRow>(`SELECT ${RIDE_WRITE_COLUMNS} FROM rides r WHERE r.id = $1`, [rideId]);
  return rows[0];
}

/**
 * Locks a ride row for the rest of the transaction: accepts, cancels, expiries and bids of one
 * ride queue here. FOR NO KEY UPDATE, not FOR UPDATE: rows that merely reference the ride
 * (ride_events, bids) take FOR KEY SHARE on it for their foreign key, and must not wait for us —
 * an accept writes events on other rides (its driver's withdrawn bids) while those rides' own
 * accepts hold their rows, which with FOR UPDATE deadlocked.
 */
export async function lockRide(client: PoolClient, rideId: string): Promise<RideWriteRow | undefined> {
  const { rows } = await client.query<RideWriteRow>(`SELECT ${RIDE_WRITE_COLUMNS} FROM rides r WHERE r.id = $1 FOR NO KEY UPDATE`, [rideId]);
  return rows[0];
}

/** Shares the ride's lock: a bid placed concurrently with an accept waits for it and then sees the new status. */
export async function shareLockRide(client: PoolClient, rideId: string): Promise<RideWriteRow | undefined> {
  const { rows } = await client.query<RideWriteRow>(`SELECT ${RIDE_WRITE_COLUMNS} FROM rides r WHERE r.id = $1 FOR SHARE`, [rideId]);
  return rows[0];
}

/** Namespace of the rides module's advisory locks ('RIDE'), so they never meet another module's. */
const DRIVER_LOCK_CLASS = 0x52494445;

/**
 * Serialises, per driver, what decides whether they are free: a bid being placed and an accept
 * making them busy. Taken after the ride's lock (always in that order), held to the end of the
 * transaction. Without it, a bid committed while the same driver is being assigned elsewhere
 * could stay open on a ride they can no longer serve.
 */
export async function lockDriver(client: PoolClient, driverId: string): Promise<void> {
  await client.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [DRIVER_LOCK_CLASS, driverId]);
}

const STATUS_TIMESTAMP: Partial<Record<RideStatus, string>> = {
  assigned: 'assigned_at',
  arrived: 'arrived_at',
  in_progress: 'started_at',
  completed: 'completed_at',
  cancelled: 'cancelled_at',
};

/**
 * Persists a transition the domain machine computed, as a compare-and-set on the status it was
 * computed from. Returns the updated row, or undefined when the ride was no longer `from` (someone
 * else's transition won). The unique index rides_one_active_per_driver may throw for an assignment.
 */
export async function persistRideTransition(
  q: Queryable,
  rideId: string,
  from: RideStatus,
  next: RideLifecycleState,
  /** The rides clock's time of the transition (its status timestamp); the database's now() when absent. */
  at?: Date,
): Promise<RideWriteRow | undefined> {
  const stamp = STATUS_TIMESTAMP[next.status];
  const { rows } = await q.query<RideWriteRow>(
    `UPDATE rides r
        SET status = $3, driver_id = $4, agreed_fare = $5, accepted_bid_id = $6,
            cancelled_by = $7, cancel_reason = $8, cancelled_from = $9,
            cancel_terms = $10::jsonb, cancel_fee = $11, cancel_counts_against_driver = $12,
            ${stamp ? `${stamp} = coalesce($13::timestamptz, now()),` : ''}
            version = r.version + 1, updated_at = now()
      WHERE r.id = $1 AND r.status = $2
      RETURNING ${RIDE_WRITE_COLUMNS}`,
    [
      rideId,
      from,
      next.status,
      next.driverId,
      next.agreedFare,
      next.acceptedBidId,
      next.cancelledBy,
      next.cancelReason,
      next.cancelledFrom,
      next.cancelTerms ? JSON.stringify(next.cancelTerms) : null,
      next.cancelFee ?? null,
      next.cancelCountsAgainstDriver ?? false,
      ...(stamp ? [at ?? null] : []),
    ],
  );
  return rows[0];
}

/** Raises the ask of a still-requested ride (compare-and-set on status and the previous fare). */
export async function updateAskedFare(q: Queryable, rideId: string, previousFare: number, fare: number): Promise<RideWriteRow | undefined> {
  const { rows } = await q.query<RideWriteRow>(
    `UPDATE rides r SET fare = $3, version = r.version + 1, updated_at = now()
      WHERE r.id = $1 AND r.status = 'requested' AND r.fare = $2
      RETURNING ${RIDE_WRITE_COLUMNS}`,
    [rideId, previousFare, fare],
  );
  return rows[0];
}

/** Claims one open request whose expiry is due (skipping one another process holds), locked for this transaction. */
export async function claimDueExpiry(client: PoolClient, now: Date): Promise<RideWriteRow | undefined> {
  const { rows } = await client.query<RideWriteRow>(
    `SELECT ${RIDE_WRITE_COLUMNS} FROM rides r WHERE r.status = 'requested' AND r.expires_at <= $1
      ORDER BY r.expires_at LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`,
    [now],
  );
  return rows[0];
}

/** Claims one open request whose next search tick is due (`rideId`: only that one), locked for this transaction. */
export async function claimDueTick(client: PoolClient, now: Date, rideId: string | null = null): Promise<RideWriteRow | undefined> {
  const { rows } = await client.query<RideWriteRow>(
    `SELECT ${RIDE_WRITE_COLUMNS} FROM rides r
      WHERE r.status = 'requested' AND r.next_tick_at <= $1 AND r.expires_at > $1 AND ($2::uuid IS NULL OR r.id = $2::uuid)
      ORDER BY r.next_tick_at LIMIT 1 FOR NO KEY UPDATE SKIP LOCKED`,
    [now, rideId],
  );
  return rows[0];
}

/** Stores the search's new state and when it ticks next (null: it stops). */
export async function updateSearch(q: Queryable, rideId: string, match: { tick: number; radiusIndex: number }, nextTickAt: Date | null): Promise<void> {
  await q.query(`UPDATE rides SET match_tick = $2, match_radius_index = $3, next_tick_at = $4 WHERE id = $1`, [rideId, match.tick, match.radiusIndex, nextTickAt]);
}

/** The driver of the customer's live ride (assigned, arrived, in progress), if any. */
export async function engagedDriverOfCustomer(q: Queryable, customerId: string): Promise<string | undefined> {
  const { rows } = await q.query<{ driver_id: string }>(
    `SELECT driver_id FROM rides WHERE customer_id = $1 AND status = ANY($2::text[]) LIMIT 1`,
    [customerId, ENGAGED_STATUSES],
  );
  return rows[0]?.driver_id;
}

/** Which of these drivers are on a ride (the database's answer, not presence's). */
export async function busyDriverIds(q: Queryable, driverIds: readonly string[]): Promise<Set<string>> {
  if (driverIds.length === 0) return new Set();
  const { rows } = await q.query<{ driver_id: string }>(
    `SELECT driver_id FROM rides WHERE driver_id = ANY($1::uuid[]) AND status = ANY($2::text[])`,
    [driverIds, ENGAGED_STATUSES],
  );
  return new Set(rows.map((row) => row.driver_id));
}

export async function isDriverBusy(q: Queryable, driverId: string): Promise<boolean> {
  return (await busyDriverIds(q, [driverId])).has(driverId);
}

/** Both parties of a ride as the other side sees them. */
export async function readRideParties(q: Queryable, rideId: string): Promise<{ customer: PartyView; driver: DriverPartyView | null } | undefined> {
  const { rows } = await q.query<Record<string, unknown> & { customer_id: string; driver_id: string | null }>(
    `SELECT r.customer_id, r.driver_id, ${partyColumns('cu', 'customer_')}, ${partyColumns('du', 'driver_')}, ${vehicleColumns('dv', 'vehicle_')}
       FROM rides r
       JOIN users cu ON cu.id = r.customer_id
       LEFT JOIN users du ON du.id = r.driver_id
       LEFT JOIN vehicles dv ON dv.driver_id = r.driver_id
      WHERE r.id = $1`,
    [rideId],
  );
  const row = rows[0];
  if (!row) return undefined;
  const party = (id: string, prefix: string): PartyRow => ({
    id,
    name: (row[`${prefix}name`] as string | null) ?? null,
    rating_sum: Number(row[`${prefix}rating_sum`] ?? 0),
    rating_count: Number(row[`${prefix}rating_count`] ?? 0),
  });
  const vehicle: VehicleRow = {
    make: (row['vehicle_make'] as string | null) ?? null,
    model: (row['vehicle_model'] as string | null) ?? null,
    color: (row['vehicle_color'] as string | null) ?? null,
    plate: (row['vehicle_plate'] as string | null) ?? null,
    type: (row['vehicle_type'] as VehicleRow['type']) ?? null,
  };
  return {
    customer: partyRowToView(party(row.customer_id, 'customer_')),
    driver: row.driver_id === null ? null : driverPartyRowToView(party(row.driver_id, 'driver_'), vehicle),
  };
}
