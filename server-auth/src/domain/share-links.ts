/** Who may share a trip, and for how long: pure rules, no I/O. */
import { AppError } from '@drivrr/shared';
import { ACTIVE_RIDE_STATUSES, type RideStatus } from '@drivrr/shared/protocol';
import { partySideOf, type Caller, type RideParties } from './rides.js';

/**
 * A link lives at most this long even when the ride does not end (the ride ending closes it
 * earlier: the realtime service answers 410 link_expired from then on).
 */
export const SHARE_LINK_MAX_AGE_S = 24 * 3600;

export interface ShareableRide extends RideParties {
  status: RideStatus;
}

/**
 * Decides whether the caller may create a share link for this ride, and until when it lives;
 * throws otherwise: not a party -> not_found (existence is not leaked), the ride's driver ->
 * forbidden (only the customer shares their trip), a finished ride -> invalid_transition.
 */
export function decideShareLink(ride: ShareableRide, caller: Caller, now: Date): { expiresAt: Date } {
  const side = partySideOf(ride, caller);
  if (side === undefined) throw new AppError('not_found', 'no such ride');
  if (side !== 'customer') throw new AppError('forbidden', "only the ride's customer can share the trip");
  if (!(ACTIVE_RIDE_STATUSES as readonly RideStatus[]).includes(ride.status)) {
    throw new AppError('invalid_transition', 'a finished ride cannot be shared', { details: { status: ride.status } });
  }
  return { expiresAt: new Date(now.getTime() + SHARE_LINK_MAX_AGE_S * 1000) };
}
