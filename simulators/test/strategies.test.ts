import { describe, expect, it } from 'vitest';
import {
  chooseBid,
  createRng,
  decideOffer,
  FareKnowledge,
  initialAsk,
  makeCustomerProfile,
  makeDriverProfile,
  maxAcceptableFare,
  nextRaise,
  rateStars,
  roundFareUp,
  type DriverProfile,
} from '@drivrr/simulators';

const offer = { askedFare: 50_000, suggestedFare: 55_000, tripDistanceM: 6000, distanceToPickupM: 800 };
const profile = (overrides: Partial<DriverProfile>): DriverProfile => ({ ...makeDriverProfile(createRng(1)), ...overrides });

describe('driver offer strategy', () => {
  it('ignores offers farther than the driver will go for a pickup', () => {
    const decision = decideOffer(profile({ maxPickupM: 1000 }), { ...offer, distanceToPickupM: 2500 }, createRng(2));
    expect(decision).toEqual({ kind: 'ignore', reason: 'too_far' });
  });

  it('has eager drivers mostly accept the ask as offered', () => {
    const rng = createRng(3);
    const bids = Array.from({ length: 400 }, () => decideOffer(profile({ style: 'eager', minFarePerKm: 1000 }), offer, rng)).filter((d) => d.kind === 'bid');
    const asOffered = bids.filter((d) => d.kind === 'bid' && d.fare === offer.askedFare).length;
    expect(asOffered / bids.length).toBeGreaterThan(0.7);
  });

  it('has hagglers counter above the ask, within the server bound, in whole fare steps', () => {
    const rng = createRng(4);
    for (let i = 0; i < 300; i += 1) {
      const d = decideOffer(profile({ style: 'haggler', counterMargin: 0.2 }), { ...offer, maxCounterFare: 60_000 }, rng);
      if (d.kind !== 'bid') continue;
      expect(d.fare).toBeGreaterThanOrEqual(offer.askedFare);
      expect(d.fare).toBeLessThanOrEqual(60_000);
      if (d.offer === 'counter') expect(d.fare).toBeGreaterThan(offer.askedFare);
    }
  });

  it('has picky drivers mostly refuse asks that are too cheap per km', () => {
    const rng = createRng(5);
    const cheap = { ...offer, askedFare: 20_000, tripDistanceM: 10_000 };
    const decisions = Array.from({ length: 300 }, () => decideOffer(profile({ style: 'picky', minFarePerKm: 5000 }), cheap, rng));
    const tooCheap = decisions.filter((d) => d.kind === 'ignore' && d.reason === 'too_cheap').length;
    expect(tooCheap).toBeGreaterThan(150);
  });

  it('makes the same decisions for the same seed', () => {
    const run = () => {
      const rng = createRng(77);
      return Array.from({ length: 50 }, () => decideOffer(profile({ style: 'haggler' }), offer, rng));
    };
    expect(run()).toEqual(run());
  });
});

describe('customer fare strategy', () => {
  it('asks a share of the suggestion but never below the floor', () => {
    expect(initialAsk({ askFactor: 0.8 }, { suggestedFare: 50_000, minimumFare: 30_000 })).toBe(40_000);
    expect(initialAsk({ askFactor: 0.5 }, { suggestedFare: 50_000, minimumFare: 30_000 })).toBe(30_000);
  });

  it('raises in steps up to its number of raises and never past 1.5x the suggestion', () => {
    const p = { raiseStep: 0.2, maxRaises: 5 };
    let ask = 40_000;
    const seen: number[] = [];
    for (let raises = 0; ; raises += 1) {
      const next = nextRaise(p, { currentAsk: ask, raisesSoFar: raises, suggestedFare: 50_000 });
      if (next === undefined) break;
      expect(next).toBeGreaterThan(ask);
      seen.push(next);
      ask = next;
    }
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(75_000);
    expect(nextRaise({ raiseStep: 0.1, maxRaises: 0 }, { currentAsk: 40_000, raisesSoFar: 0, suggestedFare: 50_000 })).toBeUndefined();
  });

  it('accepts the cheapest, the nearest or the best-value bid, within its limit', () => {
    const bids = [
      { bidId: 'a', fare: 50_000, etaS: 600, driverRating: 4.5 },
      { bidId: 'b', fare: 56_000, etaS: 60, driverRating: 4.9 },
      { bidId: 'c', fare: 90_000, etaS: 30, driverRating: 5 },
    ];
    expect(chooseBid(bids, 'cheapest')?.bidId).toBe('a');
    expect(chooseBid(bids, 'nearest')?.bidId).toBe('c');
    expect(chooseBid(bids, 'nearest', 60_000)?.bidId).toBe('b');
    expect(chooseBid(bids, 'best_value', 60_000)?.bidId).toBe('b');
    expect(chooseBid(bids, 'cheapest', 10_000)).toBeUndefined();
    expect(maxAcceptableFare(40_000, 50_000)).toBeGreaterThanOrEqual(54_000);
  });

  it('rates by style: generous customers give 4-5 stars, harsh ones never 5', () => {
    const rng = createRng(8);
    for (let i = 0; i < 200; i += 1) {
      expect(rateStars('generous', rng)).toBeGreaterThanOrEqual(4);
      expect(rateStars('harsh', rng)).toBeLessThanOrEqual(4);
    }
  });

  it('learns the fare per km from the estimates it is shown', () => {
    const fares = new FareKnowledge({ base: 10_000, perKm: 1000 });
    for (let i = 0; i < 20; i += 1) fares.learn(10_000, 10_000 + 50_000);
    expect(fares.guess(10_000)).toBeGreaterThan(55_000);
    expect(roundFareUp(12_345)).toBe(13_000);
  });
});

describe('customer cancel habits', () => {
  it('gives a seeded share of customers the habit of cancelling once the driver is at the pickup (a late cancel, with a fee)', () => {
    // Arrange
    const profiles = Array.from({ length: 400 }, (_, i) => makeCustomerProfile(createRng(1000 + i)));

    // Act
    const habitual = profiles.filter((profile) => profile.cancelAfterArrivalP === 0.2).length;

    // Assert: about 15 % cancel late often, the rest rarely, and the same seed gives the same habit
    expect(profiles.every((profile) => profile.cancelAfterArrivalP === 0.2 || profile.cancelAfterArrivalP === 0.02)).toBe(true);
    expect(habitual).toBeGreaterThan(400 * 0.08);
    expect(habitual).toBeLessThan(400 * 0.25);
    expect(makeCustomerProfile(createRng(1003))).toEqual(profiles[3]);
  });
});
