/**
 * The decisions simulated people make, as pure functions of what they know and a seeded Rng:
 * how a driver answers an offer, how a customer asks, raises and picks a bid, how they rate.
 * No I/O and no clocks: the actors call these and act on the answers.
 */
import type { PaymentMethod } from '@drivrr/shared/protocol';
import type { Rng } from './rng.js';

/** Fares are rounded to whole 10s of the major unit (1000 minor units = 10 PKR). */
export const FARE_STEP = 1000;
export const roundFareUp = (fare: number): number => Math.ceil(fare / FARE_STEP) * FARE_STEP;

// ---------------------------------------------------------------------------------------------
// Drivers

export type DriverStyle = 'eager' | 'haggler' | 'picky';

export interface DriverProfile {
  style: DriverStyle;
  /** Offers farther than this from the pickup are ignored. */
  maxPickupM: number;
  /** Counter-offers add this share of the ask (0.1 = +10%). */
  counterMargin: number;
  /** Below this fare per road km (minor units) the ride is not worth it. */
  minFarePerKm: number;
  /** How long the driver looks at an offer before answering, ms. */
  thinkMs: readonly [number, number];
  /** Chance to cancel after being assigned (before arriving). */
  cancelAfterAcceptP: number;
  /** Chance, per ride, to lose the connection on the way and come back. */
  dropConnectionP: number;
}

export function makeDriverProfile(rng: Rng): DriverProfile {
  const style = rng.weighted<DriverStyle>([
    ['eager', 0.45],
    ['haggler', 0.4],
    ['picky', 0.15],
  ]);
  return {
    style,
    maxPickupM: style === 'eager' ? rng.int(3500, 5500) : rng.int(2000, 4500),
    counterMargin: style === 'haggler' ? rng.float(0.1, 0.3) : rng.float(0.05, 0.12),
    minFarePerKm: style === 'picky' ? rng.int(4000, 6000) : rng.int(2000, 3500),
    thinkMs: [rng.int(400, 1200), rng.int(1500, 4000)],
    cancelAfterAcceptP: rng.chance(0.1) ? 0.15 : 0.01,
    dropConnectionP: rng.chance(0.15) ? 0.3 : 0.03,
  };
}

export interface OfferView {
  askedFare: number;
  suggestedFare: number;
  tripDistanceM: number;
  distanceToPickupM: number;
  /** At most this fare is allowed for a counter (the server's bound, when known). */
  maxCounterFare?: number;
}

export type OfferDecision =
  | { kind: 'ignore'; reason: 'too_far' | 'too_cheap' | 'not_interested' }
  | { kind: 'bid'; fare: number; offer: 'as_offered' | 'counter'; thinkMs: number };

export function decideOffer(profile: DriverProfile, offer: OfferView, rng: Rng): OfferDecision {
  if (offer.distanceToPickupM > profile.maxPickupM) return { kind: 'ignore', reason: 'too_far' };
  if (rng.chance(0.08)) return { kind: 'ignore', reason: 'not_interested' };
  const thinkMs = rng.int(profile.thinkMs[0], profile.thinkMs[1]);
  const km = Math.max(1, offer.tripDistanceM / 1000);
  const cheap = offer.askedFare / km < profile.minFarePerKm && offer.askedFare < offer.suggestedFare;
  const counterFare = (margin: number): number => {
    const wanted = roundFareUp(offer.askedFare * (1 + margin));
    const bounded = offer.maxCounterFare === undefined ? wanted : Math.min(wanted, offer.maxCounterFare);
    return Math.max(offer.askedFare, bounded);
  };
  const bid = (fare: number): OfferDecision => ({ kind: 'bid', fare, offer: fare === offer.askedFare ? 'as_offered' : 'counter', thinkMs });

  switch (profile.style) {
    case 'eager':
      if (cheap && rng.chance(0.5)) return bid(counterFare(profile.counterMargin));
      return rng.chance(0.85) ? bid(offer.askedFare) : bid(counterFare(profile.counterMargin));
    case 'haggler': {
      // Counters almost always; asks well below the suggestion get a bigger margin.
      const gap = Math.max(0, offer.suggestedFare / offer.askedFare - 1);
      if (rng.chance(0.2) && !cheap) return bid(offer.askedFare);
      return bid(counterFare(profile.counterMargin + Math.min(0.3, gap)));
    }
    case 'picky':
      if (cheap) return rng.chance(0.7) ? { kind: 'ignore', reason: 'too_cheap' } : bid(counterFare(profile.counterMargin + 0.15));
      return bid(offer.askedFare);
  }
}

// ---------------------------------------------------------------------------------------------
// Customers

export type BidChoice = 'cheapest' | 'nearest' | 'best_value';
export type RatingStyle = 'generous' | 'fair' | 'harsh';

export interface CustomerProfile {
  /** The first ask as a share of the suggested fare. */
  askFactor: number;
  /** Raise the ask when no acceptable bid came within this long, ms. */
  raiseAfterMs: number;
  /** Each raise adds this share of the current ask. */
  raiseStep: number;
  maxRaises: number;
  choice: BidChoice;
  /** After the first bid, wait this long for more before choosing, ms. */
  collectBidsMs: number;
  /** Chance to give up while bids come in (cancel the request). */
  cancelWhileBiddingP: number;
  /** Chance to cancel after a driver was assigned. */
  cancelAfterAssignP: number;
  /** Chance to cancel once the driver is at the pickup: a late cancel that costs the cancellation fee. */
  cancelAfterArrivalP: number;
  paymentMethod: PaymentMethod;
  ratingStyle: RatingStyle;
  /** Minutes between the end of one ride and the next request (mean). */
  pauseBetweenRidesS: number;
}

export function makeCustomerProfile(rng: Rng): CustomerProfile {
  return {
    askFactor: rng.weighted<number>([
      [0.8, 0.3],
      [0.9, 0.35],
      [1.0, 0.35],
    ]) + rng.float(-0.03, 0.03),
    raiseAfterMs: rng.int(6000, 15000),
    raiseStep: rng.float(0.08, 0.18),
    maxRaises: rng.int(0, 3),
    choice: rng.weighted<BidChoice>([
      ['cheapest', 0.5],
      ['nearest', 0.3],
      ['best_value', 0.2],
    ]),
    collectBidsMs: rng.int(1500, 5000),
    cancelWhileBiddingP: rng.chance(0.2) ? 0.15 : 0.02,
    cancelAfterAssignP: rng.chance(0.1) ? 0.1 : 0.01,
    paymentMethod: rng.chance(0.3) ? 'wallet' : 'cash',
    ratingStyle: rng.weighted<RatingStyle>([
      ['generous', 0.5],
      ['fair', 0.35],
      ['harsh', 0.15],
    ]),
    pauseBetweenRidesS: rng.int(5, 40),
    // Drawn last, so the profiles' other traits stay what the same seed gave before fees existed.
    cancelAfterArrivalP: rng.chance(0.15) ? 0.2 : 0.02,
  };
}

/** The first ask: a share of the suggestion, never below the server's floor. */
export function initialAsk(profile: Pick<CustomerProfile, 'askFactor'>, estimate: { suggestedFare: number; minimumFare: number }): number {
  return Math.max(estimate.minimumFare, roundFareUp(estimate.suggestedFare * profile.askFactor));
}

/** The next ask after a raise, or undefined when the customer will not raise any more. */
export function nextRaise(
  profile: Pick<CustomerProfile, 'raiseStep' | 'maxRaises'>,
  state: { currentAsk: number; raisesSoFar: number; suggestedFare: number },
): number | undefined {
  if (state.raisesSoFar >= profile.maxRaises) return undefined;
  const ceiling = roundFareUp(state.suggestedFare * 1.5);
  const next = Math.min(ceiling, roundFareUp(state.currentAsk * (1 + profile.raiseStep)));
  return next > state.currentAsk ? next : undefined;
}

export interface BidOption {
  bidId: string;
  fare: number;
  etaS: number;
  driverRating: number | null;
}

/** The bid a customer takes; undefined when none is acceptable (above their limit). */
export function chooseBid(bids: readonly BidOption[], choice: BidChoice, maxFare = Number.POSITIVE_INFINITY): BidOption | undefined {
  const acceptable = bids.filter((bid) => bid.fare <= maxFare);
  if (acceptable.length === 0) return undefined;
  const score = (bid: BidOption): [number, number] => {
    switch (choice) {
      case 'cheapest':
        return [bid.fare, bid.etaS];
      case 'nearest':
        return [bid.etaS, bid.fare];
      case 'best_value':
        // A minute of waiting is worth about 1.5% of the fare.
        return [bid.fare * (1 + (0.015 * bid.etaS) / 60), bid.etaS];
    }
  };
  return [...acceptable].sort((a, b) => {
    const [a1, a2] = score(a);
    const [b1, b2] = score(b);
    return a1 - b1 || a2 - b2 || a.bidId.localeCompare(b.bidId);
  })[0];
}

/** The most a customer will pay on a bid: a margin over their current ask. */
export function maxAcceptableFare(currentAsk: number, suggestedFare: number): number {
  return Math.max(roundFareUp(currentAsk * 1.35), roundFareUp(suggestedFare * 1.25));
}

export function rateStars(style: RatingStyle, rng: Rng): number {
  switch (style) {
    case 'generous':
      return rng.chance(0.85) ? 5 : 4;
    case 'fair':
      return rng.weighted<number>([
        [5, 0.45],
        [4, 0.4],
        [3, 0.15],
      ]);
    case 'harsh':
      return rng.weighted<number>([
        [4, 0.35],
        [3, 0.4],
        [2, 0.2],
        [1, 0.05],
      ]);
  }
}

/**
 * What a customer knows of the server's fares before asking: the ratio of suggested fare to road
 * distance seen in earlier estimates (the server answers each request with its estimate). The
 * first guess is deliberately rough; a request refused as below the floor is retried at the
 * floor the refusal names.
 */
export class FareKnowledge {
  private perKm: number;
  private base: number;
  constructor(initial: { base: number; perKm: number } = { base: 15000, perKm: 4500 }) {
    this.base = initial.base;
    this.perKm = initial.perKm;
  }
  /** A guess of the suggested fare for a trip of `roadM` metres. */
  guess(roadM: number): number {
    return roundFareUp(this.base + (this.perKm * roadM) / 1000);
  }
  learn(roadM: number, suggestedFare: number): void {
    if (roadM < 500) return;
    const observed = Math.max(0, (suggestedFare - this.base) / (roadM / 1000));
    this.perKm = this.perKm * 0.7 + observed * 0.3;
  }
}

/** What simulated drivers say when they reach the pickup, and customers answer (in-ride chat). */
export const DRIVER_PICKUP_LINES = ["I'm at the gate", "I'm here, by the main entrance", 'Reached the pickup point'] as const;
export const CUSTOMER_PICKUP_REPLIES = ['2 minutes', 'Coming down now', 'On my way, 1 minute'] as const;
/** Share of drivers who write at the pickup, and of customers who answer. */
export const PICKUP_CHAT_P = 0.6;
export const PICKUP_REPLY_P = 0.7;
