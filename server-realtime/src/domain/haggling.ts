/**
 * Haggling, inDrive style, as pure functions: a driver places a bid on a requested ride at the
 * asked fare (accept as offered) or above it (a counter-offer, at most maxCounterMultiplier x the
 * ask); the customer may raise the ask (only upward) and accepts one bid. A bid lives bidTtlMs.
 *
 *   bid:  open -> accepted  (customer of the ride, bid unexpired, ride requested)
 *         open -> rejected  (system: another bid won, the ride was cancelled or expired)
 *         open -> expired   (system, once its expiry has passed)
 *         open -> withdrawn (its driver, or the system when the driver goes offline or takes another ride)
 *
 * One open bid per driver per ride: a repeat at the same fare answers with the existing bid
 * (a re-sent message), a different fare is refused with `already_bid` until that bid is gone.
 *
 * Only a driver who holds a current offer of the ride may bid on it (`not_offered` otherwise):
 *
 *   offer: offered -> bid       (the driver bid)
 *          bid     -> offered   (their bid expired: they hold the offer again and may bid anew)
 *          offered|bid -> withdrawn (the ride was taken or cancelled, the driver went offline or took another ride)
 *          offered|bid -> expired   (the request expired)
 *
 * A raise of the ask re-sends the offer to `offered` holders; a bidder keeps holding it (`bid`)
 * and may bid again once their open bid is gone.
 */
import type { BidStatus, RideStatus } from '@drivrr/shared/protocol';
import { maxCounterFare } from './pricing.js';
import { accept, refuse, type DomainResult } from './result.js';
import type { RideActor } from './ride-lifecycle.js';

/** A driver's offer of a ride, as stored. */
export type OfferStatus = 'offered' | 'withdrawn' | 'expired' | 'bid';
/** Statuses in which a driver holds a current offer of the ride. */
export const CURRENT_OFFER_STATUSES: readonly OfferStatus[] = ['offered', 'bid'];

/** Does a driver whose offer of a ride is in this status (null: never offered) hold a current offer? */
export function holdsCurrentOffer(offer: OfferStatus | null): boolean {
  return offer !== null && CURRENT_OFFER_STATUSES.includes(offer);
}

export interface BidState {
  id: string;
  rideId: string;
  driverId: string;
  fare: number;
  status: BidStatus;
  /** ms since epoch */
  expiresAt: number;
}

export type BidEvent = { type: 'accept' } | { type: 'reject' } | { type: 'expire' } | { type: 'withdraw' };
export type BidEventType = BidEvent['type'];
export const BID_EVENT_TYPES: readonly BidEventType[] = ['accept', 'reject', 'expire', 'withdraw'];
export const BID_STATUSES: readonly BidStatus[] = ['open', 'accepted', 'rejected', 'expired', 'withdrawn'];

export type BidEffect =
  | { type: 'announce_bid_expired' }
  | { type: 'announce_bid_rejected' }
  | { type: 'announce_bid_withdrawn' };

export interface BidContext {
  /** The customer of the bid's ride (only they may accept). */
  rideCustomerId: string;
  now: number;
}

const BID_TARGET: Record<BidEventType, BidStatus> = { accept: 'accepted', reject: 'rejected', expire: 'expired', withdraw: 'withdrawn' };

export const BID_TRANSITIONS: readonly { event: BidEventType; from: BidStatus; to: BidStatus; by: readonly ('customer' | 'driver' | 'system')[] }[] = [
  { event: 'accept', from: 'open', to: 'accepted', by: ['customer'] },
  { event: 'reject', from: 'open', to: 'rejected', by: ['system'] },
  { event: 'expire', from: 'open', to: 'expired', by: ['system'] },
  { event: 'withdraw', from: 'open', to: 'withdrawn', by: ['driver', 'system'] },
];

/** Applies one event to a bid, checking who may make it and when. */
export function applyBidEvent(bid: BidState, event: BidEvent, actor: RideActor, ctx: BidContext): DomainResult<BidState, BidEffect> {
  const rule = BID_TRANSITIONS.find((candidate) => candidate.event === event.type);
  if (!rule || !rule.by.includes(actor.role)) {
    return refuse('forbidden', `a ${actor.role} cannot ${event.type} a bid`, { event: event.type, role: actor.role });
  }
  if (actor.role === 'customer' && actor.userId !== ctx.rideCustomerId) return refuse('forbidden', 'this is not your ride');
  if (actor.role === 'driver' && actor.userId !== bid.driverId) return refuse('forbidden', 'this is not your bid');
  if (bid.status !== 'open') {
    if (event.type === 'accept' && bid.status === 'expired') return refuse('bid_expired', 'the bid has expired', { bidId: bid.id });
    return refuse('invalid_transition', `the bid is ${bid.status}`, { bidId: bid.id, status: bid.status, event: event.type });
  }
  const past = ctx.now >= bid.expiresAt;
  if (event.type === 'accept' && past) return refuse('bid_expired', 'the bid has expired', { bidId: bid.id });
  if (event.type === 'expire' && !past) {
    return refuse('invalid_transition', 'the bid has not expired yet', { bidId: bid.id, expiresAt: new Date(bid.expiresAt).toISOString() });
  }
  const next: BidState = { ...bid, status: BID_TARGET[event.type] };
  const effects: BidEffect[] =
    event.type === 'expire'
      ? [{ type: 'announce_bid_expired' }]
      : event.type === 'reject'
        ? [{ type: 'announce_bid_rejected' }]
        : event.type === 'withdraw'
          ? [{ type: 'announce_bid_withdrawn' }]
          : [];
  return accept(next, effects);
}

// ---------------------------------------------------------------------------------------------
// Placing a bid
// ---------------------------------------------------------------------------------------------

export interface PlaceBidInput {
  ride: { id: string; status: RideStatus; fare: number; customerId: string };
  driverId: string;
  fare: number;
  /** The driver is on another ride (DB-checked). */
  driverBusy: boolean;
  /** The driver's offer of this ride as stored (null: never offered). */
  offer: OfferStatus | null;
  /** The driver's open bid on this ride, if any. */
  openBid: Pick<BidState, 'id' | 'fare'> | null;
  maxCounterMultiplier: number;
  bidTtlMs: number;
  now: number;
}

export type PlaceBidDecision =
  | { kind: 'new'; offer: 'as_offered' | 'counter'; fare: number; expiresAt: number }
  /** The same bid again (a re-sent message): answer with the existing bid, store nothing. */
  | { kind: 'existing'; bidId: string };

export function decidePlaceBid(input: PlaceBidInput): DomainResult<PlaceBidDecision, never> {
  const { ride, fare } = input;
  if (ride.customerId === input.driverId) return refuse('forbidden', 'you cannot bid on your own request');
  if (ride.status !== 'requested') return refuse('ride_not_open', `the ride is ${ride.status}, no longer open for bids`, { status: ride.status });
  if (input.driverBusy) return refuse('driver_busy', 'you are on another ride');
  if (!holdsCurrentOffer(input.offer)) {
    return refuse('not_offered', 'this ride was not offered to you, or its offer was withdrawn', { offer: input.offer ?? 'none' });
  }
  if (input.openBid) {
    if (input.openBid.fare === fare) return accept({ kind: 'existing', bidId: input.openBid.id });
    return refuse('already_bid', 'you already have an open bid on this ride; wait for it to expire', { bidId: input.openBid.id, fare: input.openBid.fare });
  }
  if (fare < ride.fare) {
    return refuse('fare_below_minimum', `a bid cannot be below the asked fare of ${ride.fare}`, { minimumFare: ride.fare, askedFare: ride.fare });
  }
  const maximum = maxCounterFare(ride.fare, input.maxCounterMultiplier);
  if (fare > maximum) {
    return refuse('fare_above_maximum', `a counter-offer cannot exceed ${maximum}`, { maximumFare: maximum, askedFare: ride.fare });
  }
  return accept({ kind: 'new', offer: fare === ride.fare ? 'as_offered' : 'counter', fare, expiresAt: input.now + input.bidTtlMs });
}

// ---------------------------------------------------------------------------------------------
// Raising the ask
// ---------------------------------------------------------------------------------------------

export interface RaiseFareInput {
  ride: { status: RideStatus; fare: number; customerId: string };
  actor: RideActor;
  fare: number;
  /** Upper bound of an ask, e.g. maxCounterMultiplier x the suggested fare. */
  maximumFare: number;
}

export type RaiseFareEffect =
  /** Re-send `ride.requested` (with the new fare) to offered drivers who have not bid. */
  | { type: 'reoffer_non_bidders' }
  /** Widen the search one step now. */
  | { type: 'widen_search' };

export function decideRaiseFare(input: RaiseFareInput): DomainResult<{ fare: number; previousFare: number }, RaiseFareEffect> {
  const { ride, actor } = input;
  if (actor.role !== 'customer') return refuse('forbidden', 'only the customer can raise the fare');
  if (actor.userId !== ride.customerId) return refuse('forbidden', 'this is not your ride');
  if (ride.status !== 'requested') return refuse('ride_not_open', `the ride is ${ride.status}, no longer open for bids`, { status: ride.status });
  if (input.fare <= ride.fare) {
    return refuse('validation_failed', `the fare can only go up (now ${ride.fare})`, { currentFare: ride.fare });
  }
  if (input.fare > input.maximumFare) {
    return refuse('fare_above_maximum', `the fare cannot exceed ${input.maximumFare}`, { maximumFare: input.maximumFare });
  }
  return accept({ fare: input.fare, previousFare: ride.fare }, [{ type: 'reoffer_non_bidders' }, { type: 'widen_search' }]);
}

// ---------------------------------------------------------------------------------------------
// Accepting a bid (the bid's half; the ride's half is applyRideEvent 'assign')
// ---------------------------------------------------------------------------------------------

export interface AcceptBidInput {
  ride: { id: string; status: RideStatus; customerId: string; acceptedBidId: string | null };
  bid: BidState | undefined;
  actor: RideActor;
  now: number;
}

export type AcceptBidDecision = { kind: 'accept'; bid: BidState } | { kind: 'already_accepted' };

/**
 * Decides a customer's accept before the ride transition: a repeat of the accept that already
 * won answers `already_accepted` (repeated taps are idempotent); otherwise the bid must belong to
 * the ride and be open and unexpired.
 */
export function decideAcceptBid(input: AcceptBidInput): DomainResult<AcceptBidDecision, never> {
  const { ride, bid, actor } = input;
  if (actor.role !== 'customer' || actor.userId !== ride.customerId) return refuse('forbidden', 'this is not your ride');
  if (ride.acceptedBidId !== null && bid !== undefined && ride.acceptedBidId === bid.id) return accept({ kind: 'already_accepted' });
  if (ride.status !== 'requested') return refuse('ride_not_open', `the ride is ${ride.status}, no longer open for bids`, { status: ride.status });
  if (!bid || bid.rideId !== ride.id) return refuse('bid_not_found', 'no such bid on this ride');
  const checked = applyBidEvent(bid, { type: 'accept' }, actor, { rideCustomerId: ride.customerId, now: input.now });
  if (!checked.ok) return checked;
  return accept({ kind: 'accept', bid: checked.state });
}
