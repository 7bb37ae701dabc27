/**
 * The rate_limits table: counters of rate-limiter-flexible's PostgreSQL store (the limiters
 * themselves are built in http/rate-limits.ts and usecases/otp-login.ts). Only the clean-up is ours.
 */
import type { Queryable } from '@drivrr/shared/db';

/** The table the limiters count in (created by a migration, never by the library at run time). */
export const RATE_LIMITS_TABLE = 'rate_limits';

/** Deletes counters whose window ended more than an hour ago. */
export async function purgeExpiredRateLimits(db: Queryable): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM rate_limits WHERE expire < $1`, [Date.now() - 3_600_000]);
  return rowCount ?? 0;
}
