/** Reads of the share-the-trip view (src/track): nothing here writes. */
import type { Queryable } from '@drivrr/shared/db';
import type { RideStatus } from '@drivrr/shared/protocol';

/** Status and driver of each ride asked for (the view polls the rides someone watches). */
export async function readRideStatuses(q: Queryable, rideIds: readonly string[]): Promise<Map<string, { status: RideStatus; driverId: string | null }>> {
  const { rows } = await q.query<{ id: string; status: RideStatus; driver_id: string | null }>(`SELECT id, status, driver_id FROM rides WHERE id = ANY($1::uuid[])`, [rideIds]);
  return new Map(rows.map((row) => [row.id, { status: row.status, driverId: row.driver_id }]));
}
