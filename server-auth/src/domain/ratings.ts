/** Rating rules: pure, no I/O. Both parties of a completed ride may rate the other once. */
import { AppError } from '@drivrr/shared';
import type { RideStatus } from '@drivrr/shared/protocol';
import { partySideOf, type Caller, type RideParties } from './rides.js';

export interface RatableRide extends RideParties {
  status: RideStatus;
}

export interface RatingDecision {
  rateeId: string;
  raterSide: 'customer' | 'driver';
}

/**
 * Decides who the caller rates on this ride, or throws:
 * not a party -> not_found (existence is not leaked), ride not completed -> ride_not_completed.
 * (A second rating by the same rater is refused by the database's UNIQUE (ride_id, rater_id):
 * already_rated, race-free.)
 */
export function decideRating(ride: RatableRide, caller: Caller): RatingDecision {
  const side = partySideOf(ride, caller);
  if (side === undefined) throw new AppError('not_found', 'no such ride');
  if (ride.status !== 'completed' || ride.driverId === null) {
    throw new AppError('ride_not_completed', 'only a completed ride can be rated', { details: { status: ride.status } });
  }
  return side === 'customer' ? { rateeId: ride.driverId, raterSide: 'customer' } : { rateeId: ride.customerId, raterSide: 'driver' };
}
