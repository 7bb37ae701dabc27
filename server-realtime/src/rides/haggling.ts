/**
 * The haggling commands: ride.request, bid.place, ride.raise_fare, bid.accept. Each validates,
 * asks the pure domain, and persists the decision with its events in one transaction
 * (context.ts); the announcer delivers the events after the commit.
 */
import { AppError, distanceM } from '@drivrr/shared';
import { pgErrorCode, PG_UNIQUE_VIOLATION } from '@drivrr/shared/db';
import { getCustomerDebt, getWalletBalance } from '@drivrr/store/ledger';
import type { ActiveRide, BidView, ClientMessageDataOf, RideView } from '@drivrr/shared/protocol';
import { rideRowToView } from '@drivrr/store/rides-read';
import { findOpenBid, readBidView } from '../db/bids.js';
import { findActiveRideIdOfCustomer, insertRideRequest, readRide, readRideParties, rideRowToLifecycle } from '../db/rides.js';
import { decideAcceptBid, decidePlaceBid, decideRaiseFare, type BidState } from '../domain/haggling.js';
import { widen } from '../domain/matching.js';
import { checkAskedFare, estimateTripFor, etaSeconds, maxCounterFare } from '../domain/pricing.js';
import { orThrow, toAppError } from '../domain/result.js';
import { applyRideEvent, type RideActor } from '../domain/ride-lifecycle.js';
import type { Caller } from '../ws/contracts.js';
import { inTransaction, type RideContext } from './context.js';
import { addEffects, carryOutRideEffects, frame } from './effects.js';
import type { RideStore } from './store.js';
import type { RideTimers } from './timers.js';

/** Pickup and dropoff closer than this are the same place. */
const MIN_TRIP_M = 50;

/**
 * A wallet ride's fare must be covered by the customer's wallet when asked, raised and accepted,
 * on top of any debt (unpaid cancellation fees), which the ride's settlement pays first.
 */
export function assertWalletCovers(
  wallet: { balance: number; debt: number },
  fare: number,
  currency: string,
  message = 'your wallet balance is lower than the fare; top up or pay cash',
): void {
  const required = fare + wallet.debt;
  if (wallet.balance < required) {
    const why = wallet.debt > 0 ? `${message} (it also pays ${wallet.debt} of unpaid cancellation fees)` : message;
    throw new AppError('insufficient_funds', why, { details: { balance: wallet.balance, required, currency, ...(wallet.debt > 0 ? { debt: wallet.debt } : {}) } });
  }
}

async function walletOf(store: RideStore, customerId: string, currency: string): Promise<{ balance: number; debt: number }> {
  return { balance: await store.walletBalance(customerId, currency), debt: await store.customerDebt(customerId, currency) };
}

export class HagglingCommands {
  constructor(
    private readonly ctx: RideContext,
    private readonly timers: RideTimers,
  ) {}

  async request(caller: Caller, data: ClientMessageDataOf<'ride.request'>): Promise<{ rideId: string; estimate: RideView['estimate']; ride: RideView }> {
    const { config, pool, clock } = this.ctx;
    if (distanceM(data.pickup, data.dropoff) < MIN_TRIP_M) {
      throw new AppError('validation_failed', 'pickup and dropoff are the same place', { details: { minimumDistanceM: MIN_TRIP_M } });
    }
    const estimate = estimateTripFor(data.pickup, data.dropoff, data.vehicleType, config.pricing);
    const tooLow = checkAskedFare(data.fare, estimate);
    if (tooLow) throw toAppError(tooLow);
    const maximumFare = maxCounterFare(estimate.suggestedFare, config.maxCounterMultiplier);
    if (data.fare > maximumFare) {
      throw new AppError('fare_above_maximum', `the fare cannot exceed ${maximumFare}`, { details: { maximumFare, suggestedFare: estimate.suggestedFare } });
    }
    const activeRideId = await findActiveRideIdOfCustomer(pool, caller.userId);
    if (activeRideId) throw new AppError('active_ride_exists', 'you already have a ride in progress', { details: { rideId: activeRideId } });
    if (data.paymentMethod === 'wallet') {
      const wallet = { balance: await getWalletBalance(pool, caller.userId, config.currency), debt: await getCustomerDebt(pool, caller.userId, config.currency) };
      assertWalletCovers(wallet, data.fare, config.currency);
    }

    const now = clock.now();
    const row = await insertRideRequest(pool, {
      customerId: caller.userId,
      pickup: data.pickup,
      dropoff: data.dropoff,
      fare: data.fare,
      currency: config.currency,
      paymentMethod: data.paymentMethod,
      vehicleType: data.vehicleType,
      ...estimate,
      expiresAt: new Date(now + config.requestTtlMs),
      firstTickAt: new Date(now),
    });
    const ride = rideRowToView(row);
    this.timers.tickSoon(ride.id);
    return { rideId: ride.id, estimate: ride.estimate, ride };
  }

  async placeBid(caller: Caller, data: ClientMessageDataOf<'bid.place'>): Promise<{ bid: BidView; offer: 'as_offered' | 'counter' }> {
    const { pool, presence, config, clock } = this.ctx;
    const driverId = caller.userId;
    const here = presence.get(driverId);
    if (!here) throw new AppError('driver_offline', 'go online (driver.online) before bidding');
    let outcome: { bidId: string; offer: 'as_offered' | 'counter'; bid?: BidView };
    try {
      outcome = await inTransaction(this.ctx, async (store, events) => {
        const ride = await store.shareLockRide(data.rideId);
        if (!ride) throw new AppError('not_found', 'no such ride');
        await store.lockDriver(driverId);
        const openBid = await store.findOpenBid(ride.id, driverId);
        const decision = orThrow(
          decidePlaceBid({
            ride: { id: ride.id, status: ride.status, fare: ride.fare, customerId: ride.customer_id },
            driverId,
            fare: data.fare,
            driverBusy: await store.isDriverBusy(driverId),
            // Read under the driver's lock and the ride's share lock: whatever gives or ends an offer holds one of them.
            offer: await store.readOfferStatus(ride.id, driverId),
            openBid: openBid ?? null,
            maxCounterMultiplier: config.maxCounterMultiplier,
            bidTtlMs: config.bidTtlMs,
            now: clock.now(),
          }),
        ).state;
        if (decision.kind === 'existing') return { bidId: decision.bidId, offer: data.fare === ride.fare ? 'as_offered' : 'counter' };
        const pickupDistance = Math.round(distanceM(here.location, { lat: ride.pickup_lat, lng: ride.pickup_lng }));
        const bidId = await store.insertBid({
          rideId: ride.id,
          driverId,
          fare: decision.fare,
          etaS: etaSeconds(pickupDistance, config.pricing[ride.ride_vehicle_type]),
          distanceM: pickupDistance,
          expiresAt: new Date(decision.expiresAt),
        });
        await store.recordBid(ride.id, driverId);
        const bid = (await store.readBidView(bidId)) as BidView;
        events.push({
          rideId: ride.id,
          type: 'bid_placed',
          actorRole: 'driver',
          actorId: driverId,
          data: { bidId, fare: decision.fare, offer: decision.offer },
          effects: { frames: [frame(ride.customer_id, 'bid.received', { rideId: ride.id, vehicleType: ride.ride_vehicle_type, bid })] },
        });
        return { bidId, offer: decision.offer, bid };
      });
    } catch (error) {
      // Two bids of one driver raced: the unique index kept one; answer as the domain would.
      if (pgErrorCode(error) !== PG_UNIQUE_VIOLATION) throw error;
      const existing = await findOpenBid(pool, data.rideId, driverId);
      if (!existing) throw error;
      if (existing.fare !== data.fare) {
        throw new AppError('already_bid', 'you already have an open bid on this ride; wait for it to expire', { details: { bidId: existing.id, fare: existing.fare } });
      }
      const ride = await readRide(pool, data.rideId);
      outcome = { bidId: existing.id, offer: ride && ride.fare === data.fare ? 'as_offered' : 'counter' };
    }
    // A new bid was read in its transaction; an existing one (a repeat) is read now.
    const bid = outcome.bid ?? (await readBidView(pool, outcome.bidId));
    if (!bid) throw new AppError('bid_not_found', 'the bid is gone');
    return { bid, offer: outcome.offer };
  }

  async raiseFare(caller: Caller, data: ClientMessageDataOf<'ride.raise_fare'>): Promise<{ ride: RideView }> {
    const { config, clock } = this.ctx;
    const actor: RideActor = { role: 'customer', userId: caller.userId };
    const updated = await inTransaction(this.ctx, async (store, events) => {
      const row = await store.lockRide(data.rideId);
      if (!row || row.customer_id !== caller.userId) throw new AppError('not_found', 'no such ride of yours');
      const decision = orThrow(
        decideRaiseFare({
          ride: { status: row.status, fare: row.fare, customerId: row.customer_id },
          actor,
          fare: data.fare,
          maximumFare: maxCounterFare(row.suggested_fare, config.maxCounterMultiplier),
        }),
      );
      if (row.payment_method === 'wallet') assertWalletCovers(await walletOf(store, row.customer_id, row.currency), data.fare, row.currency, 'your wallet balance is lower than the fare');
      const raised = await store.updateAskedFare(row.id, row.fare, data.fare);
      if (!raised) throw new AppError('ride_not_open', 'the ride is no longer open for bids');
      const event = { rideId: row.id, type: 'fare_raised' as const, actorRole: 'customer' as const, actorId: caller.userId, data: { from: row.fare, to: data.fare } };
      for (const effect of decision.effects) {
        if (effect.type === 'reoffer_non_bidders') {
          const waiting = (await store.listOfferHolders(row.id)).filter((holder) => holder.status === 'offered');
          const busy = await store.busyDriverIds(waiting.map((holder) => holder.driverId));
          const view = rideRowToView(raised);
          addEffects(event, {
            frames: waiting
              .filter((holder) => !busy.has(holder.driverId))
              .map((holder) => frame(holder.driverId, 'ride.requested', { ride: view, distanceToPickupM: holder.distanceM, expiresAt: view.expiresAt })),
          });
        } else {
          // widen_search: one step wider, ticking now.
          const state = widen(config.match, { tick: raised.match_tick, radiusIndex: raised.match_radius_index });
          await store.updateSearch(row.id, state, new Date(clock.now()));
        }
      }
      events.push(event);
      return raised;
    });
    this.timers.tickSoon(updated.id);
    return { ride: rideRowToView(updated) };
  }

  async acceptBid(caller: Caller, data: ClientMessageDataOf<'bid.accept'>): Promise<{ ride: RideView; driver: ActiveRide['driver'] }> {
    const { clock, config, pool } = this.ctx;
    const actor: RideActor = { role: 'customer', userId: caller.userId };
    let ride;
    try {
      ride = await inTransaction(this.ctx, async (store, events) => {
        const row = await store.lockRide(data.rideId);
        if (!row || row.customer_id !== caller.userId) throw new AppError('not_found', 'no such ride of yours');
        const decide = (bid: BidState | undefined) =>
          orThrow(
            decideAcceptBid({
              ride: { id: row.id, status: row.status, customerId: row.customer_id, acceptedBidId: row.accepted_bid_id },
              bid,
              actor,
              now: clock.now(),
            }),
          ).state;
        // Read first (no lock), then lock the driver and every bid this accept changes, in id order.
        const first = decide(await store.readBid(data.bidId));
        if (first.kind === 'already_accepted') return row;
        await store.lockDriver(first.bid.driverId);
        const locked = await store.lockOpenBids({ rideId: row.id, driverId: first.bid.driverId });
        const decision = decide(locked.find((bid) => bid.id === data.bidId) ?? (await store.readBid(data.bidId)));
        if (decision.kind === 'already_accepted') return row;
        const chosen = decision.bid;
        if (await store.isDriverBusy(chosen.driverId)) throw new AppError('driver_busy', 'that driver has just taken another ride');
        if (row.payment_method === 'wallet') assertWalletCovers(await walletOf(store, row.customer_id, row.currency), chosen.fare, row.currency, 'your wallet balance is lower than this bid');
        const terms = { ...config.cancellation, etaS: await store.readBidEtaS(chosen.id) };
        const transition = orThrow(applyRideEvent(rideRowToLifecycle(row), { type: 'assign', driverId: chosen.driverId, bidId: chosen.id, agreedFare: chosen.fare, terms }, actor));
        const updated = await store.persistRideTransition(row.id, row.status, transition.state, new Date(clock.now()));
        if (!updated) throw new AppError('ride_not_open', 'the ride is no longer open for bids');
        if (!(await store.closeBid(chosen.id, 'accepted'))) throw new AppError('bid_expired', 'the bid is no longer open');
        const event = {
          rideId: row.id,
          type: 'assigned' as const,
          fromStatus: row.status,
          toStatus: updated.status,
          actorRole: 'customer' as const,
          actorId: caller.userId,
          data: { bidId: chosen.id, driverId: chosen.driverId, fare: chosen.fare },
        };
        events.push(...(await carryOutRideEffects({ store, ride: updated, actor, event, commissionPct: config.commissionPct, now: clock.now() }, transition.effects)));
        return updated;
      });
    } catch (error) {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw new AppError('driver_busy', 'that driver has just taken another ride');
      throw error;
    }
    const parties = await readRideParties(pool, ride.id);
    return { ride: rideRowToView(ride, clock.now()), driver: parties?.driver ?? null };
  }
}
