/**
 * The lifecycle commands: ride.arrived / ride.start / ride.complete, ride.cancel (by either side
 * or the system), a request's expiry (claimed by timers.ts), and a driver going offline. Each is
 * one transaction: lock, ask the pure state machine, persist, carry out the effects it decided
 * (effects.ts) and append their events; the announcer delivers them after the commit.
 */
import { AppError } from '@drivrr/shared';
import type { CancelFee } from '@drivrr/shared/cancellation-fees';
import type { ClientMessageDataOf, RideStatus, RideView } from '@drivrr/shared/protocol';
import { rideRowToView } from '@drivrr/store/rides-read';
import type { NewRideEvent, RideEventKind } from '../db/ride-events.js';
import { rideRowToLifecycle, type RideWriteRow } from '../db/rides.js';
import { toAppError } from '../domain/result.js';
import { applyRideEvent, SYSTEM, targetStatus, type RideActor, type RideEventType } from '../domain/ride-lifecycle.js';
import type { Caller } from '../ws/contracts.js';
import { inTransaction, type RideContext } from './context.js';
import { carryOutRideEffects, withdrawEverythingElseOf } from './effects.js';
import type { RideStore } from './store.js';

const STEP_EVENT_KIND: Record<'arrive' | 'start' | 'complete', RideEventKind> = {
  arrive: 'arrived',
  start: 'started',
  complete: 'completed',
};

export class LifecycleCommands {
  constructor(private readonly ctx: RideContext) {}

  async advance(caller: Caller, type: 'arrive' | 'start' | 'complete', rideId: string): Promise<{ ride: RideView }> {
    const actor: RideActor = { role: 'driver', userId: caller.userId };
    const ride = await inTransaction(this.ctx, async (store, events) => {
      const row = await store.lockRide(rideId);
      if (!row || (row.driver_id !== caller.userId && row.customer_id !== caller.userId)) throw new AppError('not_found', 'no such ride of yours');
      const transition = applyRideEvent(rideRowToLifecycle(row), { type }, actor);
      if (!transition.ok) {
        // A repeated tap (the ride is already where this event leads): answer with the ride.
        if (row.driver_id === caller.userId && isRepeatOf(type, row)) return row;
        throw toAppError(transition);
      }
      const updated = await store.persistRideTransition(row.id, row.status, transition.state, new Date(this.ctx.clock.now()));
      if (!updated) throw new AppError('invalid_transition', 'the ride changed meanwhile; try again');
      const event: NewRideEvent = { rideId: row.id, type: STEP_EVENT_KIND[type], fromStatus: row.status, toStatus: updated.status, actorRole: 'driver', actorId: caller.userId };
      events.push(...(await carryOutRideEffects({ store, ride: updated, actor, event, commissionPct: this.ctx.config.commissionPct }, transition.effects)));
      return updated;
    });
    return { ride: rideRowToView(ride, this.ctx.clock.now()) };
  }

  cancel(caller: Caller, data: ClientMessageDataOf<'ride.cancel'>): Promise<{ ride: RideView; fee?: CancelFee }> {
    return this.cancelAs({ role: caller.role === 'driver' ? 'driver' : 'customer', userId: caller.userId }, data.rideId, data.reason, data.expectedStatus);
  }

  /**
   * Cancels a ride as `actor`. The lifecycle machine decides whether it may and, by the fee rules,
   * what it costs; a fee is charged in the same transaction (wallet, then debt), so a cancel is
   * never half-written. A repeat by the side that already cancelled answers the same (its fee
   * included) and charges nothing again.
   */
  async cancelAs(actor: RideActor, rideId: string, reason: string, expectedStatus?: RideStatus): Promise<{ ride: RideView; fee?: CancelFee }> {
    const now = this.ctx.clock.now();
    const ride = await inTransaction(this.ctx, async (store, events) => {
      const row = await store.lockRide(rideId);
      if (!row) throw new AppError('not_found', 'no such ride');
      if (actor.role !== 'system' && row.customer_id !== actor.userId && row.driver_id !== actor.userId) {
        throw new AppError('not_found', 'no such ride of yours');
      }
      const transition = applyRideEvent(rideRowToLifecycle(row), { type: 'cancel', reason, expectedStatus, at: now }, actor);
      if (!transition.ok) {
        if (row.status === 'cancelled' && row.cancelled_by === actor.role) return row;
        throw toAppError(transition);
      }
      // The bids this transition changes are locked before it writes (the lock order of bids.ts).
      if (row.status === 'requested') await store.lockOpenBids({ rideId: row.id, driverId: null });
      const updated = await store.persistRideTransition(row.id, row.status, transition.state, new Date(now));
      if (!updated) throw new AppError('invalid_transition', 'the ride changed meanwhile; try again');
      const announced = transition.effects.find((effect) => effect.type === 'announce_cancelled');
      const fee = announced?.type === 'announce_cancelled' ? announced.fee : null;
      const event: NewRideEvent = {
        rideId: row.id,
        type: 'cancelled',
        fromStatus: row.status,
        toStatus: 'cancelled',
        actorRole: actor.role,
        actorId: actor.role === 'system' ? null : actor.userId,
        data: {
          reason,
          ...(fee ? { fee } : {}),
          ...(announced?.type === 'announce_cancelled' ? { feeRule: announced.feeRule } : {}),
          countsAgainstDriver: transition.state.cancelCountsAgainstDriver ?? false,
        },
      };
      events.push(...(await carryOutRideEffects({ store, ride: updated, actor, event, commissionPct: this.ctx.config.commissionPct }, transition.effects)));
      return updated;
    });
    const fee = cancelFeeOf(ride);
    return { ride: rideRowToView(ride, now), ...(fee ? { fee } : {}) };
  }

  /** Expires a request whose time is up, claimed and locked by the caller's transaction (timers.ts). */
  async expireClaimed(store: RideStore, row: RideWriteRow, events: NewRideEvent[]): Promise<void> {
    const transition = applyRideEvent(rideRowToLifecycle(row), { type: 'expire' }, SYSTEM);
    if (!transition.ok) return;
    await store.lockOpenBids({ rideId: row.id, driverId: null });
    const updated = await store.persistRideTransition(row.id, row.status, transition.state, new Date(this.ctx.clock.now()));
    if (!updated) return;
    const event: NewRideEvent = { rideId: row.id, type: 'expired', fromStatus: row.status, toStatus: 'expired', actorRole: 'system' };
    events.push(...(await carryOutRideEffects({ store, ride: updated, actor: SYSTEM, event, commissionPct: this.ctx.config.commissionPct }, transition.effects)));
  }

  /** A driver went offline: their open bids are withdrawn (the customers are told) and their offers end. */
  async driverOffline(driverId: string): Promise<void> {
    await inTransaction(this.ctx, async (store, events) => {
      await store.lockDriver(driverId);
      await store.lockOpenBids({ rideId: null, driverId });
      events.push(...(await withdrawEverythingElseOf(store, driverId, null)));
    });
  }
}

/** The fee a cancelled ride charged (for its ack, also when a repeated cancel is answered). */
function cancelFeeOf(row: RideWriteRow): CancelFee | undefined {
  return row.status === 'cancelled' && row.cancel_fee !== null ? { amount: Number(row.cancel_fee), currency: row.currency, payer: 'customer' } : undefined;
}

function isRepeatOf(type: Exclude<RideEventType, 'assign' | 'cancel' | 'expire'>, row: RideWriteRow): boolean {
  const previous = { arrive: 'assigned', start: 'arrived', complete: 'in_progress' } as const;
  return targetStatus(previous[type], type) === row.status;
}
