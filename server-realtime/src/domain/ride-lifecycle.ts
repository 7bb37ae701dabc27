/**
 * The ride lifecycle as a pure state machine:
 *
 *   requested -> assigned -> arrived -> in_progress -> completed
 *   requested | assigned | arrived (| in_progress, system only) -> cancelled
 *   requested -> expired
 *
 * Every transition is checked for WHO makes it (the ride's customer, its assigned driver, or the
 * system) and answers with the new state and the effects the orchestration layer must carry out,
 * or a DomainError. The table below is the single source of truth (docs/rides.md shows it).
 */
import { ENGAGED_RIDE_STATUSES, type CancelledBy, type RideStatus } from '@drivrr/shared/protocol';
import { decideCancellation, type CancelFee, type CancellationRule, type CancellationTerms } from '@drivrr/shared/cancellation-fees';
import { accept, refuse, type DomainResult } from './result.js';

export type RideActorRole = CancelledBy; // 'customer' | 'driver' | 'system'

/** Who asks for a transition: from the verified token, or the system (timers, recovery, presence). */
export type RideActor = { role: 'customer' | 'driver'; userId: string } | { role: 'system' };

export const SYSTEM: RideActor = { role: 'system' };

export interface RideLifecycleState {
  status: RideStatus;
  customerId: string;
  driverId: string | null;
  agreedFare: number | null;
  acceptedBidId: string | null;
  cancelledBy: RideActorRole | null;
  cancelReason: string | null;
  /** The status the ride was in when it was cancelled. */
  cancelledFrom: RideStatus | null;
  /** The ride's currency (of a cancellation fee). */
  currency?: string;
  /** ms since the epoch; what the cancellation rules need (absent: not yet). */
  assignedAt?: number | null;
  arrivedAt?: number | null;
  /** The cancellation policy and the accepted bid's ETA, fixed at assignment (absent/null: a ride assigned before fees, cancelled free). */
  cancelTerms?: CancellationTerms | null;
  /** The fee the cancel charged, minor units (null: free). */
  cancelFee?: number | null;
  /** The driver cancelled after assignment for a reason that counts in his cancellation rate. */
  cancelCountsAgainstDriver?: boolean;
}

/** Rides assigned before cancellation fees existed: every cancel is free. */
const NO_FEE_TERMS: CancellationTerms = { freeS: Number.MAX_SAFE_INTEGER / 1000, feePct: 0, feeMin: 0, noShowGraceS: 0, waitFreeS: 0, etaS: 0 };

export type RideEvent =
  /** `terms`: the cancellation policy in force and the bid's ETA, kept with the ride. */
  | { type: 'assign'; driverId: string; bidId: string; agreedFare: number; terms?: CancellationTerms | undefined }
  | { type: 'arrive' }
  | { type: 'start' }
  | { type: 'complete' }
  /** `expectedStatus`: cancel only if the ride is still in the status the user saw (else invalid_transition). */
  /** `at`: when (ms since the epoch), for the fee rules. */
  | { type: 'cancel'; reason: string; at: number; expectedStatus?: RideStatus | undefined }
  | { type: 'expire' };

export type RideEventType = RideEvent['type'];
export const RIDE_EVENT_TYPES: readonly RideEventType[] = ['assign', 'arrive', 'start', 'complete', 'cancel', 'expire'];
export const RIDE_STATUSES: readonly RideStatus[] = ['requested', 'assigned', 'arrived', 'in_progress', 'completed', 'cancelled', 'expired'];
export const TERMINAL_STATUSES: readonly RideStatus[] = ['completed', 'cancelled', 'expired'];
/** Statuses in which a driver is on the ride (busy, followed by the customer). */
export const ENGAGED_STATUSES: readonly RideStatus[] = ENGAGED_RIDE_STATUSES;

/** Why offers/bids die with the ride (the `reason` of `ride.withdrawn`). */
export type WithdrawReason = 'taken' | 'cancelled' | 'expired';

/** What the orchestration layer must do after a transition has been persisted. */
export type RideEffect =
  /** Stop the widening search and forget the offers' timers. */
  | { type: 'stop_matching' }
  /** Every open bid except `exceptBidId` becomes rejected; their drivers get `bid.rejected` + `ride.withdrawn`. */
  | { type: 'reject_open_bids'; exceptBidId: string | null; reason: WithdrawReason }
  /** Offered drivers who did not bid get `ride.withdrawn`. */
  | { type: 'withdraw_offers'; reason: WithdrawReason }
  | { type: 'driver_busy'; driverId: string }
  | { type: 'driver_free'; driverId: string }
  | { type: 'follow_driver'; customerId: string; driverId: string }
  | { type: 'unfollow_driver'; customerId: string; driverId: string }
  /** Settle the agreed fare in the same transaction as the status change. */
  | { type: 'settle'; fare: number; driverId: string }
  /** Charge the customer a cancellation fee for the driver, in the cancel's transaction (wallet, then debt). */
  | { type: 'charge_cancel_fee'; fee: CancelFee; driverId: string }
  | { type: 'announce_assigned' }
  | { type: 'announce_status'; status: RideStatus }
  /** `ride.cancelled {by, reason, fee?}` to the parties other than the one who cancelled. */
  | { type: 'announce_cancelled'; by: RideActorRole; reason: string; fee: CancelFee | null; feeRule: CancellationRule }
  | { type: 'announce_expired' };

export interface RideTransitionRule {
  event: RideEventType;
  from: RideStatus;
  to: RideStatus;
  /** Who may make it. */
  by: readonly RideActorRole[];
}

/** The from -> to table, enforced here and by compare-and-set updates in the repository. */
export const RIDE_TRANSITIONS: readonly RideTransitionRule[] = [
  { event: 'assign', from: 'requested', to: 'assigned', by: ['customer'] },
  { event: 'arrive', from: 'assigned', to: 'arrived', by: ['driver'] },
  { event: 'start', from: 'arrived', to: 'in_progress', by: ['driver'] },
  { event: 'complete', from: 'in_progress', to: 'completed', by: ['driver'] },
  { event: 'cancel', from: 'requested', to: 'cancelled', by: ['customer', 'system'] },
  { event: 'cancel', from: 'assigned', to: 'cancelled', by: ['customer', 'driver', 'system'] },
  { event: 'cancel', from: 'arrived', to: 'cancelled', by: ['customer', 'driver', 'system'] },
  // Once the trip runs, only the system (operations) may cancel it; the parties complete it.
  { event: 'cancel', from: 'in_progress', to: 'cancelled', by: ['system'] },
  { event: 'expire', from: 'requested', to: 'expired', by: ['system'] },
];

export function isTerminal(status: RideStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** The status an event leads to from `from`, if the table has such a transition (ignores who). */
export function targetStatus(from: RideStatus, event: RideEventType): RideStatus | undefined {
  return RIDE_TRANSITIONS.find((rule) => rule.from === from && rule.event === event)?.to;
}

const EVENT_VERB: Record<RideEventType, string> = {
  assign: 'accept a bid on',
  arrive: 'mark arrival for',
  start: 'start',
  complete: 'complete',
  cancel: 'cancel',
  expire: 'expire',
};

/** Is the actor a party of this ride in the role it claims? */
function isParty(state: RideLifecycleState, actor: RideActor): boolean {
  if (actor.role === 'system') return true;
  if (actor.role === 'customer') return actor.userId === state.customerId;
  return state.driverId !== null && actor.userId === state.driverId;
}

/**
 * Applies one event to a ride. Checks, in this order: the actor is a party of the ride (else
 * `forbidden`); the actor's role may ever make this event (else `forbidden`); the ride's status
 * has this transition (else `ride_not_open` for accepting on a ride no longer requested,
 * `invalid_transition` otherwise); the actor's role may make it from this status (else `invalid_transition`).
 */
export function applyRideEvent(state: RideLifecycleState, event: RideEvent, actor: RideActor): DomainResult<RideLifecycleState, RideEffect> {
  if (!isParty(state, actor)) {
    return refuse('forbidden', actor.role === 'driver' ? 'you are not the driver of this ride' : 'this is not your ride');
  }
  const rules = RIDE_TRANSITIONS.filter((rule) => rule.event === event.type);
  if (!rules.some((rule) => rule.by.includes(actor.role))) {
    return refuse('forbidden', `a ${actor.role} cannot ${EVENT_VERB[event.type]} a ride`, { event: event.type, role: actor.role });
  }
  if (event.type === 'cancel' && event.expectedStatus !== undefined && event.expectedStatus !== state.status) {
    return refuse('invalid_transition', `the ride is ${state.status} now, not ${event.expectedStatus}`, { status: state.status, expectedStatus: event.expectedStatus, event: 'cancel' });
  }
  const rule = rules.find((candidate) => candidate.from === state.status);
  if (!rule) {
    if (event.type === 'assign') {
      return refuse('ride_not_open', `the ride is ${state.status}, no longer open for bids`, { status: state.status });
    }
    return refuse('invalid_transition', `cannot ${EVENT_VERB[event.type]} a ride that is ${state.status}`, { status: state.status, event: event.type });
  }
  if (!rule.by.includes(actor.role)) {
    return refuse('invalid_transition', `a ${actor.role} cannot ${EVENT_VERB[event.type]} a ride that is ${state.status}`, {
      status: state.status,
      event: event.type,
      role: actor.role,
    });
  }

  const from = state.status;
  const to = rule.to;
  switch (event.type) {
    case 'assign':
      return accept(
        { ...state, status: to, driverId: event.driverId, agreedFare: event.agreedFare, acceptedBidId: event.bidId, cancelTerms: event.terms ?? null },
        [
          { type: 'stop_matching' },
          { type: 'reject_open_bids', exceptBidId: event.bidId, reason: 'taken' },
          { type: 'withdraw_offers', reason: 'taken' },
          { type: 'driver_busy', driverId: event.driverId },
          { type: 'follow_driver', customerId: state.customerId, driverId: event.driverId },
          { type: 'announce_assigned' },
        ],
      );
    case 'arrive':
    case 'start':
      return accept({ ...state, status: to }, [{ type: 'announce_status', status: to }]);
    case 'complete': {
      // The table guarantees a driver and an agreed fare past `assigned`; the DB CHECK does too.
      const driverId = state.driverId as string;
      return accept({ ...state, status: to }, [
        { type: 'settle', fare: state.agreedFare as number, driverId },
        { type: 'driver_free', driverId },
        { type: 'unfollow_driver', customerId: state.customerId, driverId },
        { type: 'announce_status', status: to },
      ]);
    }
    case 'cancel': {
      const terms = state.cancelTerms ?? NO_FEE_TERMS;
      const decision = decideCancellation(
        { status: from, assignedAt: state.assignedAt ?? null, arrivedAt: state.arrivedAt ?? null, etaS: terms.etaS, fare: state.agreedFare, currency: state.currency ?? '' },
        { by: actor.role, reason: event.reason, now: event.at },
        terms,
      );
      if (!decision.ok) return decision;
      const next: RideLifecycleState = {
        ...state,
        status: to,
        cancelledBy: actor.role,
        cancelReason: event.reason,
        cancelledFrom: from,
        cancelFee: decision.fee?.amount ?? null,
        cancelCountsAgainstDriver: decision.countsAgainstDriver,
      };
      const announce: RideEffect = { type: 'announce_cancelled', by: actor.role, reason: event.reason, fee: decision.fee, feeRule: decision.rule };
      if (from === 'requested') {
        return accept(next, [
          { type: 'stop_matching' },
          { type: 'reject_open_bids', exceptBidId: null, reason: 'cancelled' },
          { type: 'withdraw_offers', reason: 'cancelled' },
          announce,
        ]);
      }
      const driverId = state.driverId as string;
      return accept(next, [
        ...(decision.fee ? [{ type: 'charge_cancel_fee' as const, fee: decision.fee, driverId }] : []),
        { type: 'driver_free', driverId },
        { type: 'unfollow_driver', customerId: state.customerId, driverId },
        announce,
      ]);
    }
    case 'expire':
      return accept({ ...state, status: to }, [
        { type: 'stop_matching' },
        { type: 'reject_open_bids', exceptBidId: null, reason: 'expired' },
        { type: 'withdraw_offers', reason: 'expired' },
        { type: 'announce_expired' },
      ]);
  }
}

/** A fresh request's state. */
export function requestedRide(customerId: string): RideLifecycleState {
  return { status: 'requested', customerId, driverId: null, agreedFare: null, acceptedBidId: null, cancelledBy: null, cancelReason: null, cancelledFrom: null };
}
