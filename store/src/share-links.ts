/**
 * Share-the-trip links (contract 1.1): written by the auth service (POST /api/rides/:id/share),
 * read by the realtime service (GET /track/:token and its API). The token is 32 random bytes;
 * only its SHA-256 is stored, so the table alone cannot open any link.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '@drivrr/shared/db';
import type { Place, RideStatus, VehicleType } from '@drivrr/shared/protocol';
import type { RideRow } from './rides-read.js';

/** A new link token: 32 random bytes, base64url (43 characters, safe in a URL path). */
export function newShareToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What is stored for a token (hex SHA-256). */
export function hashShareToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A token as handed out: anything else cannot be one, and is refused before any query. */
export function isShareTokenShaped(value: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(value);
}

export async function insertShareLink(q: Queryable, link: { rideId: string; createdBy: string; tokenHash: string; expiresAt: Date }): Promise<void> {
  await q.query(`INSERT INTO ride_share_links (ride_id, created_by, token_hash, expires_at) VALUES ($1, $2, $3, $4)`, [
    link.rideId,
    link.createdBy,
    link.tokenHash,
    link.expiresAt,
  ]);
}

/** The ride a link shows, as the track view needs it (never the customer's identity). */
export interface SharedRide {
  rideId: string;
  status: RideStatus;
  pickup: Place;
  dropoff: Place;
  vehicleType: VehicleType;
  driverId: string | null;
  linkExpiresAt: Date;
}

/** The ride behind a token, or undefined for a token that was never handed out. */
export async function findSharedRide(q: Queryable, token: string): Promise<SharedRide | undefined> {
  if (!isShareTokenShaped(token)) return undefined;
  const { rows } = await q.query<
    Pick<RideRow, 'status' | 'driver_id' | 'pickup_lat' | 'pickup_lng' | 'pickup_address' | 'dropoff_lat' | 'dropoff_lng' | 'dropoff_address' | 'ride_vehicle_type'> & { ride_id: string; expires_at: Date }
  >(
    `SELECT r.id AS ride_id, r.status, r.pickup_lat, r.pickup_lng, r.pickup_address, r.dropoff_lat, r.dropoff_lng, r.dropoff_address,
            r.vehicle_type AS ride_vehicle_type, r.driver_id, l.expires_at
       FROM ride_share_links l JOIN rides r ON r.id = l.ride_id
      WHERE l.token_hash = $1`,
    [hashShareToken(token)],
  );
  const row = rows[0];
  if (!row) return undefined;
  const place = (lat: number, lng: number, address: string | null): Place => (address === null ? { lat, lng } : { lat, lng, address });
  return {
    rideId: row.ride_id,
    status: row.status,
    pickup: place(row.pickup_lat, row.pickup_lng, row.pickup_address),
    dropoff: place(row.dropoff_lat, row.dropoff_lng, row.dropoff_address),
    vehicleType: row.ride_vehicle_type,
    driverId: row.driver_id,
    linkExpiresAt: row.expires_at,
  };
}
