import { describe, expect, it } from 'vitest';
import { distanceM, moveM, KARACHI_CENTER } from '@drivrr/shared';
import { checkAskedFare, estimateTrip, estimateTripFor, etaSeconds, fareFloor, maxCounterFare, suggestedFareFor, type PricingByType, type PricingRates } from '../../src/domain/pricing.js';

const rates: PricingRates = { baseFare: 10_000, perKm: 5_000, perMinute: 500, minimumFare: 20_000, roadFactor: 1.3, avgSpeedKmh: 30, floorPct: 60 };

describe('pricing', () => {
  it('estimates a 10 km great-circle trip as 13 km of road at the average speed', () => {
    const dropoff = moveM(KARACHI_CENTER, 90, 10_000);
    const estimate = estimateTrip(KARACHI_CENTER, dropoff, rates);
    expect(estimate.distanceM).toBe(Math.round(distanceM(KARACHI_CENTER, dropoff) * 1.3));
    expect(estimate.distanceM).toBeGreaterThan(12_990);
    expect(estimate.distanceM).toBeLessThan(13_010);
    // 13 km at 30 km/h = 26 min = 1560 s
    expect(Math.abs(estimate.durationS - 1_560)).toBeLessThanOrEqual(2);
    // 10000 + 13 x 5000 + 26 x 500 = 88000
    expect(Math.abs(estimate.suggestedFare - 88_000)).toBeLessThanOrEqual(100);
    expect(estimate.minimumFare).toBe(Math.ceil(estimate.suggestedFare * 0.6));
  });

  it('never suggests less than the minimum fare, and the floor never goes below it', () => {
    expect(suggestedFareFor(100, 12, rates)).toBe(20_000);
    expect(estimateTrip(KARACHI_CENTER, KARACHI_CENTER, rates)).toEqual({ distanceM: 0, durationS: 0, suggestedFare: 20_000, minimumFare: 20_000 });
    expect(fareFloor(25_000, rates)).toBe(20_000);
    expect(fareFloor(100_000, rates)).toBe(60_000);
  });

  it('computes fares in whole minor units', () => {
    expect(Number.isInteger(suggestedFareFor(1_234, 321, rates))).toBe(true);
    expect(suggestedFareFor(1_000, 60, { ...rates, perKm: 3_333, perMinute: 1, minimumFare: 1 })).toBe(13_334);
  });

  it('refuses an ask below the floor with the floor and the suggestion in the details', () => {
    expect(checkAskedFare(59_999, { minimumFare: 60_000, suggestedFare: 100_000 })).toEqual({
      ok: false,
      code: 'fare_below_minimum',
      message: 'the fare must be at least 60000',
      details: { minimumFare: 60_000, suggestedFare: 100_000 },
    });
    expect(checkAskedFare(60_000, { minimumFare: 60_000, suggestedFare: 100_000 })).toBeUndefined();
  });

  it('estimates a driver\'s arrival from the straight-line distance', () => {
    // 1 km straight = 1.3 km road at 30 km/h = 156 s
    expect(etaSeconds(1_000, rates)).toBe(156);
    expect(etaSeconds(0, rates)).toBe(0);
  });

  it('bounds counter-offers at the multiplier x the ask, rounded down', () => {
    expect(maxCounterFare(40_000, 3)).toBe(120_000);
    expect(maxCounterFare(33_333, 1.5)).toBe(49_999);
  });
});

describe('pricing per vehicle type', () => {
  const table: PricingByType = {
    car: rates,
    bike: { ...rates, baseFare: 5_000, perKm: 2_000, perMinute: 250, minimumFare: 10_000 },
    rickshaw: { ...rates, baseFare: 7_000, perKm: 3_000, perMinute: 300, minimumFare: 15_000 },
  };

  it('estimates the same trip by the rates of the type asked for', () => {
    const dropoff = moveM(KARACHI_CENTER, 90, 10_000);
    const car = estimateTripFor(KARACHI_CENTER, dropoff, 'car', table);
    const bike = estimateTripFor(KARACHI_CENTER, dropoff, 'bike', table);
    const rickshaw = estimateTripFor(KARACHI_CENTER, dropoff, 'rickshaw', table);

    expect(car).toEqual(estimateTrip(KARACHI_CENTER, dropoff, rates));
    // Same road and time for every type; only the money differs.
    expect(bike.distanceM).toBe(car.distanceM);
    expect(bike.durationS).toBe(car.durationS);
    // 5000 + 13 x 2000 + 26 x 250 = 37500
    expect(Math.abs(bike.suggestedFare - 37_500)).toBeLessThanOrEqual(50);
    expect(rickshaw.suggestedFare).toBeGreaterThan(bike.suggestedFare);
    expect(rickshaw.suggestedFare).toBeLessThan(car.suggestedFare);
  });

  it('applies each type its own minimum fare', () => {
    const nextDoor = moveM(KARACHI_CENTER, 0, 100);
    expect(estimateTripFor(KARACHI_CENTER, nextDoor, 'bike', table).suggestedFare).toBe(10_000);
    expect(estimateTripFor(KARACHI_CENTER, nextDoor, 'rickshaw', table).minimumFare).toBe(15_000);
    expect(estimateTripFor(KARACHI_CENTER, nextDoor, 'car', table).minimumFare).toBe(20_000);
  });
});
