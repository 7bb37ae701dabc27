/**
 * Write side of bids. Every status change is a compare-and-set from `open`; the partial unique
 * indexes (one open bid per driver per ride, one accepted bid per ride) are the last guard.
 */
import type { Queryable } from '@drivrr/shared/db';
import type { BidStatus, BidView } from '@drivrr/shared/protocol';
import { BID_COLUMNS, BID_FROM, bidRowToView, type BidRow } from '@drivrr/store/rides-read';
import type { BidState } from '../domain/haggling.js';

interface BidStateRow {
  id: string;
  ride_id: string;
  driver_id: string;
  fare: number;
  status: BidStatus;
  expires_at: Date;
}

function toState(row: BidStateRow): BidState {
  return { id: row.id, rideId: row.ride_id, driverId: row.driver_id, fare: row.fare, status: row.status, expiresAt: row.expires_at.getTime() };
}

export interface NewBid {
  rideId: string;
  driverId: string;
  fare: number;
  etaS: number;
  distanceM: number;
  expiresAt: Date;
}

/** Inserts an open bid; throws the unique violation when the driver already has one on the ride. */
export async function insertBid(q: Queryable, bid: NewBid): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO bids (ride_id, driver_id, fare, eta_s, distance_m, status, expires_at)
     VALUES ($1, $2, $3, $4, $5, 'open', $6) RETURNING id`,
    [bid.rideId, bid.driverId, bid.fare, bid.etaS, bid.distanceM, bid.expiresAt],
  );
  return (rows[0] as { id: string }).id;
}

export async function readBidView(q: Queryable, bidId: string): Promise<BidView | undefined> {
  const { rows } = await q.query<BidRow>(`SELECT ${BID_COLUMNS} FROM ${BID_FROM} WHERE b.id = $1`, [bidId]);
  return rows[0] ? bidRowToView(rows[0]) : undefined;
}

export async function findOpenBid(q: Queryable, rideId: string, driverId: string): Promise<BidState | undefined> {
  const { rows } = await q.query<BidStateRow>(
    `SELECT id, ride_id, driver_id, fare, status, expires_at FROM bids WHERE ride_id = $1 AND driver_id = $2 AND status = 'open'`,
    [rideId, driverId],
  );
  return rows[0] ? toState(rows[0]) : undefined;
}

/** A bid's ETA to the pickup (seconds): kept with the ride's cancellation terms when the bid is accepted. */
export async function readBidEtaS(q: Queryable, bidId: string): Promise<number> {
  const { rows } = await q.query<{ eta_s: number }>(`SELECT eta_s FROM bids WHERE id = $1`, [bidId]);
  return Number(rows[0]?.eta_s ?? 0);
}

/** Reads a bid without locking it. */
export async function readBid(q: Queryable, bidId: string): Promise<BidState | undefined> {
  const { rows } = await q.query<BidStateRow>(`SELECT id, ride_id, driver_id, fare, status, expires_at FROM bids WHERE id = $1`, [bidId]);
  return rows[0] ? toState(rows[0]) : undefined;
}

/**
 * Locks, in id order, the open bids of a ride and (optionally) the open bids of a driver on any
 * ride. Every transaction that changes several bids locks them through here first, always in the
 * same order, so two accepts (each rejecting one ride's bids and withdrawing its driver's others)
 * cannot deadlock.
 */
export async function lockOpenBids(q: Queryable, scope: { rideId: string | null; driverId: string | null }): Promise<BidState[]> {
  const { rows } = await q.query<BidStateRow>(
    `SELECT id, ride_id, driver_id, fare, status, expires_at FROM bids
      WHERE status = 'open' AND (ride_id = $1::uuid OR driver_id = $2::uuid)
      ORDER BY id FOR UPDATE`,
    [scope.rideId, scope.driverId],
  );
  return rows.map(toState);
}

export async function lockBid(q: Queryable, bidId: string): Promise<BidState | undefined> {
  const { rows } = await q.query<BidStateRow>(`SELECT id, ride_id, driver_id, fare, status, expires_at FROM bids WHERE id = $1 FOR UPDATE`, [bidId]);
  return rows[0] ? toState(rows[0]) : undefined;
}

/** Compare-and-set from open; false when the bid was no longer open. */
export async function closeBid(q: Queryable, bidId: string, to: Exclude<BidStatus, 'open'>): Promise<boolean> {
  const result = await q.query(`UPDATE bids SET status = $2, updated_at = now() WHERE id = $1 AND status = 'open'`, [bidId, to]);
  return result.rowCount === 1;
}

/** Rejects every open bid of a ride but one; returns who must be told. */
export async function rejectOpenBids(q: Queryable, rideId: string, exceptBidId: string | null): Promise<{ id: string; driverId: string }[]> {
  const { rows } = await q.query<{ id: string; driver_id: string }>(
    `UPDATE bids SET status = 'rejected', updated_at = now()
      WHERE ride_id = $1 AND status = 'open' AND ($2::uuid IS NULL OR id <> $2::uuid)
      RETURNING id, driver_id`,
    [rideId, exceptBidId],
  );
  return rows.map((row) => ({ id: row.id, driverId: row.driver_id }));
}

export interface WithdrawnBid {
  id: string;
  rideId: string;
  customerId: string;
}

/** Withdraws a driver's open bids (on other rides than `exceptRideId`): they went offline or took a ride. */
export async function withdrawOpenBidsOfDriver(q: Queryable, driverId: string, exceptRideId: string | null): Promise<WithdrawnBid[]> {
  const { rows } = await q.query<{ id: string; ride_id: string; customer_id: string }>(
    `UPDATE bids b SET status = 'withdrawn', updated_at = now()
       FROM rides r
      WHERE r.id = b.ride_id AND b.driver_id = $1 AND b.status = 'open' AND ($2::uuid IS NULL OR b.ride_id <> $2::uuid)
      RETURNING b.id, b.ride_id, r.customer_id`,
    [driverId, exceptRideId],
  );
  return rows.map((row) => ({ id: row.id, rideId: row.ride_id, customerId: row.customer_id }));
}

/** Claims one open bid whose expiry is due (skipping one another transaction holds), locked for this transaction. */
export async function claimDueBid(q: Queryable, now: Date): Promise<BidState | undefined> {
  const { rows } = await q.query<BidStateRow>(
    `SELECT id, ride_id, driver_id, fare, status, expires_at FROM bids WHERE status = 'open' AND expires_at <= $1
      ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED`,
    [now],
  );
  return rows[0] ? toState(rows[0]) : undefined;
}
