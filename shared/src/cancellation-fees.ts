/**
 * Who pays what when a ride is cancelled after assignment (contract 1.1, "Cancellation fees"),
 * as pure functions: no I/O, no clock, no config reads (the policy and `now` come in).
 *
 * They live in @drivrr/shared because two services evaluate them: the realtime service decides
 * each cancel (domain/ride-lifecycle.ts calls `decideCancellation`), and the ride views of both
 * services (session.state, the auth service's REST detail) show what a cancel would cost now
 * (`customerCancelQuote`). The policy is snapshotted on the ride at assignment (`rides.cancel_terms`),
 * so a ride keeps the terms it was assigned under even if the operator changes the config later.
 *
 * Boundaries (all inclusive/exclusive choices written here and tested in
 * server-realtime/test/domain/cancellation-fees.test.ts):
 * - free window: a customer's cancel at exactly `assignedAt + freeS` is still free; one ms later costs.
 * - driver late: from exactly `assignedAt + etaS + noShowGraceS` on, a customer's cancel is free if the
 *   driver had not arrived before that instant (arriving at that very instant counts as late).
 * - no-show: a driver may cancel `customer_no_show` from exactly `arrivedAt + waitFreeS` on.
 */
import { z } from 'zod';
import type { ErrorCode } from './errors.js';
import type { CancelledBy, RideStatus } from './protocol/common.js';
import type { CancelFeeView } from './protocol/entities.js';

/** The cancel reason a driver gives after waiting at the pickup: the customer pays, the driver is not blamed. */
export const CUSTOMER_NO_SHOW = 'customer_no_show';

/** The rules' parameters, in seconds and minor units; the realtime config (CANCEL_*, NO_SHOW_GRACE_S, WAIT_FREE_S). */
export const CancellationPolicy = z.object({
  /** CANCEL_FREE_S: a customer cancels free this long after assignment (unless the driver has arrived). */
  freeS: z.number().int().nonnegative(),
  /** CANCEL_FEE_PCT: the fee in % of the agreed fare (up to 2 decimals). */
  feePct: z.number().min(0).max(100),
  /** CANCEL_FEE_MIN: the fee is at least this (never more than the fare). */
  feeMin: z.number().int().nonnegative(),
  /** NO_SHOW_GRACE_S: past the accepted bid's ETA plus this, a driver not yet arrived is late: the customer cancels free. */
  noShowGraceS: z.number().int().nonnegative(),
  /** WAIT_FREE_S: how long a driver waits at the pickup before a `customer_no_show` cancel. */
  waitFreeS: z.number().int().nonnegative(),
});
export type CancellationPolicy = z.infer<typeof CancellationPolicy>;

/** What the ride stores at assignment (`rides.cancel_terms`): the policy and the accepted bid's ETA. */
export const CancellationTerms = CancellationPolicy.extend({ etaS: z.number().int().nonnegative() });
export type CancellationTerms = z.infer<typeof CancellationTerms>;

/** The facts of the ride a decision needs. Times in ms since the epoch. */
export interface CancellationFacts {
  status: RideStatus;
  assignedAt: number | null;
  arrivedAt: number | null;
  /** The accepted bid's ETA to the pickup, seconds (null before assignment). */
  etaS: number | null;
  /** The agreed fare (null before assignment). */
  fare: number | null;
  currency: string;
}

/** `payer` is always the customer today; the field lets a future rule charge the driver without a new shape. */
export type CancelFee = CancelFeeView;

/** Which rule decided: named in the timeline (`cancelled` event's `data.feeRule`) and in the tests. */
export type CancellationRule =
  | 'not_assigned' // requested (or past the pickup, system only): nothing to charge
  | 'free_window' // the customer within CANCEL_FREE_S of assignment, driver not arrived
  | 'driver_late' // the customer, driver not arrived by ETA + NO_SHOW_GRACE_S
  | 'after_arrival' // the customer, after the driver arrived: fee
  | 'after_free_window' // the customer, more than CANCEL_FREE_S after assignment: fee
  | 'customer_no_show' // the driver, after waiting WAIT_FREE_S at the pickup: fee, not counted
  | 'driver_cancelled' // the driver, any other reason after assignment: free, counted against him
  | 'system'; // operations/recovery: free, not counted

export interface CancellationDecision {
  ok: true;
  fee: CancelFee | null;
  /** Counts in the driver's cancellation rate. */
  countsAgainstDriver: boolean;
  rule: CancellationRule;
}

/** Shaped like the realtime domain's DomainError, so callers turn it into an AppError the same way. */
export interface CancellationRefusal {
  ok: false;
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

const ASSIGNED_STATUSES: readonly RideStatus[] = ['assigned', 'arrived'];

/** The fee on a fare: `feePct` of it rounded half up (in basis points, like the commission), at least `feeMin`, at most the fare. */
export function cancellationFeeAmount(fare: number, policy: Pick<CancellationPolicy, 'feePct' | 'feeMin'>): number {
  const basisPoints = Math.round(policy.feePct * 100);
  const pct = Math.floor((fare * basisPoints + 5_000) / 10_000);
  return Math.min(fare, Math.max(pct, policy.feeMin));
}

/** When a driver not yet arrived counts as late (null before assignment). */
export function driverLateAt(facts: CancellationFacts, policy: CancellationPolicy): number | null {
  if (facts.assignedAt === null) return null;
  return facts.assignedAt + ((facts.etaS ?? 0) + policy.noShowGraceS) * 1000;
}

function wasLate(facts: CancellationFacts, policy: CancellationPolicy, now: number): boolean {
  const lateAt = driverLateAt(facts, policy);
  if (lateAt === null || now < lateAt) return false;
  return facts.arrivedAt === null || facts.arrivedAt >= lateAt;
}

function feeOf(facts: CancellationFacts, policy: CancellationPolicy): CancelFee | null {
  if (facts.fare === null) return null;
  const amount = cancellationFeeAmount(facts.fare, policy);
  return amount > 0 ? { amount, currency: facts.currency, payer: 'customer' } : null;
}

function decided(rule: CancellationRule, fee: CancelFee | null, countsAgainstDriver: boolean): CancellationDecision {
  return { ok: true, fee, countsAgainstDriver, rule };
}

/** The customer's side: what cancelling costs at `now`. */
function customerDecision(facts: CancellationFacts, policy: CancellationPolicy, now: number): CancellationDecision {
  if (!ASSIGNED_STATUSES.includes(facts.status) || facts.assignedAt === null) return decided('not_assigned', null, false);
  if (wasLate(facts, policy, now)) return decided('driver_late', null, false);
  if (facts.status === 'arrived') return decided('after_arrival', feeOf(facts, policy), false);
  if (now - facts.assignedAt > policy.freeS * 1000) return decided('after_free_window', feeOf(facts, policy), false);
  return decided('free_window', null, false);
}

/**
 * Decides a cancel that the ride lifecycle already allows (the caller checked the transition):
 * the fee, if any, and whether it counts against the driver. Refuses a `customer_no_show` from
 * the customer (`validation_failed`) and from a driver who has not arrived or not waited long
 * enough (`no_show_too_early`, with when he may).
 */
export function decideCancellation(
  facts: CancellationFacts,
  cancel: { by: CancelledBy; reason: string; now: number },
  policy: CancellationPolicy,
): CancellationDecision | CancellationRefusal {
  const noShow = cancel.reason === CUSTOMER_NO_SHOW;
  if (cancel.by === 'system') return decided('system', null, false);
  if (cancel.by === 'customer') {
    if (noShow) return { ok: false, code: 'validation_failed', message: `only the driver may cancel with reason ${CUSTOMER_NO_SHOW}`, details: { field: 'reason' } };
    return customerDecision(facts, policy, cancel.now);
  }
  // The driver.
  if (!ASSIGNED_STATUSES.includes(facts.status)) return decided('not_assigned', null, false);
  if (!noShow) return decided('driver_cancelled', null, true);
  if (facts.status !== 'arrived' || facts.arrivedAt === null) {
    return {
      ok: false,
      code: 'no_show_too_early',
      message: `mark your arrival (ride.arrived) and wait ${policy.waitFreeS} s at the pickup before cancelling with ${CUSTOMER_NO_SHOW}`,
      details: { waitFreeS: policy.waitFreeS, allowedFrom: null },
    };
  }
  const allowedFrom = facts.arrivedAt + policy.waitFreeS * 1000;
  if (cancel.now < allowedFrom) {
    return {
      ok: false,
      code: 'no_show_too_early',
      message: `you may cancel with ${CUSTOMER_NO_SHOW} after waiting ${policy.waitFreeS} s at the pickup`,
      details: { waitFreeS: policy.waitFreeS, allowedFrom: new Date(allowedFrom).toISOString() },
    };
  }
  return decided('customer_no_show', feeOf(facts, policy), false);
}

/** What the ride view shows the apps (before anyone taps cancel). */
export interface CancelQuote {
  /** The end of the free window while it is open (ms since the epoch); null otherwise. */
  freeCancelUntil: number | null;
  /** What the customer's cancel would cost now; null when it is free. */
  cancelFee: { amount: number; currency: string } | null;
}

/** What a cancel by the customer would cost at `now`, and until when it stays free. */
export function customerCancelQuote(facts: CancellationFacts, policy: CancellationPolicy, now: number): CancelQuote {
  const decision = customerDecision(facts, policy, now);
  return {
    freeCancelUntil: decision.rule === 'free_window' && facts.assignedAt !== null ? facts.assignedAt + policy.freeS * 1000 : null,
    cancelFee: decision.fee ? { amount: decision.fee.amount, currency: decision.fee.currency } : null,
  };
}
