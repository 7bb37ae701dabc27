/**
 * The in-transaction effect step: turns the effects the pure domain decided for one transition
 * into writes of the same transaction (bids rejected, offers ended, the driver's other bids and
 * offers withdrawn, the settlement) and into outbox events, each with the frames it sends and the
 * parties whose state to re-read. Nothing after the commit decides anything: the announcer only
 * delivers what is written here.
 */
import type { ServerMessageDataOf, ServerMessageType } from '@drivrr/shared/protocol';
import { rideRowToView } from '@drivrr/store/rides-read';
import type { NewRideEvent, OutboxFrame, RideEventEffects } from '../db/ride-events.js';
import type { RideWriteRow } from '../db/rides.js';
import type { BidEffect, BidState } from '../domain/haggling.js';
import type { RideActor, RideEffect } from '../domain/ride-lifecycle.js';
import type { RideStore } from './store.js';

/** A frame for the outbox, typed by its schema when it is built. */
export function frame<T extends ServerMessageType>(to: string, type: T, data: ServerMessageDataOf<T>): OutboxFrame {
  return { to, type, data: data as Record<string, unknown> };
}

/** Adds to an event's effects. */
export function addEffects(event: NewRideEvent, more: RideEventEffects): void {
  const effects = (event.effects ??= {});
  if (more.frames?.length) (effects.frames ??= []).push(...more.frames);
  if (more.drivers?.length) (effects.drivers ??= []).push(...more.drivers);
  if (more.customers?.length) (effects.customers ??= []).push(...more.customers);
}

export interface TransitionStep {
  store: RideStore;
  /** The ride as the transition left it (already persisted). */
  ride: RideWriteRow;
  actor: RideActor;
  /** The transition's own timeline event; the announcements of the transition are its frames. */
  event: NewRideEvent;
  commissionPct: number;
  /** The rides clock's time of the transition (ms): what ride views in its frames are computed at. */
  now?: number;
}

/**
 * Carries out a ride transition's effects inside its transaction. Returns every event to append:
 * the transition's own first (it takes the lowest seq), then the ones its effects caused.
 */
export async function carryOutRideEffects(step: TransitionStep, effects: readonly RideEffect[]): Promise<NewRideEvent[]> {
  const { store, ride, actor, event } = step;
  const more: NewRideEvent[] = [];
  const rideId = ride.id;
  for (const effect of effects) {
    switch (effect.type) {
      case 'stop_matching':
        await store.updateSearch(rideId, { tick: ride.match_tick, radiusIndex: ride.match_radius_index }, null);
        break;
      case 'reject_open_bids': {
        const rejected = await store.rejectOpenBids(rideId, effect.exceptBidId);
        if (rejected.length === 0) break;
        more.push({
          rideId,
          type: 'bids_rejected',
          actorRole: 'system',
          data: { bidIds: rejected.map((bid) => bid.id), reason: effect.reason },
          effects: { frames: rejected.map((bid) => frame(bid.driverId, 'bid.rejected', { rideId, bidId: bid.id })) },
        });
        break;
      }
      case 'withdraw_offers': {
        const holders = (await store.endOffersOfRide(rideId, effect.reason === 'expired' ? 'expired' : 'withdrawn')).filter((driverId) => driverId !== ride.driver_id);
        if (holders.length === 0) break;
        more.push({
          rideId,
          type: 'offers_withdrawn',
          actorRole: 'system',
          data: { driverIds: holders, reason: effect.reason },
          effects: { frames: holders.map((driverId) => frame(driverId, 'ride.withdrawn', { rideId, reason: effect.reason })) },
        });
        break;
      }
      case 'driver_busy':
        // A driver on a ride is offered nothing else and bids on nothing else.
        more.push(...(await withdrawEverythingElseOf(store, effect.driverId, rideId)));
        addEffects(event, { drivers: [effect.driverId] });
        break;
      case 'driver_free':
        addEffects(event, { drivers: [effect.driverId] });
        break;
      case 'follow_driver':
      case 'unfollow_driver':
        addEffects(event, { customers: [effect.customerId] });
        break;
      case 'settle':
        // In the same transaction as the status change: a completed ride is always settled.
        await store.settleRide({
          rideId,
          customerId: ride.customer_id,
          driverId: effect.driverId,
          fare: effect.fare,
          currency: ride.currency,
          paymentMethod: ride.payment_method,
          commissionPct: step.commissionPct,
        });
        break;
      case 'charge_cancel_fee':
        // In the cancel's transaction: the driver credited at once, the customer's wallet then debt.
        await store.chargeCancellationFee({
          rideId,
          customerId: ride.customer_id,
          driverId: effect.driverId,
          fee: effect.fee.amount,
          currency: ride.currency,
        });
        break;
      case 'announce_assigned': {
        const view = rideRowToView(ride, step.now);
        const parties = await store.readRideParties(rideId);
        const driverId = ride.driver_id as string;
        addEffects(event, {
          frames: [
            frame(driverId, 'ride.assigned', { ride: view, ...(parties ? { customer: parties.customer } : {}) }),
            frame(ride.customer_id, 'ride.assigned', { ride: view, ...(parties?.driver ? { driver: parties.driver } : {}) }),
          ],
        });
        break;
      }
      case 'announce_status':
        addEffects(event, {
          frames: [ride.customer_id, ...(ride.driver_id ? [ride.driver_id] : [])].map((to) => frame(to, 'ride.status', { rideId, status: effect.status })),
        });
        break;
      case 'announce_cancelled': {
        const data = { rideId, by: effect.by, reason: effect.reason, ...(effect.fee ? { fee: effect.fee } : {}) };
        const to = [...(actor.role !== 'customer' ? [ride.customer_id] : []), ...(actor.role !== 'driver' && ride.driver_id ? [ride.driver_id] : [])];
        addEffects(event, { frames: to.map((userId) => frame(userId, 'ride.cancelled', data)) });
        break;
      }
      case 'announce_expired':
        addEffects(event, { frames: [frame(ride.customer_id, 'ride.expired', { rideId })] });
        break;
    }
  }
  return [event, ...more];
}

/**
 * The driver was assigned `rideId` (or went offline: `rideId` null): their open bids on other
 * rides are withdrawn (each ride's customer told) and so are their offers (the driver told,
 * unless offline). One event per other ride, on that ride's own seq.
 */
export async function withdrawEverythingElseOf(store: RideStore, driverId: string, rideId: string | null): Promise<NewRideEvent[]> {
  const reason = rideId === null ? 'driver_offline' : 'driver_busy';
  const bids = await store.withdrawOpenBidsOfDriver(driverId, rideId);
  const offers = await store.withdrawOffersOfDriver(driverId, rideId);
  const rides = [...new Set([...bids.map((bid) => bid.rideId), ...offers])].sort();
  return rides.map((otherRideId): NewRideEvent => {
    const bid = bids.find((candidate) => candidate.rideId === otherRideId);
    const frames = [
      ...(bid ? [frame(bid.customerId, 'bid.withdrawn', { rideId: otherRideId, bidId: bid.id, reason })] : []),
      ...(rideId !== null ? [frame(driverId, 'ride.withdrawn', { rideId: otherRideId, reason: 'driver_busy' })] : []),
    ];
    return bid
      ? { rideId: otherRideId, type: 'bid_withdrawn', actorRole: 'system', data: { bidId: bid.id, driverId, reason }, effects: { frames } }
      : { rideId: otherRideId, type: 'offers_withdrawn', actorRole: 'system', data: { driverIds: [driverId], reason }, effects: { frames } };
  });
}

/** A bid transition's effects (applyBidEvent's), as frames of its event. */
export function bidEffectFrames(bid: BidState, customerId: string, effects: readonly BidEffect[]): OutboxFrame[] {
  const frames: OutboxFrame[] = [];
  for (const effect of effects) {
    switch (effect.type) {
      case 'announce_bid_expired':
        frames.push(frame(customerId, 'bid.expired', { rideId: bid.rideId, bidId: bid.id }), frame(bid.driverId, 'bid.expired', { rideId: bid.rideId, bidId: bid.id }));
        break;
      case 'announce_bid_rejected':
        frames.push(frame(bid.driverId, 'bid.rejected', { rideId: bid.rideId, bidId: bid.id }));
        break;
      case 'announce_bid_withdrawn':
        frames.push(frame(customerId, 'bid.withdrawn', { rideId: bid.rideId, bidId: bid.id, reason: 'driver_offline' }));
        break;
    }
  }
  return frames;
}
