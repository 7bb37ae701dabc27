/**
 * Fare estimates and the fare rules of haggling. Pure: rates come in as arguments (from config).
 *
 *   distance  = great-circle(pickup, dropoff) x roadFactor
 *   duration  = distance / avgSpeed
 *   suggested = max(minimumFare, base + perKm x km + perMinute x minutes)   (rounded up to a minor unit)
 *   floor     = max(minimumFare, ceil(suggested x floorPct / 100))          (lowest fare a customer may ask)
 */
import { distanceM as greatCircleM } from '@drivrr/shared';
import type { LatLng, VehicleType } from '@drivrr/shared/protocol';
import { refuse, type DomainError } from './result.js';

export interface PricingRates {
  /** All money in minor units. */
  baseFare: number;
  perKm: number;
  perMinute: number;
  minimumFare: number;
  /** Roads are longer than the great circle: multiply by this (e.g. 1.3). */
  roadFactor: number;
  avgSpeedKmh: number;
  /** The lowest ask as a percentage of the suggested fare (never below minimumFare). */
  floorPct: number;
}

/** Rates of every vehicle type (contract 1.1: the estimate and the minimum fare are per type). */
export type PricingByType = Readonly<Record<VehicleType, PricingRates>>;

export interface TripEstimate {
  distanceM: number;
  durationS: number;
  suggestedFare: number;
  /** The floor: asks below it are refused with `fare_below_minimum`. */
  minimumFare: number;
}

/** Road distance estimate in whole metres. */
export function roadDistanceM(from: LatLng, to: LatLng, roadFactor: number): number {
  return Math.round(greatCircleM(from, to) * roadFactor);
}

/** Travel time in whole seconds for a road distance at the average speed. */
export function travelTimeS(roadDistance: number, avgSpeedKmh: number): number {
  return Math.round(roadDistance / ((avgSpeedKmh * 1000) / 3600));
}

/** Seconds for a driver `straightLineM` away (great circle) to reach the pickup. */
export function etaSeconds(straightLineM: number, rates: Pick<PricingRates, 'roadFactor' | 'avgSpeedKmh'>): number {
  return travelTimeS(Math.round(straightLineM * rates.roadFactor), rates.avgSpeedKmh);
}

export function suggestedFareFor(distance: number, durationS: number, rates: PricingRates): number {
  const raw = rates.baseFare + (rates.perKm * distance) / 1000 + (rates.perMinute * durationS) / 60;
  return Math.max(rates.minimumFare, Math.ceil(raw));
}

export function fareFloor(suggestedFare: number, rates: Pick<PricingRates, 'minimumFare' | 'floorPct'>): number {
  return Math.max(rates.minimumFare, Math.ceil((suggestedFare * rates.floorPct) / 100));
}

export function estimateTrip(pickup: LatLng, dropoff: LatLng, rates: PricingRates): TripEstimate {
  const distance = roadDistanceM(pickup, dropoff, rates.roadFactor);
  const durationS = travelTimeS(distance, rates.avgSpeedKmh);
  const suggestedFare = suggestedFareFor(distance, durationS, rates);
  return { distanceM: distance, durationS, suggestedFare, minimumFare: fareFloor(suggestedFare, rates) };
}

/** The estimate of a trip in a vehicle of `vehicleType`, by that type's rates. */
export function estimateTripFor(pickup: LatLng, dropoff: LatLng, vehicleType: VehicleType, table: PricingByType): TripEstimate {
  return estimateTrip(pickup, dropoff, table[vehicleType]);
}

/** A customer's ask (at request or raise) must reach the floor. */
export function checkAskedFare(fare: number, estimate: Pick<TripEstimate, 'minimumFare' | 'suggestedFare'>): DomainError | undefined {
  if (fare < estimate.minimumFare) {
    return refuse('fare_below_minimum', `the fare must be at least ${estimate.minimumFare}`, {
      minimumFare: estimate.minimumFare,
      suggestedFare: estimate.suggestedFare,
    });
  }
  return undefined;
}

/** The highest counter-offer a driver may make on an ask. */
export function maxCounterFare(askedFare: number, maxCounterMultiplier: number): number {
  return Math.floor(askedFare * maxCounterMultiplier);
}
