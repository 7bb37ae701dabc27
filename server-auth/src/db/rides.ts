/**
 * Rides repository of the auth service. The read queries themselves live in
 * `@drivrr/store/rides-read` (the realtime service and the ops map read rides the same way);
 * this module adds the cheap party lookup used for access checks.
 */
import type { Queryable } from '@drivrr/shared/db';
import type { RideStatus } from '@drivrr/shared/protocol';
import type { RideParties } from '../domain/rides.js';
import type { ShareableRide } from '../domain/share-links.js';

export { getRideDetail, listRidesForUser } from '@drivrr/store/rides-read';
export { listRideMessages } from '@drivrr/store/ride-messages';

/** Customer and driver of a ride, or undefined when there is no such ride. */
export async function getRideParties(q: Queryable, rideId: string): Promise<RideParties | undefined> {
  const { rows } = await q.query<{ customer_id: string; driver_id: string | null }>(`SELECT customer_id, driver_id FROM rides WHERE id = $1`, [rideId]);
  const row = rows[0];
  return row ? { customerId: row.customer_id, driverId: row.driver_id } : undefined;
}

/** Parties and status of a ride, for deciding whether its customer may share it. */
export async function getShareableRide(q: Queryable, rideId: string): Promise<ShareableRide | undefined> {
  const { rows } = await q.query<{ status: RideStatus; customer_id: string; driver_id: string | null }>(
    `SELECT status, customer_id, driver_id FROM rides WHERE id = $1`,
    [rideId],
  );
  const row = rows[0];
  return row ? { status: row.status, customerId: row.customer_id, driverId: row.driver_id } : undefined;
}
