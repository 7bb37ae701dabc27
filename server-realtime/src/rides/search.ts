/**
 * The open requests being haggled over, in memory: for each, the widening search for drivers
 * (ticks MATCH_STEP_MS apart, policy in domain/matching.ts) and the expiry timer. Everything here
 * can be rebuilt from the database (rides.expires_at, `offered` events), which recovery does.
 */
import type { Pool } from '@drivrr/shared/db';
import type { LatLng, RideView } from '@drivrr/shared/protocol';
import { insertRideEvent } from '../db/ride-events.js';
import { busyDriverIds } from '../db/rides.js';
import { largestRadiusM, planMatchTick, widen, type MatchPolicy, type MatchState } from '../domain/matching.js';
import type { DriverPresence, Notifier } from '../ws/contracts.js';

/** Timers fire this long after the stored expiry, so they never beat it by a hair. */
export const TIMER_SLACK_MS = 5;

export interface OpenRequest {
  rideId: string;
  customerId: string;
  pickup: LatLng;
  /** The ride as drivers are shown it (updated when the fare is raised). */
  ride: RideView;
  match: MatchState;
  /** Drivers offered this ride, with their distance to the pickup when offered. */
  offers: Map<string, number>;
  expiryTimer: NodeJS.Timeout | undefined;
  tickTimer: NodeJS.Timeout | undefined;
  ticking: boolean;
}

export interface DriverOffer {
  ride: RideView;
  distanceToPickupM: number;
  expiresAt: string;
}

export interface RequestSearchDeps {
  pool: Pool;
  presence: DriverPresence;
  notifier: Notifier;
  policy: MatchPolicy & { stepMs: number };
  now: () => number;
  /** Drivers on a ride right now (never offered anything). */
  isEngaged: (driverId: string) => boolean;
  /** The request's time is up: the caller expires it (in the database, under its lock). */
  onExpiryDue: (rideId: string) => Promise<void>;
  /** Timer work failed (logged by the caller; the next tick retries). */
  onError: (what: string, error: unknown) => void;
}

export class RequestSearch {
  private readonly requests = new Map<string, OpenRequest>();
  private stopped = false;

  constructor(private readonly deps: RequestSearchDeps) {}

  /** Registers an open request: arms its expiry at `expiresAt` and starts (or resumes) its search now. */
  open(input: { ride: RideView; expiresAt: Date; match: MatchState; offers?: Map<string, number> }): void {
    const { ride } = input;
    this.close(ride.id);
    const request: OpenRequest = {
      rideId: ride.id,
      customerId: ride.customerId,
      pickup: { lat: ride.pickup.lat, lng: ride.pickup.lng },
      ride,
      match: input.match,
      offers: input.offers ?? new Map(),
      expiryTimer: undefined,
      tickTimer: undefined,
      ticking: false,
    };
    this.requests.set(ride.id, request);
    this.armExpiry(request, input.expiresAt.getTime());
    request.tickTimer = setInterval(() => this.run('match tick', this.tick(ride.id)), this.deps.policy.stepMs);
    request.tickTimer.unref();
    setImmediate(() => this.run('match tick', this.tick(ride.id)));
  }

  /** Takes a request out (taken, cancelled, expired); returns it so its offers can be told. */
  close(rideId: string): OpenRequest | undefined {
    const request = this.requests.get(rideId);
    if (!request) return undefined;
    clearTimeout(request.expiryTimer);
    clearInterval(request.tickTimer);
    this.requests.delete(rideId);
    return request;
  }

  /** The expiry timer fired early (clock skew): wait for the stored time. */
  rearmExpiry(rideId: string, expiresAt: Date): void {
    const request = this.requests.get(rideId);
    if (request) this.armExpiry(request, expiresAt.getTime());
  }

  /** After a raise: the new ride to show, re-sent to offered drivers who have not bid; one step wider at once. */
  raised(ride: RideView, openBidders: ReadonlySet<string>): void {
    const request = this.requests.get(ride.id);
    if (!request) return;
    request.ride = ride;
    for (const [driverId, distance] of request.offers) {
      if (openBidders.has(driverId) || this.deps.isEngaged(driverId)) continue;
      this.deps.notifier.notify(driverId, 'ride.requested', { ride, distanceToPickupM: distance, expiresAt: ride.expiresAt });
    }
    request.match = widen(this.deps.policy, request.match);
    setImmediate(() => this.run('match tick', this.tick(ride.id)));
  }

  /** The driver took a ride: forget their other offers; returns those rides (to tell the driver). */
  withdrawOffersOf(driverId: string, exceptRideId: string): string[] {
    const rideIds: string[] = [];
    for (const request of this.requests.values()) {
      if (request.rideId !== exceptRideId && request.offers.delete(driverId)) rideIds.push(request.rideId);
    }
    return rideIds;
  }

  /** The open requests a driver was offered (for their session.state). */
  offersFor(driverId: string): DriverOffer[] {
    const offers: DriverOffer[] = [];
    for (const request of this.requests.values()) {
      const distance = request.offers.get(driverId);
      if (distance !== undefined) offers.push({ ride: request.ride, distanceToPickupM: distance, expiresAt: request.ride.expiresAt });
    }
    return offers;
  }

  /** One step of the search: offer the ride to up to a batch of new idle drivers, nearest first. */
  async tick(rideId: string): Promise<void> {
    const request = this.requests.get(rideId);
    if (!request || request.ticking || this.stopped) return;
    request.ticking = true;
    try {
      const { presence, policy, pool } = this.deps;
      const candidates = presence.nearestIdle(request.pickup, largestRadiusM(policy), request.offers.size + policy.batch * 2);
      const fresh = candidates.filter((candidate) => !request.offers.has(candidate.driverId));
      // Presence says idle; the database has the last word on who is on a ride.
      const busy = await busyDriverIds(pool, fresh.map((candidate) => candidate.driverId));
      const excluded = new Set([...request.offers.keys(), ...busy]);
      const plan = planMatchTick(policy, request.match, candidates, excluded);
      request.match = plan.state;
      const chosen = plan.offers.filter((offer) => !this.deps.isEngaged(offer.driverId));
      if (chosen.length === 0 || this.requests.get(rideId) !== request) return;
      const offers = chosen.map((offer) => ({ driverId: offer.driverId, distanceM: Math.round(offer.distanceM) }));
      await insertRideEvent(pool, { rideId, type: 'offered', actorRole: 'system', data: { radiusM: plan.radiusM, drivers: offers } });
      // Taken, cancelled or expired while we wrote: offer nothing. Assigned meanwhile: not them.
      if (this.requests.get(rideId) !== request) return;
      for (const offer of offers) {
        if (this.deps.isEngaged(offer.driverId)) continue;
        request.offers.set(offer.driverId, offer.distanceM);
        this.deps.notifier.notify(offer.driverId, 'ride.requested', { ride: request.ride, distanceToPickupM: offer.distanceM, expiresAt: request.ride.expiresAt });
      }
    } finally {
      request.ticking = false;
    }
  }

  stop(): void {
    this.stopped = true;
    for (const rideId of [...this.requests.keys()]) this.close(rideId);
  }

  private armExpiry(request: OpenRequest, expiresAt: number): void {
    clearTimeout(request.expiryTimer);
    const delay = Math.max(0, expiresAt - this.deps.now()) + TIMER_SLACK_MS;
    request.expiryTimer = setTimeout(() => this.run('expire request', this.deps.onExpiryDue(request.rideId)), delay);
    request.expiryTimer.unref();
  }

  private run(what: string, work: Promise<unknown>): void {
    work.catch((error: unknown) => {
      if (!this.stopped) this.deps.onError(what, error);
    });
  }
}

/** Expiry timers of open bids (each re-checked in the database when it fires). */
export class BidTimers {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly now: () => number,
    private readonly onDue: (bidId: string) => void,
  ) {}

  arm(bidId: string, expiresAt: number): void {
    this.clear(bidId);
    const timer = setTimeout(() => {
      this.timers.delete(bidId);
      this.onDue(bidId);
    }, Math.max(0, expiresAt - this.now()) + TIMER_SLACK_MS);
    timer.unref();
    this.timers.set(bidId, timer);
  }

  clear(bidId: string): void {
    clearTimeout(this.timers.get(bidId));
    this.timers.delete(bidId);
  }

  stop(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
