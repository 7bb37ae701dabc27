/**
 * Offers of open requests to drivers, as rows (ride_offers). An offer is current while it is
 * `offered` (sent as ride.requested) or `bid` (the driver answered with an open bid); it ends
 * `withdrawn` (taken by another, cancelled, the driver went offline or took another ride) or
 * `expired` (the request expired). A driver whose bid expired holds the offer again.
 */
import type { Queryable } from '@drivrr/shared/db';
import type { RideView } from '@drivrr/shared/protocol';
import { rideRowToView } from '@drivrr/store/rides-read';
import { CURRENT_OFFER_STATUSES, type OfferStatus } from '../domain/haggling.js';
import { RIDE_WRITE_COLUMNS, type RideWriteRow } from './rides.js';

export interface OfferHolder {
  driverId: string;
  status: OfferStatus;
  distanceM: number;
}

/** Who currently holds an offer of this ride. */
export async function listOfferHolders(q: Queryable, rideId: string): Promise<OfferHolder[]> {
  const { rows } = await q.query<{ driver_id: string; status: OfferStatus; distance_m: number }>(
    `SELECT driver_id, status, distance_m FROM ride_offers WHERE ride_id = $1 AND status = ANY($2::text[]) ORDER BY offered_at, driver_id`,
    [rideId, CURRENT_OFFER_STATUSES],
  );
  return rows.map((row) => ({ driverId: row.driver_id, status: row.status, distanceM: row.distance_m }));
}

/** The status of this driver's offer of this ride, or null if it was never offered to them. */
export async function readOfferStatus(q: Queryable, rideId: string, driverId: string): Promise<OfferStatus | null> {
  const { rows } = await q.query<{ status: OfferStatus }>(`SELECT status FROM ride_offers WHERE ride_id = $1 AND driver_id = $2`, [rideId, driverId]);
  return rows[0]?.status ?? null;
}

/** Was this driver ever offered this ride (whatever became of the offer)? */
export async function wasOffered(q: Queryable, rideId: string, driverId: string): Promise<boolean> {
  const { rows } = await q.query(`SELECT 1 FROM ride_offers WHERE ride_id = $1 AND driver_id = $2`, [rideId, driverId]);
  return rows.length > 0;
}

/** Records offers just sent (a driver offered before and since withdrawn is offered again). */
export async function insertOffers(q: Queryable, rideId: string, offers: readonly { driverId: string; distanceM: number }[]): Promise<void> {
  if (offers.length === 0) return;
  await q.query(
    `INSERT INTO ride_offers (ride_id, driver_id, status, distance_m)
     SELECT $1, o.driver_id, 'offered', o.distance_m FROM unnest($2::uuid[], $3::int[]) AS o(driver_id, distance_m)
     ON CONFLICT (ride_id, driver_id) DO UPDATE SET status = 'offered', distance_m = EXCLUDED.distance_m, offered_at = now(), updated_at = now()`,
    [rideId, offers.map((o) => o.driverId), offers.map((o) => o.distanceM)],
  );
}

/** The driver bid on the ride: they hold its offer as a bid (only a holder of a current offer may bid). */
export async function recordBid(q: Queryable, rideId: string, driverId: string): Promise<void> {
  await q.query(`UPDATE ride_offers SET status = 'bid', updated_at = now() WHERE ride_id = $1 AND driver_id = $2 AND status = ANY($3::text[])`, [
    rideId,
    driverId,
    CURRENT_OFFER_STATUSES,
  ]);
}

/** Moves a driver's offer from one status to another (e.g. their bid expired: `bid` -> `offered`, they hold it again). */
export async function setOfferStatus(q: Queryable, rideId: string, driverId: string, from: OfferStatus, to: OfferStatus): Promise<void> {
  await q.query(`UPDATE ride_offers SET status = $4, updated_at = now() WHERE ride_id = $1 AND driver_id = $2 AND status = $3`, [rideId, driverId, from, to]);
}

/** Ends every current offer of a ride (it was taken, cancelled or expired); returns who held one. */
export async function endOffersOfRide(q: Queryable, rideId: string, to: 'withdrawn' | 'expired'): Promise<string[]> {
  const { rows } = await q.query<{ driver_id: string }>(
    `UPDATE ride_offers SET status = $2, updated_at = now() WHERE ride_id = $1 AND status = ANY($3::text[]) RETURNING driver_id`,
    [rideId, to, CURRENT_OFFER_STATUSES],
  );
  return rows.map((row) => row.driver_id).sort();
}

/** Withdraws a driver's current offers of rides other than `exceptRideId`; returns those rides. */
export async function withdrawOffersOfDriver(q: Queryable, driverId: string, exceptRideId: string | null): Promise<string[]> {
  const { rows } = await q.query<{ ride_id: string }>(
    `UPDATE ride_offers SET status = 'withdrawn', updated_at = now()
      WHERE driver_id = $1 AND status = ANY($3::text[]) AND ($2::uuid IS NULL OR ride_id <> $2::uuid)
      RETURNING ride_id`,
    [driverId, exceptRideId, CURRENT_OFFER_STATUSES],
  );
  return rows.map((row) => row.ride_id).sort();
}

export interface DriverOffer {
  ride: RideView;
  distanceToPickupM: number;
  expiresAt: string;
}

/** The open requests a driver currently holds an offer of (their session.state). */
export async function listOffersOfDriver(q: Queryable, driverId: string): Promise<DriverOffer[]> {
  const { rows } = await q.query<RideWriteRow & { offer_distance_m: number }>(
    `SELECT ${RIDE_WRITE_COLUMNS}, o.distance_m AS offer_distance_m
       FROM ride_offers o JOIN rides r ON r.id = o.ride_id
      WHERE o.driver_id = $1 AND o.status = ANY($2::text[]) AND r.status = 'requested'
      ORDER BY o.offered_at`,
    [driverId, CURRENT_OFFER_STATUSES],
  );
  return rows.map((row) => {
    const ride = rideRowToView(row);
    return { ride, distanceToPickupM: row.offer_distance_m, expiresAt: ride.expiresAt };
  });
}
