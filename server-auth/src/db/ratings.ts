/** Ratings repository: the rating row and the ratee's running sum/count, written together. */
import { AppError } from '@drivrr/shared';
import type { PoolClient, Queryable } from '@drivrr/shared/db';
import type { RideStatus } from '@drivrr/shared/protocol';
import type { RatableRide } from '../domain/ratings.js';

/** The ride's parties and status, locked FOR SHARE so its status cannot change while rating. */
export async function lockRideForRating(client: PoolClient, rideId: string): Promise<RatableRide | undefined> {
  const { rows } = await client.query<{ status: RideStatus; customer_id: string; driver_id: string | null }>(
    `SELECT status, customer_id, driver_id FROM rides WHERE id = $1 FOR SHARE`,
    [rideId],
  );
  const row = rows[0];
  return row ? { status: row.status, customerId: row.customer_id, driverId: row.driver_id } : undefined;
}

export interface StoredRating {
  id: string;
  rideId: string;
  raterId: string;
  rateeId: string;
  stars: number;
  comment: string | null;
  createdAt: string;
  ratee: { id: string; name: string | null; ratingSum: number; ratingCount: number };
}

/**
 * Inserts the rating and adds it to the ratee's rating_sum/rating_count in the caller's
 * transaction. A second rating of the same ride by the same rater -> AppError already_rated
 * (ON CONFLICT: concurrent duplicates wait for the first and are refused, never counted twice).
 */
export async function insertRating(
  client: Queryable,
  rating: { rideId: string; raterId: string; rateeId: string; stars: number; comment: string | null },
): Promise<StoredRating> {
  const inserted = await client.query<{ id: string; created_at: Date }>(
    `INSERT INTO ratings (ride_id, rater_id, ratee_id, stars, comment) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT ON CONSTRAINT ratings_one_per_rater DO NOTHING
     RETURNING id, created_at`,
    [rating.rideId, rating.raterId, rating.rateeId, rating.stars, rating.comment],
  );
  const row = inserted.rows[0];
  if (!row) throw new AppError('already_rated', 'you have already rated this ride');
  const ratee = await client.query<{ id: string; name: string | null; rating_sum: number; rating_count: number }>(
    `UPDATE users SET rating_sum = rating_sum + $2, rating_count = rating_count + 1, updated_at = now()
      WHERE id = $1 RETURNING id, name, rating_sum, rating_count`,
    [rating.rateeId, rating.stars],
  );
  const r = ratee.rows[0];
  if (!r) throw new Error(`ratee ${rating.rateeId} vanished`);
  return {
    id: row.id,
    rideId: rating.rideId,
    raterId: rating.raterId,
    rateeId: rating.rateeId,
    stars: rating.stars,
    comment: rating.comment,
    createdAt: row.created_at.toISOString(),
    ratee: { id: r.id, name: r.name, ratingSum: Number(r.rating_sum), ratingCount: Number(r.rating_count) },
  };
}
