/**
 * The rides module's environment variables, as a zod shape the service's config module merges in
 * (src/config.ts stays the only reader of process.env). Money in minor units.
 */
import { z } from 'zod';
import { envField } from '@drivrr/shared';
import type { CancellationPolicy } from '@drivrr/shared/cancellation-fees';
import type { MatchPolicy } from '../domain/matching.js';
import type { PricingByType } from '../domain/pricing.js';

const radii = z
  .string()
  .transform((value, ctx) => {
    const parts = value.split(',').map((part) => Number(part.trim()));
    if (parts.length === 0 || parts.some((n) => !Number.isInteger(n) || n <= 0)) {
      ctx.addIssue({ code: 'custom', message: 'must be a comma-separated list of positive whole metres, e.g. 1500,3000,5000' });
      return z.NEVER;
    }
    if (parts.some((n, i) => i > 0 && n <= (parts[i - 1] as number))) {
      ctx.addIssue({ code: 'custom', message: 'radii must grow, e.g. 1500,3000,5000' });
      return z.NEVER;
    }
    return parts;
  })
  .default([1_500, 3_000, 5_000]);

/**
 * Fares per vehicle type (contract 1.1). Cars keep the unsuffixed names (FARE_BASE...) they had
 * before types existed; bikes and rickshaws have their own four, suffixed _BIKE and _RICKSHAW, with
 * defaults that undercut a car the way the apps' markets do (a bike about half, a rickshaw ~70 %).
 */
export const ridesEnvShape = {
  FARE_BASE: envField.int(10_000, 0),
  FARE_PER_KM: envField.int(4_000, 0),
  FARE_PER_MINUTE: envField.int(500, 0),
  FARE_MINIMUM: envField.int(20_000, 1),
  FARE_BASE_BIKE: envField.int(5_000, 0),
  FARE_PER_KM_BIKE: envField.int(2_000, 0),
  FARE_PER_MINUTE_BIKE: envField.int(250, 0),
  FARE_MINIMUM_BIKE: envField.int(10_000, 1),
  FARE_BASE_RICKSHAW: envField.int(7_000, 0),
  FARE_PER_KM_RICKSHAW: envField.int(2_800, 0),
  FARE_PER_MINUTE_RICKSHAW: envField.int(350, 0),
  FARE_MINIMUM_RICKSHAW: envField.int(14_000, 1),
  /** The lowest fare a customer may ask, in % of the suggested fare (never below FARE_MINIMUM). */
  FARE_FLOOR_PCT: envField.int(60, 1, 100),
  ROAD_FACTOR: envField.number(1.3, 1, 3),
  AVG_SPEED_KMH: envField.number(25, 1, 200),
  CURRENCY: z.string().regex(/^[A-Z]{3}$/, 'must be a 3-letter ISO currency code').default('PKR'),
  COMMISSION_PCT: envField.number(15, 0, 100),
  MATCH_RADII_M: radii,
  MATCH_STEP_MS: envField.int(10_000, 10),
  MATCH_BATCH: envField.int(5, 1, 100),
  REQUEST_TTL_MS: envField.int(180_000, 100),
  BID_TTL_MS: envField.int(30_000, 50),
  MAX_COUNTER_MULTIPLIER: envField.number(3, 1, 10),
  /** How often due timers (request and bid expiry, search ticks) are polled from the database. */
  RIDES_POLL_MS: envField.int(250, 10, 60_000),
  /** A customer cancels free this long after assignment (unless the driver has arrived). */
  CANCEL_FREE_S: envField.int(120, 0, 86_400),
  /** The cancellation fee in % of the agreed fare (up to 2 decimals)... */
  CANCEL_FEE_PCT: envField.number(10, 0, 100),
  /** ...and at least this many minor units (never more than the fare). */
  CANCEL_FEE_MIN: envField.int(5_000, 0, 100_000_000),
  /** A driver not arrived this long after his bid's ETA is late: the customer cancels free. */
  NO_SHOW_GRACE_S: envField.int(300, 0, 86_400),
  /** A driver waits this long at the pickup before he may cancel with customer_no_show. */
  WAIT_FREE_S: envField.int(300, 0, 86_400),
};

type RidesEnv = { [K in keyof typeof ridesEnvShape]: z.output<(typeof ridesEnvShape)[K]> };

export interface RidesConfig {
  currency: string;
  commissionPct: number;
  /** Fare rates by vehicle type (roads, speed and the floor are the same for every type). */
  pricing: PricingByType;
  match: MatchPolicy & { stepMs: number };
  requestTtlMs: number;
  bidTtlMs: number;
  /** Counter-offers up to this x the ask; asks up to this x the suggested fare. */
  maxCounterMultiplier: number;
  /** Poll interval of the due rows (expiries, search ticks). */
  pollMs: number;
  /** Cancellation fees; snapshotted on each ride at assignment (rides.cancel_terms). */
  cancellation: CancellationPolicy;
}

export function ridesConfigFrom(env: RidesEnv): RidesConfig {
  return {
    currency: env.CURRENCY,
    commissionPct: env.COMMISSION_PCT,
    pricing: pricingFrom(env),
    match: { radiiM: env.MATCH_RADII_M, stepMs: env.MATCH_STEP_MS, batch: env.MATCH_BATCH },
    requestTtlMs: env.REQUEST_TTL_MS,
    bidTtlMs: env.BID_TTL_MS,
    maxCounterMultiplier: env.MAX_COUNTER_MULTIPLIER,
    pollMs: env.RIDES_POLL_MS,
    cancellation: {
      freeS: env.CANCEL_FREE_S,
      feePct: env.CANCEL_FEE_PCT,
      feeMin: env.CANCEL_FEE_MIN,
      noShowGraceS: env.NO_SHOW_GRACE_S,
      waitFreeS: env.WAIT_FREE_S,
    },
  };
}

/** The rate table of every vehicle type, from the env (each number already range-checked by its field). */
function pricingFrom(env: RidesEnv): PricingByType {
  const common = { roadFactor: env.ROAD_FACTOR, avgSpeedKmh: env.AVG_SPEED_KMH, floorPct: env.FARE_FLOOR_PCT };
  return {
    car: { baseFare: env.FARE_BASE, perKm: env.FARE_PER_KM, perMinute: env.FARE_PER_MINUTE, minimumFare: env.FARE_MINIMUM, ...common },
    bike: { baseFare: env.FARE_BASE_BIKE, perKm: env.FARE_PER_KM_BIKE, perMinute: env.FARE_PER_MINUTE_BIKE, minimumFare: env.FARE_MINIMUM_BIKE, ...common },
    rickshaw: {
      baseFare: env.FARE_BASE_RICKSHAW,
      perKm: env.FARE_PER_KM_RICKSHAW,
      perMinute: env.FARE_PER_MINUTE_RICKSHAW,
      minimumFare: env.FARE_MINIMUM_RICKSHAW,
      ...common,
    },
  };
}
