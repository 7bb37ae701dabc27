import { describe, expect, it } from 'vitest';
import {
  cancellationFeeAmount,
  customerCancelQuote,
  decideCancellation,
  CUSTOMER_NO_SHOW,
  type CancellationFacts,
  type CancellationPolicy,
} from '@drivrr/shared/cancellation-fees';
import type { CancelledBy, RideStatus } from '@drivrr/shared/protocol';

const POLICY: CancellationPolicy = { freeS: 120, feePct: 10, feeMin: 5_000, noShowGraceS: 300, waitFreeS: 300 };
const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const S = 1000;
const ETA_S = 240;
/** ETA + grace after assignment: from here a driver not yet arrived is late. */
const LATE = (ETA_S + POLICY.noShowGraceS) * S;
const FARE = 80_000;
const FEE = { amount: 8_000, currency: 'PKR', payer: 'customer' as const };

function ride(status: RideStatus, arrivedAfterMs: number | null = null): CancellationFacts {
  const assigned = status !== 'requested';
  return {
    status,
    assignedAt: assigned ? T0 : null,
    arrivedAt: arrivedAfterMs === null ? null : T0 + arrivedAfterMs,
    etaS: assigned ? ETA_S : null,
    fare: assigned ? FARE : null,
    currency: 'PKR',
  };
}

type Expected = { rule: string; fee: typeof FEE | null; counts: boolean } | { refused: string };

interface Row {
  name: string;
  facts: CancellationFacts;
  by: CancelledBy;
  reason?: string;
  /** ms after assignment */
  at: number;
  expect: Expected;
}

const free = (rule: string, counts = false): Expected => ({ rule, fee: null, counts });
const fee = (rule: string): Expected => ({ rule, fee: FEE, counts: false });

const rows: Row[] = [
  // The customer, driver on the way
  { name: 'customer cancels a request that has no driver', facts: ride('requested'), by: 'customer', at: 10 * 60 * S, expect: free('not_assigned') },
  { name: 'customer cancels right at assignment', facts: ride('assigned'), by: 'customer', at: 0, expect: free('free_window') },
  { name: 'customer cancels exactly at the end of the free window', facts: ride('assigned'), by: 'customer', at: 120 * S, expect: free('free_window') },
  { name: 'customer cancels 1 ms after the free window', facts: ride('assigned'), by: 'customer', at: 120 * S + 1, expect: fee('after_free_window') },
  { name: 'customer cancels 1 ms before the driver is late', facts: ride('assigned'), by: 'customer', at: LATE - 1, expect: fee('after_free_window') },
  { name: 'customer cancels exactly when the driver becomes late', facts: ride('assigned'), by: 'customer', at: LATE, expect: free('driver_late') },
  { name: 'customer cancels long after the driver is late', facts: ride('assigned'), by: 'customer', at: LATE + 60 * 60 * S, expect: free('driver_late') },
  // The customer, driver at the pickup
  { name: 'customer cancels after the driver arrived, inside the free window', facts: ride('arrived', 60 * S), by: 'customer', at: 61 * S, expect: fee('after_arrival') },
  { name: 'customer cancels after the driver arrived 1 ms before being late', facts: ride('arrived', LATE - 1), by: 'customer', at: LATE + 10 * S, expect: fee('after_arrival') },
  { name: 'customer cancels after the driver arrived exactly when late', facts: ride('arrived', LATE), by: 'customer', at: LATE + 10 * S, expect: free('driver_late') },
  { name: 'customer cancels after the driver arrived late', facts: ride('arrived', LATE + 30 * S), by: 'customer', at: LATE + 31 * S, expect: free('driver_late') },
  { name: 'customer may not claim a no-show', facts: ride('arrived', 60 * S), by: 'customer', reason: CUSTOMER_NO_SHOW, at: 61 * S, expect: { refused: 'validation_failed' } },
  // The driver
  { name: 'driver cancels on the way: free, counted', facts: ride('assigned'), by: 'driver', at: 10 * S, expect: free('driver_cancelled', true) },
  { name: 'driver cancels at the pickup for another reason: counted', facts: ride('arrived', 60 * S), by: 'driver', reason: 'car trouble', at: 600 * S, expect: free('driver_cancelled', true) },
  { name: 'driver claims a no-show before arriving', facts: ride('assigned'), by: 'driver', reason: CUSTOMER_NO_SHOW, at: 600 * S, expect: { refused: 'no_show_too_early' } },
  { name: 'driver claims a no-show 1 ms before the wait is over', facts: ride('arrived', 60 * S), by: 'driver', reason: CUSTOMER_NO_SHOW, at: 360 * S - 1, expect: { refused: 'no_show_too_early' } },
  { name: 'driver claims a no-show exactly when the wait is over', facts: ride('arrived', 60 * S), by: 'driver', reason: CUSTOMER_NO_SHOW, at: 360 * S, expect: fee('customer_no_show') },
  { name: 'driver who arrived late claims a no-show after waiting', facts: ride('arrived', LATE + S), by: 'driver', reason: CUSTOMER_NO_SHOW, at: LATE + S + 300 * S, expect: fee('customer_no_show') },
  // The system
  { name: 'system cancels a trip under way: free, not counted', facts: ride('in_progress', 60 * S), by: 'system', at: 900 * S, expect: free('system') },
  { name: 'system cancels at the pickup: free, not counted', facts: ride('arrived', 60 * S), by: 'system', reason: CUSTOMER_NO_SHOW, at: 900 * S, expect: free('system') },
];

describe('decideCancellation: who pays what, when', () => {
  it.each(rows)('$name', (row) => {
    // Act
    const decision = decideCancellation(row.facts, { by: row.by, reason: row.reason ?? 'changed plans', now: T0 + row.at }, POLICY);

    // Assert
    if ('refused' in row.expect) {
      expect(decision).toMatchObject({ ok: false, code: row.expect.refused });
    } else {
      expect(decision).toEqual({ ok: true, rule: row.expect.rule, fee: row.expect.fee, countsAgainstDriver: row.expect.counts });
    }
  });

  it('tells a driver who claims a no-show too early when he may', () => {
    const decision = decideCancellation(ride('arrived', 60 * S), { by: 'driver', reason: CUSTOMER_NO_SHOW, now: T0 + 100 * S }, POLICY);

    expect(decision).toMatchObject({ ok: false, details: { waitFreeS: 300, allowedFrom: new Date(T0 + 360 * S).toISOString() } });
  });

  it('charges nothing when the policy makes the fee 0', () => {
    const decision = decideCancellation(ride('arrived', 60 * S), { by: 'customer', reason: 'x', now: T0 + 61 * S }, { ...POLICY, feePct: 0, feeMin: 0 });

    expect(decision).toEqual({ ok: true, rule: 'after_arrival', fee: null, countsAgainstDriver: false });
  });
});

describe('cancellationFeeAmount: a percentage of the fare, at least the minimum, at most the fare', () => {
  it.each([
    { fare: 80_000, pct: 10, min: 5_000, fee: 8_000, why: 'the percentage above the minimum' },
    { fare: 50_000, pct: 10, min: 5_000, fee: 5_000, why: 'the percentage exactly at the minimum' },
    { fare: 49_990, pct: 10, min: 5_000, fee: 5_000, why: 'the minimum above the percentage' },
    { fare: 12_345, pct: 10, min: 0, fee: 1_235, why: 'rounded half up (1234.5)' },
    { fare: 12_344, pct: 12.5, min: 0, fee: 1_543, why: 'two decimals of a percent' },
    { fare: 3_000, pct: 10, min: 5_000, fee: 3_000, why: 'never more than the fare' },
    { fare: 80_000, pct: 0, min: 0, fee: 0, why: 'a zero policy' },
  ])('$why: $fare at $pct% (min $min) -> $fee', ({ fare, pct, min, fee: expected }) => {
    expect(cancellationFeeAmount(fare, { feePct: pct, feeMin: min })).toBe(expected);
  });
});

describe('customerCancelQuote: what the ride view shows', () => {
  const end = new Date(T0 + 120 * S).getTime();
  it.each([
    { name: 'a request: nothing to warn about', facts: ride('requested'), at: 0, quote: { freeCancelUntil: null, cancelFee: null } },
    { name: 'just assigned: free until the window ends', facts: ride('assigned'), at: 0, quote: { freeCancelUntil: end, cancelFee: null } },
    { name: 'exactly at the window end: still free', facts: ride('assigned'), at: 120 * S, quote: { freeCancelUntil: end, cancelFee: null } },
    { name: 'after the window: the fee', facts: ride('assigned'), at: 120 * S + 1, quote: { freeCancelUntil: null, cancelFee: { amount: 8_000, currency: 'PKR' } } },
    { name: 'driver late: free again, no end known', facts: ride('assigned'), at: LATE, quote: { freeCancelUntil: null, cancelFee: null } },
    { name: 'driver arrived: the fee at once', facts: ride('arrived', 10 * S), at: 11 * S, quote: { freeCancelUntil: null, cancelFee: { amount: 8_000, currency: 'PKR' } } },
    { name: 'trip under way: no cancel by the customer', facts: ride('in_progress', 10 * S), at: 200 * S, quote: { freeCancelUntil: null, cancelFee: null } },
    { name: 'cancelled: nothing', facts: ride('cancelled'), at: 200 * S, quote: { freeCancelUntil: null, cancelFee: null } },
  ])('$name', ({ facts, at, quote }) => {
    expect(customerCancelQuote(facts, POLICY, T0 + at)).toEqual(quote);
  });
});
