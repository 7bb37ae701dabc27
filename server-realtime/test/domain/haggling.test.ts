import { describe, expect, it } from 'vitest';
import type { BidStatus, RideStatus } from '@drivrr/shared/protocol';
import {
  applyBidEvent,
  BID_EVENT_TYPES,
  BID_STATUSES,
  decideAcceptBid,
  decidePlaceBid,
  decideRaiseFare,
  holdsCurrentOffer,
  type BidEventType,
  type OfferStatus,
  type BidState,
  type PlaceBidInput,
} from '../../src/domain/haggling.js';
import { RIDE_STATUSES, type RideActor } from '../../src/domain/ride-lifecycle.js';

const CUSTOMER = 'c0000000-0000-4000-8000-000000000001';
const DRIVER = 'd0000000-0000-4000-8000-000000000001';
const OTHER_DRIVER = 'd0000000-0000-4000-8000-000000000002';
const RIDE = 'a0000000-0000-4000-8000-000000000001';
const NOW = 1_800_000_000_000;

const customer: RideActor = { role: 'customer', userId: CUSTOMER };
const driver: RideActor = { role: 'driver', userId: DRIVER };
const system: RideActor = { role: 'system' };

function bidIn(status: BidStatus, expiresAt = NOW + 10_000): BidState {
  return { id: 'b0000000-0000-4000-8000-000000000001', rideId: RIDE, driverId: DRIVER, fare: 50_000, status, expiresAt };
}

describe('bid machine: every status x every event x every role', () => {
  type Role = 'customer' | 'driver' | 'system';
  const actors: Record<Role, RideActor> = { customer, driver, system };
  // Hand-written: who may make each event on an open, unexpired bid.
  const onOpen: Record<BidEventType, Record<Role, string>> = {
    accept: { customer: 'accepted', driver: 'forbidden', system: 'forbidden' },
    reject: { customer: 'forbidden', driver: 'forbidden', system: 'rejected' },
    // an unexpired bid cannot be expired
    expire: { customer: 'forbidden', driver: 'forbidden', system: 'invalid_transition' },
    withdraw: { customer: 'forbidden', driver: 'withdrawn', system: 'withdrawn' },
  };
  const cases = BID_STATUSES.flatMap((status) =>
    BID_EVENT_TYPES.flatMap((event) =>
      (['customer', 'driver', 'system'] as Role[]).map((role) => {
        const allowed = onOpen[event][role] !== 'forbidden';
        let outcome: string;
        if (!allowed) outcome = 'forbidden';
        else if (status === 'open') outcome = onOpen[event][role];
        else if (event === 'accept' && status === 'expired') outcome = 'bid_expired';
        else outcome = 'invalid_transition';
        return { status, event, role, outcome };
      }),
    ),
  );
  it('covers 5 statuses x 4 events x 3 roles', () => expect(cases).toHaveLength(60));
  it.each(cases)('$event by $role on a $status bid -> $outcome', ({ status, event, role, outcome }) => {
    const result = applyBidEvent(bidIn(status), { type: event }, actors[role], { rideCustomerId: CUSTOMER, now: NOW });
    if (BID_STATUSES.includes(outcome as BidStatus)) {
      expect(result.ok && result.state.status).toBe(outcome);
    } else {
      expect(!result.ok && result.code).toBe(outcome);
    }
  });

  it('expires an open bid once its time has passed, and refuses to accept it', () => {
    const past = bidIn('open', NOW);
    const expired = applyBidEvent(past, { type: 'expire' }, system, { rideCustomerId: CUSTOMER, now: NOW });
    expect(expired.ok && expired.state.status).toBe('expired');
    expect(expired.ok && expired.effects).toEqual([{ type: 'announce_bid_expired' }]);
    const accepted = applyBidEvent(past, { type: 'accept' }, customer, { rideCustomerId: CUSTOMER, now: NOW });
    expect(!accepted.ok && accepted.code).toBe('bid_expired');
  });

  it('refuses a withdrawal by a driver who does not own the bid, and an accept by another customer', () => {
    const withdraw = applyBidEvent(bidIn('open'), { type: 'withdraw' }, { role: 'driver', userId: OTHER_DRIVER }, { rideCustomerId: CUSTOMER, now: NOW });
    expect(!withdraw.ok && withdraw.code).toBe('forbidden');
    const accept = applyBidEvent(bidIn('open'), { type: 'accept' }, { role: 'customer', userId: OTHER_DRIVER }, { rideCustomerId: CUSTOMER, now: NOW });
    expect(!accept.ok && accept.code).toBe('forbidden');
  });
});

describe('placing a bid', () => {
  const base: PlaceBidInput = {
    ride: { id: RIDE, status: 'requested', fare: 40_000, customerId: CUSTOMER },
    driverId: DRIVER,
    fare: 40_000,
    driverBusy: false,
    offer: 'offered',
    openBid: null,
    maxCounterMultiplier: 3,
    bidTtlMs: 30_000,
    now: NOW,
  };

  it('takes a bid at the asked fare as accepting the offer, expiring after the bid TTL', () => {
    const result = decidePlaceBid(base);
    expect(result.ok && result.state).toEqual({ kind: 'new', offer: 'as_offered', fare: 40_000, expiresAt: NOW + 30_000 });
  });

  it('takes a higher bid as a counter-offer, up to the multiplier x the ask', () => {
    expect(decidePlaceBid({ ...base, fare: 45_000 })).toMatchObject({ ok: true, state: { offer: 'counter', fare: 45_000 } });
    expect(decidePlaceBid({ ...base, fare: 120_000 })).toMatchObject({ ok: true, state: { offer: 'counter', fare: 120_000 } });
    expect(decidePlaceBid({ ...base, fare: 120_001 })).toMatchObject({ ok: false, code: 'fare_above_maximum', details: { maximumFare: 120_000 } });
  });

  it('refuses a bid below the ask', () => {
    expect(decidePlaceBid({ ...base, fare: 39_999 })).toMatchObject({ ok: false, code: 'fare_below_minimum', details: { minimumFare: 40_000 } });
  });

  it.each(RIDE_STATUSES.filter((s) => s !== 'requested'))('refuses a bid on a %s ride with ride_not_open', (status: RideStatus) => {
    expect(decidePlaceBid({ ...base, ride: { ...base.ride, status } })).toMatchObject({ ok: false, code: 'ride_not_open' });
  });

  it('refuses a driver who is on another ride', () => {
    expect(decidePlaceBid({ ...base, driverBusy: true })).toMatchObject({ ok: false, code: 'driver_busy' });
  });

  it('answers a repeated bid at the same fare with the existing bid, and refuses a different one while it is open', () => {
    const openBid = { id: 'b0000000-0000-4000-8000-000000000009', fare: 40_000 };
    expect(decidePlaceBid({ ...base, offer: 'bid', openBid })).toEqual({ ok: true, state: { kind: 'existing', bidId: openBid.id }, effects: [] });
    expect(decidePlaceBid({ ...base, offer: 'bid', openBid, fare: 41_000 })).toMatchObject({ ok: false, code: 'already_bid', details: { bidId: openBid.id } });
  });

  it('refuses a driver who was never offered the ride with not_offered', () => {
    expect(decidePlaceBid({ ...base, offer: null })).toMatchObject({ ok: false, code: 'not_offered', details: { offer: 'none' } });
  });

  it.each(['withdrawn', 'expired'] as const)('refuses a driver whose offer was %s with not_offered', (offer) => {
    expect(decidePlaceBid({ ...base, offer })).toMatchObject({ ok: false, code: 'not_offered', details: { offer } });
  });

  it('takes a bid from a driver who holds the offer as a bid (their earlier bid is gone: expired, or a re-bid after a raise)', () => {
    expect(decidePlaceBid({ ...base, offer: 'bid', fare: 45_000 })).toMatchObject({ ok: true, state: { kind: 'new', offer: 'counter', fare: 45_000 } });
  });

  it('holds a current offer only while it is offered or bid on', () => {
    expect([null, 'offered', 'bid', 'withdrawn', 'expired'].map((status) => holdsCurrentOffer(status as OfferStatus | null))).toEqual([false, true, true, false, false]);
  });

  it('answers a bid on a ride that is not open, or from a busy driver, with that reason before not_offered (their offers ended with it)', () => {
    expect(decidePlaceBid({ ...base, offer: 'expired', ride: { ...base.ride, status: 'expired' } })).toMatchObject({ ok: false, code: 'ride_not_open' });
    expect(decidePlaceBid({ ...base, offer: 'withdrawn', driverBusy: true })).toMatchObject({ ok: false, code: 'driver_busy' });
  });
});

describe('raising the fare', () => {
  const ride = { status: 'requested' as RideStatus, fare: 40_000, customerId: CUSTOMER };
  it('raises the ask, re-offers it to drivers who did not bid and widens the search', () => {
    const result = decideRaiseFare({ ride, actor: customer, fare: 45_000, maximumFare: 200_000 });
    expect(result).toEqual({ ok: true, state: { fare: 45_000, previousFare: 40_000 }, effects: [{ type: 'reoffer_non_bidders' }, { type: 'widen_search' }] });
  });
  it('only goes up', () => {
    expect(decideRaiseFare({ ride, actor: customer, fare: 40_000, maximumFare: 200_000 })).toMatchObject({ ok: false, code: 'validation_failed' });
    expect(decideRaiseFare({ ride, actor: customer, fare: 30_000, maximumFare: 200_000 })).toMatchObject({ ok: false, code: 'validation_failed' });
  });
  it('is bounded', () => {
    expect(decideRaiseFare({ ride, actor: customer, fare: 200_001, maximumFare: 200_000 })).toMatchObject({ ok: false, code: 'fare_above_maximum' });
  });
  it('is the customer\'s alone, and only while the ride is requested', () => {
    expect(decideRaiseFare({ ride, actor: driver, fare: 45_000, maximumFare: 200_000 })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(decideRaiseFare({ ride, actor: { role: 'customer', userId: OTHER_DRIVER }, fare: 45_000, maximumFare: 200_000 })).toMatchObject({ ok: false, code: 'forbidden' });
    expect(decideRaiseFare({ ride: { ...ride, status: 'assigned' }, actor: customer, fare: 45_000, maximumFare: 200_000 })).toMatchObject({ ok: false, code: 'ride_not_open' });
  });
});

describe('accepting a bid', () => {
  const ride = { id: RIDE, status: 'requested' as RideStatus, customerId: CUSTOMER, acceptedBidId: null };
  it('accepts an open, unexpired bid of the ride', () => {
    expect(decideAcceptBid({ ride, bid: bidIn('open'), actor: customer, now: NOW })).toMatchObject({ ok: true, state: { kind: 'accept', bid: { status: 'accepted' } } });
  });
  it('answers a repeat of the winning accept as already accepted (repeated taps)', () => {
    const bid = bidIn('accepted');
    expect(decideAcceptBid({ ride: { ...ride, status: 'assigned', acceptedBidId: bid.id }, bid, actor: customer, now: NOW })).toMatchObject({ ok: true, state: { kind: 'already_accepted' } });
  });
  it('refuses another bid once one was accepted, with ride_not_open', () => {
    expect(decideAcceptBid({ ride: { ...ride, status: 'assigned', acceptedBidId: 'b0000000-0000-4000-8000-00000000000f' }, bid: bidIn('rejected'), actor: customer, now: NOW })).toMatchObject({ ok: false, code: 'ride_not_open' });
  });
  it('refuses an expired bid, a bid of another ride, a missing bid and another customer', () => {
    expect(decideAcceptBid({ ride, bid: bidIn('open', NOW - 1), actor: customer, now: NOW })).toMatchObject({ ok: false, code: 'bid_expired' });
    expect(decideAcceptBid({ ride, bid: { ...bidIn('open'), rideId: 'a0000000-0000-4000-8000-000000000002' }, actor: customer, now: NOW })).toMatchObject({ ok: false, code: 'bid_not_found' });
    expect(decideAcceptBid({ ride, bid: undefined, actor: customer, now: NOW })).toMatchObject({ ok: false, code: 'bid_not_found' });
    expect(decideAcceptBid({ ride, bid: bidIn('open'), actor: { role: 'customer', userId: OTHER_DRIVER }, now: NOW })).toMatchObject({ ok: false, code: 'forbidden' });
  });
  it('refuses a withdrawn bid', () => {
    expect(decideAcceptBid({ ride, bid: bidIn('withdrawn'), actor: customer, now: NOW })).toMatchObject({ ok: false, code: 'invalid_transition' });
  });
});
