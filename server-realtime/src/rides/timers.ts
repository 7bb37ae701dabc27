/**
 * The rides module's timers, as due rows in PostgreSQL rather than per-process setTimeouts: an
 * open request's expiry (rides.expires_at), an open bid's (bids.expires_at) and the widening
 * search's next tick (rides.next_tick_at). Each is claimed with FOR UPDATE SKIP LOCKED in a
 * short transaction that does the work, so however many realtime processes poll one database, a
 * request expires once, a bid expires once and a driver is offered a ride once; a restart needs
 * no recovery, the rows are simply still due.
 */
import { rideRowToView } from '@drivrr/store/rides-read';
import type { NewRideEvent } from '../db/ride-events.js';
import type { RideWriteRow } from '../db/rides.js';
import { applyBidEvent } from '../domain/haggling.js';
import { largestRadiusM, planMatchTick } from '../domain/matching.js';
import { SYSTEM } from '../domain/ride-lifecycle.js';
import { inTransaction, type RideContext } from './context.js';
import { bidEffectFrames, frame } from './effects.js';
import type { RideStore } from './store.js';

/** Due rows handled per kind in one poll, so one poll never runs unbounded. */
const MAX_PER_POLL = 100;

export class RideTimers {
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly ctx: RideContext,
    /** Expires a claimed request inside the claiming transaction (the lifecycle's expire). */
    private readonly expireClaimed: (store: RideStore, ride: RideWriteRow, events: NewRideEvent[]) => Promise<void>,
  ) {}

  start(): void {
    this.ctx.clock.every(this.ctx.config.pollMs, () => this.runDue());
  }

  /** One poll: everything due now, in the order expiries, bid expiries, search ticks. */
  async runDue(): Promise<void> {
    if (this.stopped) return;
    // A search tick started by a command finishes first: each poll sees what the commands before it did.
    await Promise.allSettled([...this.running]);
    await this.track(this.drain(() => this.expireOneRequest()));
    await this.track(this.drain(() => this.expireOneBid()));
    await this.track(this.drain(() => this.tickOne(null)));
  }

  /** A request was just made or raised: run its due search tick now rather than at the next poll. */
  tickSoon(rideId: string): void {
    if (this.stopped) return;
    void this.track(this.tickOne(rideId)).catch((error: unknown) => this.ctx.logger.error({ err: error, rideId }, 'rides: a search tick failed'));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.running]);
  }

  private async drain(one: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < MAX_PER_POLL && !this.stopped; i += 1) {
      try {
        if (!(await one())) return;
      } catch (error) {
        this.ctx.logger.error({ err: error }, 'rides: due work failed (retried at the next poll)');
        return;
      }
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    void work.finally(() => this.running.delete(work)).catch(() => {});
    return work;
  }

  private now(): Date {
    return new Date(this.ctx.clock.now());
  }

  private expireOneRequest(): Promise<boolean> {
    return inTransaction(this.ctx, async (store, events) => {
      const ride = await store.claimDueExpiry(this.now());
      if (!ride) return false;
      await this.expireClaimed(store, ride, events);
      return true;
    });
  }

  private expireOneBid(): Promise<boolean> {
    return inTransaction(this.ctx, async (store, events) => {
      const bid = await store.claimDueBid(this.now());
      if (!bid) return false;
      const ride = await store.readRide(bid.rideId);
      if (!ride) return true;
      const transition = applyBidEvent(bid, { type: 'expire' }, SYSTEM, { rideCustomerId: ride.customer_id, now: this.ctx.clock.now() });
      if (!transition.ok || !(await store.closeBid(bid.id, 'expired'))) return true;
      // Their bid gone, the driver holds the offer again (and may bid anew).
      await store.setOfferStatus(bid.rideId, bid.driverId, 'bid', 'offered');
      events.push({
        rideId: bid.rideId,
        type: 'bid_expired',
        actorRole: 'system',
        data: { bidId: bid.id, driverId: bid.driverId },
        effects: { frames: bidEffectFrames(bid, ride.customer_id, transition.effects) },
      });
      return true;
    });
  }

  /** One step of the search of one due request: offer it to up to a batch of new idle drivers, nearest first. */
  private tickOne(rideId: string | null): Promise<boolean> {
    const { presence, config } = this.ctx;
    const policy = config.match;
    return inTransaction(this.ctx, async (store, events) => {
      const ride = await store.claimDueTick(this.now(), rideId);
      if (!ride) return false;
      const holders = new Set((await store.listOfferHolders(ride.id)).map((holder) => holder.driverId));
      const pickup = { lat: ride.pickup_lat, lng: ride.pickup_lng };
      const candidates = await presence.nearestIdle(pickup, largestRadiusM(policy), holders.size + policy.batch * 2);
      const fresh = candidates.filter((candidate) => !holders.has(candidate.driverId) && candidate.driverId !== ride.customer_id);
      // Presence says idle; the database has the last word on who is on a ride.
      const busy = await store.busyDriverIds(fresh.map((candidate) => candidate.driverId));
      const plan = planMatchTick(policy, { tick: ride.match_tick, radiusIndex: ride.match_radius_index }, candidates, new Set([...holders, ...busy, ride.customer_id]));
      await store.updateSearch(ride.id, plan.state, new Date(this.ctx.clock.now() + policy.stepMs));
      if (plan.offers.length === 0) return true;
      const offers = plan.offers.map((offer) => ({ driverId: offer.driverId, distanceM: Math.round(offer.distanceM) }));
      await store.insertOffers(ride.id, offers);
      const view = rideRowToView(ride);
      events.push({
        rideId: ride.id,
        type: 'offered',
        actorRole: 'system',
        data: { radiusM: plan.radiusM, drivers: offers },
        effects: { frames: offers.map((offer) => frame(offer.driverId, 'ride.requested', { ride: view, distanceToPickupM: offer.distanceM, expiresAt: view.expiresAt })) },
      });
      return true;
    });
  }
}
