/**
 * Shared rate-limit counters: fixed windows counted in PostgreSQL (table rate_limits) through
 * rate-limiter-flexible, so that they survive a restart and every auth instance sees the same
 * counts. The library has a Redis store with the same interface: `CountedLimit` is the port a
 * Redis-backed implementation can stand behind when the stack runs Redis.
 */
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Pool, Queryable } from '@drivrr/shared/db';

/** The table the limiters count in (created by a migration, never by the library at run time). */
const RATE_LIMITS_TABLE = 'rate_limits';

export interface CountedLimit {
  /** Counts one hit of `key`; returns 0 when it was within the limit, else the seconds until the window ends. */
  consume(key: string): Promise<number>;
  /** Seconds until `key` may act again without counting a hit (0 when under the limit). */
  retryAfterS(key: string): Promise<number>;
  /** Counts one hit without refusing. */
  hit(key: string): Promise<void>;
  /** Takes one hit back (an action that did not happen after all). */
  undo(key: string): Promise<void>;
}

/** A limit of `points` hits per `durationS` seconds, per key, under the name `name`. */
export function countedLimit(pool: Pool, name: string, points: number, durationS: number): CountedLimit {
  const limiter = new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    tableName: RATE_LIMITS_TABLE,
    tableCreated: true,
    // expired rows are purged by the auth service's housekeeping, not by a timer of the library
    clearExpiredByTimeout: false,
    keyPrefix: name,
    points,
    duration: durationS,
  });
  const waitOf = (res: RateLimiterRes) => Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  return {
    async consume(key) {
      try {
        await limiter.consume(key);
        return 0;
      } catch (error) {
        if (error instanceof RateLimiterRes) return waitOf(error);
        throw error;
      }
    },
    async retryAfterS(key) {
      const res = await limiter.get(key);
      return res !== null && res.consumedPoints >= points ? waitOf(res) : 0;
    },
    async hit(key) {
      await limiter.penalty(key, 1);
    },
    async undo(key) {
      await limiter.reward(key, 1);
    },
  };
}

/** Deletes counters whose window ended more than an hour ago. */
export async function purgeExpiredRateLimits(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM rate_limits WHERE expire < $1`, [Date.now() - 3_600_000]);
  return rowCount ?? 0;
}
