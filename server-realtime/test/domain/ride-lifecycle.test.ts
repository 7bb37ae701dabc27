import { describe, expect, it } from 'vitest';
import type { RideStatus } from '@drivrr/shared/protocol';
import {
  applyRideEvent,
  RIDE_EVENT_TYPES,
  RIDE_STATUSES,
  type RideActor,
  type RideEvent,
  type RideEventType,
  type RideLifecycleState,
} from '../../src/domain/ride-lifecycle.js';

const CUSTOMER = 'c0000000-0000-4000-8000-000000000001';
const OTHER_CUSTOMER = 'c0000000-0000-4000-8000-000000000002';
const DRIVER = 'd0000000-0000-4000-8000-000000000001';
const OTHER_DRIVER = 'd0000000-0000-4000-8000-000000000002';
const BID = 'b0000000-0000-4000-8000-000000000001';

/** A ride in each status; rides that never got a driver (requested, expired) have none. */
function rideIn(status: RideStatus): RideLifecycleState {
  const hasDriver = !['requested', 'expired'].includes(status);
  return {
    status,
    customerId: CUSTOMER,
    driverId: hasDriver ? DRIVER : null,
    agreedFare: hasDriver ? 50_000 : null,
    acceptedBidId: hasDriver ? BID : null,
    cancelledBy: status === 'cancelled' ? 'customer' : null,
    cancelReason: status === 'cancelled' ? 'changed plans' : null,
    cancelledFrom: status === 'cancelled' ? 'assigned' : null,
  };
}

function eventOf(type: RideEventType): RideEvent {
  switch (type) {
    case 'assign':
      return { type, driverId: OTHER_DRIVER, bidId: BID, agreedFare: 60_000 };
    case 'cancel':
      return { type, reason: 'plans changed', at: Date.now() };
    default:
      return { type };
  }
}

type Role = 'customer' | 'driver' | 'system';
const actors: Record<Role, RideActor> = {
  customer: { role: 'customer', userId: CUSTOMER },
  driver: { role: 'driver', userId: DRIVER },
  system: { role: 'system' },
};

/**
 * The expected outcome of every (event, role, status), written out by hand: a status means the
 * transition happens, anything else is the refusal code. Rows: event; columns: role; cells: by status.
 * The "driver" is the ride's driver where it has one; in requested/expired rides it is a driver who
 * is not on the ride, so every event from them is forbidden.
 */
const S = (entries: Partial<Record<RideStatus, string>>, otherwise: string) =>
  Object.fromEntries(RIDE_STATUSES.map((status) => [status, entries[status] ?? otherwise])) as Record<RideStatus, string>;
const ALL = (code: string) => S({}, code);

const expected: Record<RideEventType, Record<Role, Record<RideStatus, string>>> = {
  assign: {
    customer: S({ requested: 'assigned' }, 'ride_not_open'),
    driver: ALL('forbidden'),
    system: ALL('forbidden'),
  },
  arrive: {
    customer: ALL('forbidden'),
    driver: S({ assigned: 'arrived', requested: 'forbidden', expired: 'forbidden' }, 'invalid_transition'),
    system: ALL('forbidden'),
  },
  start: {
    customer: ALL('forbidden'),
    driver: S({ arrived: 'in_progress', requested: 'forbidden', expired: 'forbidden' }, 'invalid_transition'),
    system: ALL('forbidden'),
  },
  complete: {
    customer: ALL('forbidden'),
    driver: S({ in_progress: 'completed', requested: 'forbidden', expired: 'forbidden' }, 'invalid_transition'),
    system: ALL('forbidden'),
  },
  cancel: {
    customer: S({ requested: 'cancelled', assigned: 'cancelled', arrived: 'cancelled' }, 'invalid_transition'),
    driver: S({ assigned: 'cancelled', arrived: 'cancelled', requested: 'forbidden', expired: 'forbidden' }, 'invalid_transition'),
    system: S({ requested: 'cancelled', assigned: 'cancelled', arrived: 'cancelled', in_progress: 'cancelled' }, 'invalid_transition'),
  },
  expire: {
    customer: ALL('forbidden'),
    driver: ALL('forbidden'),
    system: S({ requested: 'expired' }, 'invalid_transition'),
  },
};

describe('ride lifecycle: every status x every event x every role', () => {
  const cases = RIDE_STATUSES.flatMap((status) =>
    RIDE_EVENT_TYPES.flatMap((event) => (['customer', 'driver', 'system'] as Role[]).map((role) => ({ status, event, role, outcome: expected[event][role][status] }))),
  );
  it('covers 7 statuses x 6 events x 3 roles', () => {
    expect(cases).toHaveLength(7 * 6 * 3);
  });
  it.each(cases)('$event by $role on a $status ride -> $outcome', ({ status, event, role, outcome }) => {
    const result = applyRideEvent(rideIn(status), eventOf(event), actors[role]);
    if (RIDE_STATUSES.includes(outcome as RideStatus)) {
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.state.status).toBe(outcome);
    } else {
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.code).toBe(outcome);
    }
  });

  it.each(RIDE_STATUSES.flatMap((status) => RIDE_EVENT_TYPES.map((event) => ({ status, event }))))(
    'refuses $event on a $status ride from users who are not its parties',
    ({ status, event }) => {
      for (const stranger of [{ role: 'customer', userId: OTHER_CUSTOMER }, { role: 'driver', userId: OTHER_DRIVER }] as RideActor[]) {
        const result = applyRideEvent(rideIn(status), eventOf(event), stranger);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.code).toBe('forbidden');
      }
    },
  );
});

describe('ride lifecycle: state and effects of each transition', () => {
  it('assigns the bid\'s driver and agreed fare, stops matching, rejects the other bids and makes the driver busy and followed', () => {
    const result = applyRideEvent(rideIn('requested'), { type: 'assign', driverId: OTHER_DRIVER, bidId: BID, agreedFare: 61_000 }, actors.customer);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.state).toMatchObject({ status: 'assigned', driverId: OTHER_DRIVER, agreedFare: 61_000, acceptedBidId: BID });
    expect(result.effects).toEqual([
      { type: 'stop_matching' },
      { type: 'reject_open_bids', exceptBidId: BID, reason: 'taken' },
      { type: 'withdraw_offers', reason: 'taken' },
      { type: 'driver_busy', driverId: OTHER_DRIVER },
      { type: 'follow_driver', customerId: CUSTOMER, driverId: OTHER_DRIVER },
      { type: 'announce_assigned' },
    ]);
  });

  it('settles the agreed fare, frees the driver and ends the follow on completion', () => {
    const result = applyRideEvent(rideIn('in_progress'), { type: 'complete' }, actors.driver);
    expect(result.ok && result.effects).toEqual([
      { type: 'settle', fare: 50_000, driverId: DRIVER },
      { type: 'driver_free', driverId: DRIVER },
      { type: 'unfollow_driver', customerId: CUSTOMER, driverId: DRIVER },
      { type: 'announce_status', status: 'completed' },
    ]);
  });

  it('announces arrival and start as status changes', () => {
    const arrived = applyRideEvent(rideIn('assigned'), { type: 'arrive' }, actors.driver);
    const started = applyRideEvent(rideIn('arrived'), { type: 'start' }, actors.driver);
    expect(arrived.ok && arrived.effects).toEqual([{ type: 'announce_status', status: 'arrived' }]);
    expect(started.ok && started.effects).toEqual([{ type: 'announce_status', status: 'in_progress' }]);
  });

  it('records who cancelled, why and from which stage', () => {
    const result = applyRideEvent(rideIn('arrived'), { type: 'cancel', reason: 'customer not at pickup' }, actors.driver);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.state).toMatchObject({ status: 'cancelled', cancelledBy: 'driver', cancelReason: 'customer not at pickup', cancelledFrom: 'arrived' });
    expect(result.effects).toEqual([
      { type: 'driver_free', driverId: DRIVER },
      { type: 'unfollow_driver', customerId: CUSTOMER, driverId: DRIVER },
      { type: 'announce_cancelled', by: 'driver', reason: 'customer not at pickup', fee: null, feeRule: 'driver_cancelled' },
    ]);
    expect(result.state.cancelCountsAgainstDriver).toBe(true);
  });

  it('withdraws offers and rejects every bid when a request is cancelled', () => {
    const result = applyRideEvent(rideIn('requested'), { type: 'cancel', reason: 'found a bus', at: Date.now() }, actors.customer);
    expect(result.ok && result.effects).toEqual([
      { type: 'stop_matching' },
      { type: 'reject_open_bids', exceptBidId: null, reason: 'cancelled' },
      { type: 'withdraw_offers', reason: 'cancelled' },
      { type: 'announce_cancelled', by: 'customer', reason: 'found a bus', fee: null, feeRule: 'not_assigned' },
    ]);
  });

  it('withdraws offers and rejects every bid when a request expires', () => {
    const result = applyRideEvent(rideIn('requested'), { type: 'expire' }, actors.system);
    expect(result.ok && result.effects).toEqual([
      { type: 'stop_matching' },
      { type: 'reject_open_bids', exceptBidId: null, reason: 'expired' },
      { type: 'withdraw_offers', reason: 'expired' },
      { type: 'announce_expired' },
    ]);
  });

  it('refuses a cancel meant for a status the ride has left (a cancel racing an accept)', () => {
    const result = applyRideEvent(rideIn('assigned'), { type: 'cancel', reason: 'x', expectedStatus: 'requested', at: Date.now() }, actors.customer);
    expect(!result.ok && result).toMatchObject({ code: 'invalid_transition', details: { status: 'assigned', expectedStatus: 'requested' } });
    const still = applyRideEvent(rideIn('requested'), { type: 'cancel', reason: 'x', expectedStatus: 'requested', at: Date.now() }, actors.customer);
    expect(still.ok && still.state.status).toBe('cancelled');
  });

  it('does not change the state it was given', () => {
    const before = rideIn('requested');
    const copy = structuredClone(before);
    applyRideEvent(before, { type: 'cancel', reason: 'x', at: Date.now() }, actors.customer);
    expect(before).toEqual(copy);
  });
});

describe('ride lifecycle: cancellation fees decided by the cancel transition', () => {
  const ASSIGNED_AT = Date.parse('2026-11-26T10:00:00.000Z');
  const terms = { freeS: 120, feePct: 10, feeMin: 5_000, noShowGraceS: 300, waitFreeS: 300, etaS: 240 };
  const withTerms = (status: RideStatus, arrivedAfterS: number | null): RideLifecycleState => ({
    ...rideIn(status),
    currency: 'PKR',
    assignedAt: ASSIGNED_AT,
    arrivedAt: arrivedAfterS === null ? null : ASSIGNED_AT + arrivedAfterS * 1000,
    cancelTerms: terms,
  });

  it('keeps the terms it was assigned under', () => {
    const result = applyRideEvent(rideIn('requested'), { type: 'assign', driverId: DRIVER, bidId: BID, agreedFare: 50_000, terms }, actors.customer);
    expect(result.ok && result.state.cancelTerms).toEqual(terms);
  });

  it('charges the customer who cancels after the driver arrived, and tells the driver the fee', () => {
    // Arrange
    const ride = withTerms('arrived', 60);

    // Act
    const result = applyRideEvent(ride, { type: 'cancel', reason: 'changed plans', at: ASSIGNED_AT + 61_000 }, actors.customer);

    // Assert
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const fee = { amount: 5_000, currency: 'PKR', payer: 'customer' };
    expect(result.state).toMatchObject({ status: 'cancelled', cancelFee: 5_000, cancelCountsAgainstDriver: false });
    expect(result.effects).toEqual([
      { type: 'charge_cancel_fee', fee, driverId: DRIVER },
      { type: 'driver_free', driverId: DRIVER },
      { type: 'unfollow_driver', customerId: CUSTOMER, driverId: DRIVER },
      { type: 'announce_cancelled', by: 'customer', reason: 'changed plans', fee, feeRule: 'after_arrival' },
    ]);
  });

  it('lets the customer cancel free inside the window: no charge effect', () => {
    const result = applyRideEvent(withTerms('assigned', null), { type: 'cancel', reason: 'x', at: ASSIGNED_AT + 120_000 }, actors.customer);
    expect(result.ok && result.effects.map((effect) => effect.type)).toEqual(['driver_free', 'unfollow_driver', 'announce_cancelled']);
    expect(result.ok && result.state.cancelFee).toBeNull();
  });

  it('refuses a no-show cancel before the driver has waited, and changes nothing', () => {
    const result = applyRideEvent(withTerms('arrived', 60), { type: 'cancel', reason: 'customer_no_show', at: ASSIGNED_AT + 359_999 }, actors.driver);
    expect(result).toMatchObject({ ok: false, code: 'no_show_too_early' });
  });

  it('charges the customer on a no-show cancel after the wait, not counted against the driver', () => {
    const result = applyRideEvent(withTerms('arrived', 60), { type: 'cancel', reason: 'customer_no_show', at: ASSIGNED_AT + 360_000 }, actors.driver);
    expect(result.ok && result.state).toMatchObject({ cancelFee: 5_000, cancelCountsAgainstDriver: false });
    expect(result.ok && result.effects[0]).toEqual({ type: 'charge_cancel_fee', fee: { amount: 5_000, currency: 'PKR', payer: 'customer' }, driverId: DRIVER });
  });

  it('cancels a ride assigned before fees existed (no terms) for free', () => {
    const result = applyRideEvent({ ...rideIn('arrived'), assignedAt: ASSIGNED_AT, arrivedAt: ASSIGNED_AT }, { type: 'cancel', reason: 'x', at: ASSIGNED_AT + 3_600_000 }, actors.customer);
    expect(result.ok && result.state.cancelFee).toBeNull();
  });
});
