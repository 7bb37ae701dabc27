/** The append-only timeline of a ride (ride_events): written in the same transaction as the change it records. */
import type { Queryable } from '@drivrr/shared/db';
import type { RideStatus } from '@drivrr/shared/protocol';

export type RideEventActorRole = 'customer' | 'driver' | 'system';

/** The timeline's event types written by the realtime service. */
export type RideEventKind =
  | 'requested'
  | 'offered'
  | 'bid_placed'
  | 'bid_expired'
  | 'bid_withdrawn'
  | 'fare_raised'
  | 'assigned'
  | 'bids_rejected'
  | 'arrived'
  | 'started'
  | 'completed'
  | 'cancelled'
  | 'expired';

export interface NewRideEvent {
  rideId: string;
  type: RideEventKind;
  fromStatus?: RideStatus | null;
  toStatus?: RideStatus | null;
  actorRole: RideEventActorRole;
  actorId?: string | null;
  data?: Record<string, unknown>;
}

export async function insertRideEvent(q: Queryable, event: NewRideEvent): Promise<void> {
  await q.query(
    `INSERT INTO ride_events (ride_id, type, from_status, to_status, actor_role, actor_id, data)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [event.rideId, event.type, event.fromStatus ?? null, event.toStatus ?? null, event.actorRole, event.actorId ?? null, JSON.stringify(event.data ?? {})],
  );
}

/** Inserts several events in one statement (e.g. a bid withdrawn on each of several rides). */
export async function insertRideEvents(q: Queryable, events: readonly NewRideEvent[]): Promise<void> {
  if (events.length === 0) return;
  const values: unknown[] = [];
  const rows = events.map((event, index) => {
    const base = index * 7;
    values.push(event.rideId, event.type, event.fromStatus ?? null, event.toStatus ?? null, event.actorRole, event.actorId ?? null, JSON.stringify(event.data ?? {}));
    return `($${base + 1}, $${base + 2}, $${base + 3}, $${base + 4}, $${base + 5}, $${base + 6}, $${base + 7})`;
  });
  await q.query(`INSERT INTO ride_events (ride_id, type, from_status, to_status, actor_role, actor_id, data) VALUES ${rows.join(', ')}`, values);
}

export interface OfferRecord {
  driverId: string;
  distanceM: number;
}

/** The offers made for open rides (from their `offered` events), to rebuild the search after a restart. */
export async function listOffersForRides(q: Queryable, rideIds: readonly string[]): Promise<Map<string, OfferRecord[]>> {
  const result = new Map<string, OfferRecord[]>();
  if (rideIds.length === 0) return result;
  const { rows } = await q.query<{ ride_id: string; data: { drivers?: unknown } }>(
    `SELECT ride_id, data FROM ride_events WHERE type = 'offered' AND ride_id = ANY($1::uuid[]) ORDER BY id`,
    [rideIds],
  );
  for (const row of rows) {
    const list = result.get(row.ride_id) ?? [];
    const drivers = Array.isArray(row.data.drivers) ? row.data.drivers : [];
    for (const entry of drivers) {
      const driverId = (entry as { driverId?: unknown }).driverId;
      const distanceM = (entry as { distanceM?: unknown }).distanceM;
      if (typeof driverId === 'string' && typeof distanceM === 'number') list.push({ driverId, distanceM });
    }
    result.set(row.ride_id, list);
  }
  return result;
}
