/**
 * The rides orchestration: each operation parses nothing (the transport validated the frame),
 * asks the pure domain what may happen, persists it in one PostgreSQL transaction (row lock +
 * compare-and-set), and only after the commit announces it and carries out the in-memory effects
 * (matching, timers, presence activity, location follows).
 */
import { AppError, distanceM } from '@drivrr/shared';
import { pgErrorCode, PG_UNIQUE_VIOLATION, type Pool, type PoolClient } from '@drivrr/shared/db';
import { getWalletBalance, settleRide } from '@drivrr/shared/ledger';
import type { Logger } from '@drivrr/shared/logger';
import type { ActiveRide, BidView, ClientMessageDataOf, DriverPartyView, PartyView, RideStatus, RideView } from '@drivrr/shared/protocol';
import { getActiveRideForUser, rideRowToView } from '@drivrr/shared/rides-read';
import {
  closeBid,
  findOpenBid,
  insertBid,
  listOpenBids,
  lockBid,
  lockOpenBids,
  openBidDriverIds,
  readBid,
  readBidView,
  rejectOpenBids,
  withdrawOpenBidsOfDriver,
  type WithdrawnBid,
} from '../db/bids.js';
import { insertRideEvent, insertRideEvents, listOffersForRides, type RideEventKind } from '../db/ride-events.js';
import {
  findActiveRideIdOfCustomer,
  insertRideRequest,
  isDriverBusy,
  listEngagedRides,
  listOpenRequests,
  lockDriver,
  lockRide,
  persistRideTransition,
  readRide,
  readRideParties,
  rideRowToLifecycle,
  shareLockRide,
  updateAskedFare,
  withRideTransaction,
  type RideWriteRow,
} from '../db/rides.js';
import { applyBidEvent, decideAcceptBid, decidePlaceBid, decideRaiseFare, type BidState } from '../domain/haggling.js';
import { INITIAL_MATCH_STATE } from '../domain/matching.js';
import { checkAskedFare, estimateTrip, etaSeconds, maxCounterFare } from '../domain/pricing.js';
import { orThrow, toAppError } from '../domain/result.js';
import { applyRideEvent, SYSTEM, targetStatus, type RideActor, type RideEffect, type RideEventType } from '../domain/ride-lifecycle.js';
import type { Caller, DriverPresence, LocationFollows, Notifier } from '../ws/contracts.js';
import type { RidesConfig } from './config.js';
import { BidTimers, RequestSearch, type OpenRequest } from './search.js';

export interface RideServiceDeps {
  pool: Pool;
  notifier: Notifier;
  presence: DriverPresence;
  follows: LocationFollows;
  config: RidesConfig;
  logger: Logger;
  /** The clock (ms since epoch); tests may pin it. */
  now?: () => number;
}

interface EffectExtras {
  /** Bids the transaction rejected (their drivers are told). */
  rejectedBids?: { id: string; driverId: string }[];
  parties?: { customer: PartyView; driver: DriverPartyView | null } | undefined;
}

/** What the effects of one transition share while they are carried out. */
interface EffectContext {
  row: RideWriteRow;
  ride: RideView;
  actor: RideActor;
  extra: EffectExtras;
  /** Drivers already told the ride is gone for them (one `ride.withdrawn` each). */
  toldDrivers: Set<string>;
  /** The open request, once stop_matching took it out of the search (its offers are needed after). */
  request: OpenRequest | undefined;
}

/** Pickup and dropoff closer than this are the same place. */
const MIN_TRIP_M = 50;

const TRANSITION_EVENT_KIND: Record<Exclude<RideEventType, 'assign' | 'cancel' | 'expire'>, RideEventKind> = {
  arrive: 'arrived',
  start: 'started',
  complete: 'completed',
};

export class RideService {
  private readonly search: RequestSearch;
  private readonly bidTimers: BidTimers;
  /** Drivers on a ride (mirror of the database) so presence can be corrected when they reconnect. */
  private readonly engagedDrivers = new Set<string>();
  private readonly now: () => number;
  private stopped = false;
  /** Transactions PostgreSQL aborted (deadlock, serialization) and we ran again: the lock order should keep this at 0. */
  readonly counters = { transactionRetries: 0 };

  constructor(private readonly deps: RideServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.search = new RequestSearch({
      pool: deps.pool,
      presence: deps.presence,
      notifier: deps.notifier,
      policy: deps.config.match,
      now: this.now,
      isEngaged: (driverId) => this.engagedDrivers.has(driverId),
      onExpiryDue: (rideId) => this.expireRequest(rideId),
      onError: (what, error) => deps.logger.error({ err: error }, `rides: ${what} failed`),
    });
    this.bidTimers = new BidTimers(this.now, (bidId) => this.background('expire bid', this.expireBid(bidId)));
  }

  // -------------------------------------------------------------------------------------------
  // ride.request
  // -------------------------------------------------------------------------------------------

  async request(caller: Caller, data: ClientMessageDataOf<'ride.request'>): Promise<{ rideId: string; estimate: RideView['estimate']; ride: RideView }> {
    const { config, pool } = this.deps;
    if (distanceM(data.pickup, data.dropoff) < MIN_TRIP_M) {
      throw new AppError('validation_failed', 'pickup and dropoff are the same place', { details: { minimumDistanceM: MIN_TRIP_M } });
    }
    const estimate = estimateTrip(data.pickup, data.dropoff, config.pricing);
    const tooLow = checkAskedFare(data.fare, estimate);
    if (tooLow) throw toAppError(tooLow);
    const maximumFare = maxCounterFare(estimate.suggestedFare, config.maxCounterMultiplier);
    if (data.fare > maximumFare) {
      throw new AppError('fare_above_maximum', `the fare cannot exceed ${maximumFare}`, { details: { maximumFare, suggestedFare: estimate.suggestedFare } });
    }
    const activeRideId = await findActiveRideIdOfCustomer(pool, caller.userId);
    if (activeRideId) throw new AppError('active_ride_exists', 'you already have a ride in progress', { details: { rideId: activeRideId } });
    if (data.paymentMethod === 'wallet') await this.assertWalletCovers(caller.userId, data.fare);

    const row = await insertRideRequest(pool, {
      customerId: caller.userId,
      pickup: data.pickup,
      dropoff: data.dropoff,
      fare: data.fare,
      currency: config.currency,
      paymentMethod: data.paymentMethod,
      ...estimate,
      expiresAt: new Date(this.now() + config.requestTtlMs),
    });
    const ride = rideRowToView(row);
    this.search.open({ ride, expiresAt: row.expires_at, match: INITIAL_MATCH_STATE });
    this.deps.logger.debug({ rideId: ride.id, fare: ride.fare }, 'ride requested');
    return { rideId: ride.id, estimate: ride.estimate, ride };
  }

  private async assertWalletCovers(customerId: string, fare: number): Promise<void> {
    const balance = await getWalletBalance(this.deps.pool, customerId, this.deps.config.currency);
    if (balance < fare) {
      throw new AppError('insufficient_funds', 'your wallet balance is lower than the fare; top up or pay cash', {
        details: { balance, required: fare, currency: this.deps.config.currency },
      });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Request expiry (the search itself is in search.ts)
  // -------------------------------------------------------------------------------------------

  async expireRequest(rideId: string): Promise<void> {
    const outcome = await this.transaction(async (client) => {
      const row = await lockRide(client, rideId);
      if (!row || row.status !== 'requested') return undefined;
      if (row.expires_at.getTime() > this.now()) return { kind: 'rearm' as const, row };
      const transition = applyRideEvent(rideRowToLifecycle(row), { type: 'expire' }, SYSTEM);
      if (!transition.ok) return undefined;
      const updated = await persistRideTransition(client, rideId, row.status, transition.state);
      if (!updated) return undefined;
      await lockOpenBids(client, { rideId, driverId: null });
      const rejected = await rejectOpenBids(client, rideId, null);
      await insertRideEvent(client, { rideId, type: 'expired', fromStatus: 'requested', toStatus: 'expired', actorRole: 'system', data: { rejectedBids: rejected.map((bid) => bid.id) } });
      return { kind: 'expired' as const, ride: updated, effects: transition.effects, rejected };
    });
    if (!outcome) {
      this.search.close(rideId);
      return;
    }
    if (outcome.kind === 'rearm') {
      this.search.rearmExpiry(rideId, outcome.row.expires_at);
      return;
    }
    this.applyEffects(outcome.ride, outcome.effects, SYSTEM, { rejectedBids: outcome.rejected });
  }

  // -------------------------------------------------------------------------------------------
  // bid.place, bid expiry, ride.raise_fare
  // -------------------------------------------------------------------------------------------

  async placeBid(caller: Caller, data: ClientMessageDataOf<'bid.place'>): Promise<{ bid: BidView; offer: 'as_offered' | 'counter' }> {
    const { pool, presence, config } = this.deps;
    const driverId = caller.userId;
    const here = presence.get(driverId);
    if (!here) throw new AppError('driver_offline', 'go online (driver.online) before bidding');
    let outcome: { bidId: string; offer: 'as_offered' | 'counter'; created: boolean; customerId: string };
    try {
      outcome = await this.transaction(async (client) => {
        const ride = await shareLockRide(client, data.rideId);
        if (!ride) throw new AppError('not_found', 'no such ride');
        await lockDriver(client, driverId);
        const openBid = await findOpenBid(client, ride.id, driverId);
        const decision = orThrow(
          decidePlaceBid({
            ride: { id: ride.id, status: ride.status, fare: ride.fare, customerId: ride.customer_id },
            driverId,
            fare: data.fare,
            driverBusy: await isDriverBusy(client, driverId),
            openBid: openBid ?? null,
            maxCounterMultiplier: config.maxCounterMultiplier,
            bidTtlMs: config.bidTtlMs,
            now: this.now(),
          }),
        ).state;
        if (decision.kind === 'existing') {
          return { bidId: decision.bidId, offer: data.fare === ride.fare ? 'as_offered' : 'counter', created: false, customerId: ride.customer_id };
        }
        const pickupDistance = distanceM(here.location, { lat: ride.pickup_lat, lng: ride.pickup_lng });
        const bidId = await insertBid(client, {
          rideId: ride.id,
          driverId,
          fare: decision.fare,
          etaS: etaSeconds(pickupDistance, config.pricing),
          distanceM: Math.round(pickupDistance),
          expiresAt: new Date(decision.expiresAt),
        });
        await insertRideEvent(client, { rideId: ride.id, type: 'bid_placed', actorRole: 'driver', actorId: driverId, data: { bidId, fare: decision.fare, offer: decision.offer } });
        return { bidId, offer: decision.offer, created: true, customerId: ride.customer_id };
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
      outcome = { bidId: existing.id, offer: ride && ride.fare === data.fare ? 'as_offered' : 'counter', created: false, customerId: ride?.customer_id ?? '' };
    }
    const bid = await readBidView(pool, outcome.bidId);
    if (!bid) throw new AppError('bid_not_found', 'the bid is gone');
    if (outcome.created) {
      this.bidTimers.arm(bid.id, Date.parse(bid.expiresAt));
      this.deps.notifier.notify(outcome.customerId, 'bid.received', { rideId: bid.rideId, bid });
    }
    return { bid, offer: outcome.offer };
  }

  async expireBid(bidId: string): Promise<void> {
    const expired = await this.transaction(async (client) => {
      const bid = await lockBid(client, bidId);
      if (!bid) return undefined;
      const ride = await readRide(client, bid.rideId);
      if (!ride) return undefined;
      const transition = applyBidEvent(bid, { type: 'expire' }, SYSTEM, { rideCustomerId: ride.customer_id, now: this.now() });
      if (!transition.ok) return transition.code === 'invalid_transition' && bid.status === 'open' ? { kind: 'rearm' as const, expiresAt: bid.expiresAt } : undefined;
      if (!(await closeBid(client, bidId, 'expired'))) return undefined;
      await insertRideEvent(client, { rideId: bid.rideId, type: 'bid_expired', actorRole: 'system', data: { bidId, driverId: bid.driverId } });
      return { kind: 'expired' as const, rideId: bid.rideId, driverId: bid.driverId, customerId: ride.customer_id };
    });
    if (!expired) return;
    if (expired.kind === 'rearm') {
      this.bidTimers.arm(bidId, expired.expiresAt);
      return;
    }
    this.deps.notifier.notify(expired.customerId, 'bid.expired', { rideId: expired.rideId, bidId });
    this.deps.notifier.notify(expired.driverId, 'bid.expired', { rideId: expired.rideId, bidId });
  }

  async raiseFare(caller: Caller, data: ClientMessageDataOf<'ride.raise_fare'>): Promise<{ ride: RideView }> {
    const { pool, config } = this.deps;
    const actor: RideActor = { role: 'customer', userId: caller.userId };
    const outcome = await this.transaction(async (client) => {
      const row = await lockRide(client, data.rideId);
      if (!row || row.customer_id !== caller.userId) throw new AppError('not_found', 'no such ride of yours');
      const decision = orThrow(
        decideRaiseFare({
          ride: { status: row.status, fare: row.fare, customerId: row.customer_id },
          actor,
          fare: data.fare,
          maximumFare: maxCounterFare(row.suggested_fare, config.maxCounterMultiplier),
        }),
      );
      if (row.payment_method === 'wallet') {
        const balance = await getWalletBalance(client, row.customer_id, row.currency);
        if (balance < data.fare) throw new AppError('insufficient_funds', 'your wallet balance is lower than the fare', { details: { balance, required: data.fare, currency: row.currency } });
      }
      const updated = await updateAskedFare(client, row.id, row.fare, data.fare);
      if (!updated) throw new AppError('ride_not_open', 'the ride is no longer open for bids');
      await insertRideEvent(client, { rideId: row.id, type: 'fare_raised', actorRole: 'customer', actorId: caller.userId, data: { from: row.fare, to: data.fare } });
      return { ride: updated, effects: decision.effects };
    });
    const ride = rideRowToView(outcome.ride);
    // The domain's effects (re-offer to non-bidders, widen the search) are one step of the search.
    if (outcome.effects.length > 0) this.search.raised(ride, await openBidDriverIds(pool, ride.id));
    return { ride };
  }

  // -------------------------------------------------------------------------------------------
  // bid.accept: atomic
  // -------------------------------------------------------------------------------------------

  async acceptBid(caller: Caller, data: ClientMessageDataOf<'bid.accept'>): Promise<{ ride: RideView; driver: ActiveRide['driver'] }> {
    const { pool } = this.deps;
    const actor: RideActor = { role: 'customer', userId: caller.userId };
    let outcome;
    try {
      outcome = await this.transaction(async (client) => {
        const row = await lockRide(client, data.rideId);
        if (!row || row.customer_id !== caller.userId) throw new AppError('not_found', 'no such ride of yours');
        const decide = (bid: BidState | undefined) =>
          orThrow(
            decideAcceptBid({
              ride: { id: row.id, status: row.status, customerId: row.customer_id, acceptedBidId: row.accepted_bid_id },
              bid,
              actor,
              now: this.now(),
            }),
          ).state;
        // Read first (no lock), then lock the driver and every bid this accept changes, in id order.
        const first = decide(await readBid(client, data.bidId));
        if (first.kind === 'already_accepted') return { repeat: true as const, ride: row };
        await lockDriver(client, first.bid.driverId);
        const locked = await lockOpenBids(client, { rideId: row.id, driverId: first.bid.driverId });
        const decision = decide(locked.find((bid) => bid.id === data.bidId) ?? (await readBid(client, data.bidId)));
        if (decision.kind === 'already_accepted') return { repeat: true as const, ride: row };
        const chosen = decision.bid;
        if (await isDriverBusy(client, chosen.driverId)) throw new AppError('driver_busy', 'that driver has just taken another ride');
        if (row.payment_method === 'wallet') {
          const balance = await getWalletBalance(client, row.customer_id, row.currency);
          if (balance < chosen.fare) throw new AppError('insufficient_funds', 'your wallet balance is lower than this bid', { details: { balance, required: chosen.fare, currency: row.currency } });
        }
        const transition = orThrow(applyRideEvent(rideRowToLifecycle(row), { type: 'assign', driverId: chosen.driverId, bidId: chosen.id, agreedFare: chosen.fare }, actor));
        const updated = await persistRideTransition(client, row.id, row.status, transition.state);
        if (!updated) throw new AppError('ride_not_open', 'the ride is no longer open for bids');
        if (!(await closeBid(client, chosen.id, 'accepted'))) throw new AppError('bid_expired', 'the bid is no longer open');
        const rejected = await rejectOpenBids(client, row.id, chosen.id);
        const withdrawn = await withdrawOpenBidsOfDriver(client, chosen.driverId, row.id);
        await insertRideEvent(client, {
          rideId: row.id,
          type: 'assigned',
          fromStatus: 'requested',
          toStatus: 'assigned',
          actorRole: 'customer',
          actorId: caller.userId,
          data: { bidId: chosen.id, driverId: chosen.driverId, fare: chosen.fare, rejectedBids: rejected.map((bid) => bid.id) },
        });
        await insertRideEvents(
          client,
          withdrawn.map((bid) => ({ rideId: bid.rideId, type: 'bid_withdrawn' as const, actorRole: 'system' as const, data: { bidId: bid.id, driverId: chosen.driverId, reason: 'driver_busy' } })),
        );
        return { repeat: false as const, ride: updated, effects: transition.effects, rejected, withdrawn };
      });
    } catch (error) {
      if (pgErrorCode(error) === PG_UNIQUE_VIOLATION) throw new AppError('driver_busy', 'that driver has just taken another ride');
      throw error;
    }
    const parties = await readRideParties(pool, outcome.ride.id);
    if (!outcome.repeat) {
      this.applyEffects(outcome.ride, outcome.effects, actor, { rejectedBids: outcome.rejected, parties });
      this.announceWithdrawnBids(outcome.withdrawn, 'driver_busy');
    }
    return { ride: rideRowToView(outcome.ride), driver: parties?.driver ?? null };
  }

  // -------------------------------------------------------------------------------------------
  // ride.arrived / ride.start / ride.complete, ride.cancel
  // -------------------------------------------------------------------------------------------

  async advance(caller: Caller, type: 'arrive' | 'start' | 'complete', rideId: string): Promise<{ ride: RideView }> {
    const { config } = this.deps;
    const actor: RideActor = { role: 'driver', userId: caller.userId };
    const outcome = await this.transaction(async (client) => {
      const row = await lockRide(client, rideId);
      if (!row || (row.driver_id !== caller.userId && row.customer_id !== caller.userId)) throw new AppError('not_found', 'no such ride of yours');
      const transition = applyRideEvent(rideRowToLifecycle(row), { type }, actor);
      if (!transition.ok) {
        // A repeated tap (the ride is already where this event leads): answer with the ride.
        if (row.driver_id === caller.userId && isRepeatOf(type, row)) return { repeat: true as const, ride: row };
        throw toAppError(transition);
      }
      const updated = await persistRideTransition(client, row.id, row.status, transition.state);
      if (!updated) throw new AppError('invalid_transition', 'the ride changed meanwhile; try again');
      await insertRideEvent(client, { rideId: row.id, type: TRANSITION_EVENT_KIND[type], fromStatus: row.status, toStatus: updated.status, actorRole: 'driver', actorId: caller.userId });
      for (const effect of transition.effects) {
        if (effect.type === 'settle') {
          // In the same transaction as the status change: a completed ride is always settled.
          await settleRide(client, {
            rideId: row.id,
            customerId: row.customer_id,
            driverId: effect.driverId,
            fare: effect.fare,
            currency: row.currency,
            paymentMethod: row.payment_method,
            commissionPct: config.commissionPct,
          });
        }
      }
      return { repeat: false as const, ride: updated, effects: transition.effects };
    });
    if (!outcome.repeat) this.applyEffects(outcome.ride, outcome.effects, actor, {});
    return { ride: rideRowToView(outcome.ride) };
  }

  async cancel(caller: Caller, data: ClientMessageDataOf<'ride.cancel'>): Promise<{ ride: RideView }> {
    return this.cancelAs({ role: caller.role === 'driver' ? 'driver' : 'customer', userId: caller.userId }, data.rideId, data.reason, data.expectedStatus);
  }

  async cancelAs(actor: RideActor, rideId: string, reason: string, expectedStatus?: RideStatus): Promise<{ ride: RideView }> {
    const outcome = await this.transaction(async (client) => {
      const row = await lockRide(client, rideId);
      if (!row) throw new AppError('not_found', 'no such ride');
      if (actor.role !== 'system' && row.customer_id !== actor.userId && row.driver_id !== actor.userId) {
        throw new AppError('not_found', 'no such ride of yours');
      }
      const transition = applyRideEvent(rideRowToLifecycle(row), { type: 'cancel', reason, expectedStatus }, actor);
      if (!transition.ok) {
        if (row.status === 'cancelled' && row.cancelled_by === actor.role) return { repeat: true as const, ride: row };
        throw toAppError(transition);
      }
      const updated = await persistRideTransition(client, row.id, row.status, transition.state);
      if (!updated) throw new AppError('invalid_transition', 'the ride changed meanwhile; try again');
      if (row.status === 'requested') await lockOpenBids(client, { rideId: row.id, driverId: null });
      const rejected = row.status === 'requested' ? await rejectOpenBids(client, row.id, null) : [];
      await insertRideEvent(client, {
        rideId: row.id,
        type: 'cancelled',
        fromStatus: row.status,
        toStatus: 'cancelled',
        actorRole: actor.role,
        actorId: actor.role === 'system' ? null : actor.userId,
        data: { reason, rejectedBids: rejected.map((bid) => bid.id) },
      });
      return { repeat: false as const, ride: updated, effects: transition.effects, rejected };
    });
    if (!outcome.repeat) this.applyEffects(outcome.ride, outcome.effects, actor, { rejectedBids: outcome.rejected });
    return { ride: rideRowToView(outcome.ride) };
  }

  // -------------------------------------------------------------------------------------------
  // Effects: after the commit, announce and update in-memory state
  // -------------------------------------------------------------------------------------------

  private applyEffects(row: RideWriteRow, effects: readonly RideEffect[], actor: RideActor, extra: EffectExtras): void {
    const context: EffectContext = { row, ride: rideRowToView(row), actor, extra, toldDrivers: new Set(row.driver_id ? [row.driver_id] : []), request: undefined };
    for (const effect of effects) {
      try {
        this.applyEffect(effect, context);
      } catch (error) {
        // The change is committed: one failed announcement must not stop the others.
        this.deps.logger.error({ err: error, rideId: row.id, effect: effect.type }, 'rides: applying an effect failed');
      }
    }
    this.deps.logger.debug({ rideId: row.id, status: row.status }, 'ride transition');
  }

  private applyEffect(effect: RideEffect, context: EffectContext): void {
    const { notifier, presence, follows } = this.deps;
    const { row, ride, actor, extra, toldDrivers } = context;
    switch (effect.type) {
      case 'stop_matching':
        context.request = this.search.close(row.id);
        break;
      case 'reject_open_bids':
        for (const bid of extra.rejectedBids ?? []) {
          this.bidTimers.clear(bid.id);
          notifier.notify(bid.driverId, 'bid.rejected', { rideId: row.id, bidId: bid.id });
          if (!toldDrivers.has(bid.driverId)) notifier.notify(bid.driverId, 'ride.withdrawn', { rideId: row.id, reason: effect.reason });
          toldDrivers.add(bid.driverId);
        }
        break;
      case 'withdraw_offers':
        for (const driverId of context.request?.offers.keys() ?? []) {
          if (toldDrivers.has(driverId)) continue;
          notifier.notify(driverId, 'ride.withdrawn', { rideId: row.id, reason: effect.reason });
          toldDrivers.add(driverId);
        }
        break;
      case 'driver_busy':
        this.engagedDrivers.add(effect.driverId);
        presence.setActivity(effect.driverId, 'on_ride');
        // A driver on a ride is offered nothing else: their other offers are withdrawn at once.
        for (const otherRideId of this.search.withdrawOffersOf(effect.driverId, row.id)) {
          notifier.notify(effect.driverId, 'ride.withdrawn', { rideId: otherRideId, reason: 'driver_busy' });
        }
        break;
      case 'driver_free':
        this.engagedDrivers.delete(effect.driverId);
        presence.setActivity(effect.driverId, 'idle');
        break;
      case 'follow_driver':
        follows.follow(effect.customerId, effect.driverId);
        break;
      case 'unfollow_driver':
        follows.unfollow(effect.customerId, effect.driverId);
        break;
      case 'settle':
        break; // done inside the transaction
      case 'announce_assigned': {
        const driverId = row.driver_id as string;
        for (const bid of extra.rejectedBids ?? []) this.bidTimers.clear(bid.id);
        if (row.accepted_bid_id) this.bidTimers.clear(row.accepted_bid_id);
        notifier.notify(driverId, 'ride.assigned', { ride, ...(extra.parties ? { customer: extra.parties.customer } : {}) });
        notifier.notify(row.customer_id, 'ride.assigned', { ride, ...(extra.parties?.driver ? { driver: extra.parties.driver } : {}) });
        break;
      }
      case 'announce_status':
        notifier.notify(row.customer_id, 'ride.status', { rideId: row.id, status: effect.status });
        if (row.driver_id) notifier.notify(row.driver_id, 'ride.status', { rideId: row.id, status: effect.status });
        break;
      case 'announce_cancelled': {
        const frame = { rideId: row.id, by: effect.by, reason: effect.reason };
        if (actor.role !== 'customer') notifier.notify(row.customer_id, 'ride.cancelled', frame);
        if (actor.role !== 'driver' && row.driver_id) notifier.notify(row.driver_id, 'ride.cancelled', frame);
        break;
      }
      case 'announce_expired':
        notifier.notify(row.customer_id, 'ride.expired', { rideId: row.id });
        break;
    }
  }

  private announceWithdrawnBids(withdrawn: readonly WithdrawnBid[], reason: 'driver_offline' | 'driver_busy'): void {
    for (const bid of withdrawn) {
      this.bidTimers.clear(bid.id);
      this.deps.notifier.notify(bid.customerId, 'bid.withdrawn', { rideId: bid.rideId, bidId: bid.id, reason });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Presence, session state, recovery
  // -------------------------------------------------------------------------------------------

  /** A driver went offline: their open bids are withdrawn (the customers are told). */
  async driverOffline(driverId: string): Promise<void> {
    const withdrawn = await this.transaction(async (client) => {
      await lockDriver(client, driverId);
      await lockOpenBids(client, { rideId: null, driverId });
      const bids = await withdrawOpenBidsOfDriver(client, driverId, null);
      await insertRideEvents(
        client,
        bids.map((bid) => ({ rideId: bid.rideId, type: 'bid_withdrawn' as const, actorRole: 'system' as const, data: { bidId: bid.id, driverId, reason: 'driver_offline' } })),
      );
      return bids;
    });
    this.announceWithdrawnBids(withdrawn, 'driver_offline');
  }

  /** Cheap (runs on every fix): a driver on a ride who reconnected shows as on a ride again. */
  driverLocated(driverId: string, activity: 'idle' | 'on_ride'): void {
    if (activity === 'idle' && this.engagedDrivers.has(driverId)) this.deps.presence.setActivity(driverId, 'on_ride');
  }

  /** The rides part of `session.state`: the live ride, the open request, a driver's current offers. */
  async sessionState(caller: Caller): Promise<Record<string, unknown>> {
    if (caller.role === 'operator') return {};
    const ride = await getActiveRideForUser(this.deps.pool, caller.userId, caller.role);
    if (caller.role === 'customer') {
      if (ride && ride.status !== 'requested' && ride.driverId) this.deps.follows.follow(caller.userId, ride.driverId);
      return { activeRide: ride && ride.status !== 'requested' ? ride : null, openRequest: ride && ride.status === 'requested' ? ride : null };
    }
    if (ride) this.deps.presence.setActivity(caller.userId, 'on_ride');
    const offers = ride ? [] : this.search.offersFor(caller.userId);
    return { activeRide: ride ?? null, openRequest: null, offers };
  }

  /**
   * After a (re)start: re-arm every open request (its search and expiry) and open bid (its
   * expiry), expiring at once what ran out while the service was down; restore who is on a ride.
   */
  async recover(): Promise<{ requests: number; bids: number; engaged: number }> {
    const { pool, follows, presence, config } = this.deps;
    const open = await listOpenRequests(pool);
    const offers = await listOffersForRides(pool, open.map((row) => row.id));
    for (const row of open) {
      const offered = new Map((offers.get(row.id) ?? []).map((offer) => [offer.driverId, offer.distanceM] as const));
      const elapsedTicks = Math.floor((this.now() - row.created_at.getTime()) / config.match.stepMs);
      this.search.open({ ride: rideRowToView(row), expiresAt: row.expires_at, match: { tick: Math.max(0, elapsedTicks), radiusIndex: 0 }, offers: offered });
    }
    const bids = await listOpenBids(pool);
    for (const bid of bids) this.bidTimers.arm(bid.id, bid.expiresAt.getTime());
    const engaged = await listEngagedRides(pool);
    for (const ride of engaged) {
      this.engagedDrivers.add(ride.driver_id);
      follows.follow(ride.customer_id, ride.driver_id);
      if (presence.get(ride.driver_id)) presence.setActivity(ride.driver_id, 'on_ride');
    }
    return { requests: open.length, bids: bids.length, engaged: engaged.length };
  }

  private transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return withRideTransaction(this.deps.pool, work, (code) => {
      this.counters.transactionRetries += 1;
      this.deps.logger.warn({ code }, 'rides: transaction retried');
    });
  }

  stop(): void {
    this.stopped = true;
    this.search.stop();
    this.bidTimers.stop();
  }

  /** Timer work: never an unhandled rejection; a failure is logged and the next timer retries. */
  private background(what: string, work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      if (this.stopped) return;
      this.deps.logger.error({ err: error }, `rides: ${what} failed`);
    });
  }
}

function isRepeatOf(type: 'arrive' | 'start' | 'complete', row: RideWriteRow): boolean {
  const previous = { arrive: 'assigned', start: 'arrived', complete: 'in_progress' } as const;
  return targetStatus(previous[type], type) === row.status;
}
